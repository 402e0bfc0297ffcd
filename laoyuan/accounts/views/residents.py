"""Pages for residents: binding one to a house, the three steps of phone sign-up, and the
queue where sign-up requests are confirmed or rejected."""

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from laoyuan.accounts import queries, services
from laoyuan.accounts.enums import SignupStatus
from laoyuan.accounts.forms import BindForm, CodeForm, PhoneForm, RejectForm, SignupForm
from laoyuan.accounts.models import SignupRequest
from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.accounts.views._common import PAGE_SIZE, _form_page
from laoyuan.core.forms import apply_service_errors
from laoyuan.core.personal import mask_phone
from laoyuan.people.models import Person

# How long a phone verified by a one-time code may be used to finish signing up.
SIGNUP_SESSION_MINUTES = 30
SIGNUP_PHONE = "signup_phone"
SIGNUP_VERIFIED = "signup_verified_at"


@login_required
def bind(request: HttpRequest) -> HttpResponse:
    """Bind a resident to a house in the actor's scope."""
    if not queries.binds_residents(request.user):
        raise Http404

    def act(data: dict[str, Any]) -> HttpResponse:
        person = (
            get_scoped_or_404(Person.objects.all(), request.user, pk=int(data["person"]))
            if data.get("person")
            else None
        )
        binding = services.bind_resident(
            actor=request.user,
            house=data["scope_object"],
            household_role=data["household_role"],
            person=person,
            name=data["name"],
            phone=data["phone"],
            id_number=data["id_number"],
            since=data["since"],
            user=data["account"],
        )
        house = binding.residency.house.label
        if binding.matched_existing:
            # The record may have been made elsewhere: its name is not echoed back.
            message = _(
                "The ID number matched an existing resident record, which is kept as it is and "
                "is now linked to %(house)s."
            ) % {"house": house}
        else:
            message = _("%(name)s is now linked to %(house)s.") % {
                "name": binding.residency.person.name,
                "house": house,
            }
        messages.success(request, message)
        return redirect("accounts:bind")

    return _form_page(
        request,
        BindForm,
        {"actor": request.user},
        act=act,
        context={"title": _("Bind a resident to a house"), "submit": _("Bind the resident")},
    )


def _verified_phone(request: HttpRequest) -> str | None:
    phone = request.session.get(SIGNUP_PHONE)
    verified = request.session.get(SIGNUP_VERIFIED)
    if not phone or not verified:
        return None
    at = datetime.datetime.fromisoformat(verified)
    if timezone.now() - at > datetime.timedelta(minutes=SIGNUP_SESSION_MINUTES):
        return None
    return str(phone)


@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    """Step 1: the phone number, to which a one-time code is sent."""
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            services.send_phone_code(phone=phone)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            request.session[SIGNUP_PHONE] = phone
            request.session.pop(SIGNUP_VERIFIED, None)
            return redirect("accounts:signup_verify")
    return render(request, "accounts/signup_phone.html", {"form": form, "step": 1})


@never_cache
def signup_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the text message."""
    phone = request.session.get(SIGNUP_PHONE)
    if not phone:
        return redirect("accounts:signup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = services.verify_phone_code(phone=phone, code=form.cleaned_data["code"])
        if check.status == services.CodeStatus.OK:
            request.session.cycle_key()
            request.session[SIGNUP_PHONE] = phone
            request.session[SIGNUP_VERIFIED] = timezone.now().isoformat()
            return redirect("accounts:signup_details")
        form.add_error("code", _code_message(check))
    return render(
        request,
        "accounts/signup_verify.html",
        {"form": form, "step": 2, "masked_phone": mask_phone(phone)},
    )


def _code_message(check: services.CodeCheck) -> str:
    if check.status == services.CodeStatus.WRONG:
        return _("The code is not right. %(left)s tries left.") % {"left": check.tries_left}
    if check.status == services.CodeStatus.EXPIRED:
        return _("The code has expired. Ask for a new one.")
    if check.status == services.CodeStatus.TOO_MANY:
        return _("Too many wrong codes. Ask for a new one.")
    return _("No code is waiting for this phone. Ask for a new one.")


@never_cache
def signup_details(request: HttpRequest) -> HttpResponse:
    """Step 3: the house, the household role, the name and a password."""
    phone = _verified_phone(request)
    if phone is None:
        return redirect("accounts:signup")
    if services.phone_has_account(phone):
        messages.info(request, _("This phone already has an account. Please sign in."))
        return redirect("accounts:login")

    def act(data: dict[str, Any]) -> HttpResponse:
        signup_request = services.sign_up_resident(
            phone=phone,
            name=data["name"],
            password=data["password1"],
            house=data["house_object"],
            household_role=data["household_role"],
        )
        for key in (SIGNUP_PHONE, SIGNUP_VERIFIED):
            request.session.pop(key, None)
        login(request, signup_request.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("accounts:signup_status")

    return _form_page(
        request,
        SignupForm,
        {},
        act=act,
        context={"step": 3, "submit": _("Send my request")},
        template="accounts/signup_details.html",
        not_redrawn=("password1", "password2"),
    )


@login_required
def signup_status(request: HttpRequest) -> HttpResponse:
    """The signed-up resident's own requests and what became of them."""
    requests = SignupRequest.objects.filter(user_id=int(request.user.pk or 0)).select_related(
        "house__building", "compound"
    )
    return render(request, "accounts/signup_status.html", {"requests": requests})


def _require_confirmer(request: HttpRequest) -> None:
    if not queries.binds_residents(request.user):
        raise Http404


@login_required
def signup_requests(request: HttpRequest) -> HttpResponse:
    """The queue of sign-up requests for houses the actor looks after."""
    _require_confirmer(request)
    status = request.GET.get("status", SignupStatus.PENDING)
    status = status if status in SignupStatus.values else SignupStatus.PENDING
    qs = queries.signup_requests_in_scope(actor=request.user, status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        queries.signup_requests_in_scope(actor=request.user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "accounts/signup_requests.html",
        {
            "page": page,
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in SignupStatus.choices
            ],
            "reject_form": RejectForm(),
        },
    )


def _signup_in_scope(request: HttpRequest, pk: int) -> SignupRequest:
    _require_confirmer(request)
    found = queries.signup_requests_in_scope(actor=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@login_required
@require_POST
def signup_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    signup_request = _signup_in_scope(request, pk)
    try:
        services.confirm_signup(actor=request.user, signup=signup_request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("%(name)s is now a resident of %(house)s.")
            % {"name": signup_request.name, "house": signup_request.house.label},
        )
    return redirect("accounts:signup_requests")


@login_required
@require_POST
def signup_reject(request: HttpRequest, pk: int) -> HttpResponse:
    signup_request = _signup_in_scope(request, pk)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the request is rejected."))
        return redirect("accounts:signup_requests")
    try:
        services.reject_signup(
            actor=request.user, signup=signup_request, reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, _("The request was rejected and the resident told why."))
    return redirect("accounts:signup_requests")
