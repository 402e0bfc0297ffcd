"""Pages for sign-in, users and roles, resident binding, phone sign-up, unmasked personal data
and the audit trail. Views parse input, check who may act, call one service and render."""

import datetime
import io
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from laoyuan.accounts import queries, services
from laoyuan.accounts.enums import Role, SignupStatus
from laoyuan.accounts.forms import (
    REFRESH,
    AuditFilterForm,
    BindForm,
    CodeForm,
    GrantForm,
    InviteForm,
    LoginForm,
    PhoneForm,
    RejectForm,
    SignupForm,
)
from laoyuan.accounts.models import SignupRequest
from laoyuan.accounts.scoping import get_scoped_or_404
from laoyuan.core.forms import apply_service_errors
from laoyuan.core.personal import mask_phone
from laoyuan.people.models import Person

PAGE_SIZE = 50
# How long a phone verified by a one-time code may be used to finish signing up.
SIGNUP_SESSION_MINUTES = 30
SIGNUP_PHONE = "signup_phone"
SIGNUP_VERIFIED = "signup_verified_at"


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _render_form(
    request: HttpRequest, template: str, form: Form, context: dict[str, Any] | None = None
) -> HttpResponse:
    """The whole page, or only the form for an htmx refresh."""
    context = {"form": form, **(context or {})}
    if _is_htmx(request) and REFRESH in request.POST:
        return render(request, "accounts/_form.html", context)
    return render(request, template, context)


def _form_page(
    request: HttpRequest,
    form_class: Callable[..., Form],
    form_kwargs: dict[str, Any],
    *,
    act: Callable[[dict[str, Any]], HttpResponse],
    context: dict[str, Any],
    template: str = "accounts/form_page.html",
    not_redrawn: tuple[str, ...] = (),
) -> HttpResponse:
    """A form whose later choices depend on earlier ones (it redraws itself through this page).

    A POST submits it: ``act`` gets the cleaned data, calls one service and answers (a
    ValidationError from the service goes onto the form). A POST with ``_refresh`` only redraws
    the form with the choices for the posted values (less ``not_redrawn`` ones, such as
    passwords), without judging it; a GET draws it with the query's values.
    """

    def make_form(**kwargs: Any) -> Form:
        return form_class(refresh_url=request.path, **form_kwargs, **kwargs)

    if request.method == "POST" and REFRESH not in request.POST:
        form = make_form(data=request.POST)
        if form.is_valid():
            try:
                return act(form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
    elif request.method == "POST":
        posted = request.POST.items()
        skipped = {"csrfmiddlewaretoken", *not_redrawn}
        form = make_form(initial={key: str(value) for key, value in posted if key not in skipped})
    else:
        form = make_form(initial=request.GET.dict())
    return _render_form(request, template, form, context)


# --- Users and roles -----------------------------------------------------------------------------


def _require_manager(request: HttpRequest) -> None:
    if not queries.manages_users(request.user):
        raise Http404


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """People holding roles inside the actor's scope, with the roles they hold there."""
    _require_manager(request)
    search = request.GET.get("q", "").strip()[:100]
    role = request.GET.get("role", "")
    role = role if role in Role.values else ""
    qs = queries.users_in_scope(actor=request.user, search=search, role=role)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    shown = [a.pk for user in page.object_list for a in getattr(user, "visible_assignments", [])]
    revocable = set(
        queries.revocable_assignments(request.user)
        .filter(pk__in=shown)
        .values_list("pk", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/users.html",
        {
            "page": page,
            "query": query.urlencode(),
            "search": search,
            "role": role,
            "roles": Role.choices,
            "revocable": revocable,
        },
    )


@login_required
def grant(request: HttpRequest) -> HttpResponse:
    _require_manager(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        assignment = services.grant_role(
            actor=request.user, user=data["account"], role=data["role"], scope=data["scope_object"]
        )
        messages.success(
            request,
            _("%(user)s now holds the role %(role)s at %(scope)s.")
            % {
                "user": assignment.user.display_name,
                "role": assignment.get_role_display(),
                "scope": assignment.scope_label,
            },
        )
        return redirect("accounts:users")

    return _form_page(
        request,
        GrantForm,
        {"actor": request.user},
        act=act,
        context={"title": _("Grant a role"), "submit": _("Grant the role")},
    )


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    _require_manager(request)

    def act(data: dict[str, Any]) -> HttpResponse:
        invitation, _token = services.invite_user(
            actor=request.user,
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            role=data["role"],
            scope=data["scope_object"],
            accept_url=lambda token: request.build_absolute_uri(
                reverse("accounts:accept_invite", args=[token])
            ),
        )
        expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M")
        messages.success(
            request,
            _("The invitation for %(name)s was sent. The link works until %(date)s.")
            % {"name": invitation.name, "date": expires},
        )
        return redirect("accounts:users")

    return _form_page(
        request,
        InviteForm,
        {"actor": request.user},
        act=act,
        context={"title": _("Invite a person"), "submit": _("Send the invitation")},
    )


@login_required
@require_POST
def revoke(request: HttpRequest, assignment_id: int) -> HttpResponse:
    _require_manager(request)
    assignment = (
        queries.visible_assignments(request.user)
        .select_related(*queries.assignment_display_related(), "user")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None or (
        assignment.user_id != request.user.pk
        and not queries.may_revoke(request.user, assignment=assignment)
    ):
        raise Http404
    try:
        services.revoke_role(actor=request.user, assignment=assignment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(
            request,
            _("The role %(role)s of %(user)s at %(scope)s was revoked.")
            % {
                "role": assignment.get_role_display(),
                "user": assignment.user.display_name,
                "scope": assignment.scope_label,
            },
        )
    return redirect("accounts:users")


@never_cache
def accept_invite(request: HttpRequest, token: str) -> HttpResponse:
    invitation = queries.find_invitation(token)
    if invitation is None or not services.invitation_is_open(invitation):
        return render(request, "accounts/invite_invalid.html", status=404)
    user = invitation.assignment.user
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.accept_invitation(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            user.refresh_from_db()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Laoyuan. Your password is set."))
            return redirect("dashboard:home")
    return render(request, "accounts/accept_invite.html", {"form": form, "invitation": invitation})


# --- Residents -----------------------------------------------------------------------------------


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


# --- Phone sign-up -------------------------------------------------------------------------------


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


# --- Unmasked personal data ----------------------------------------------------------------------


@login_required
@require_POST
@never_cache
def reveal(request: HttpRequest, person_id: int, field: str) -> HttpResponse:
    """The whole phone or ID number, as an htmx fragment; every view is logged."""
    if field not in services.REVEALABLE_FIELDS or not services.may_reveal(request.user, field):
        raise Http404
    person = get_scoped_or_404(Person.objects.all(), request.user, pk=person_id)
    try:
        value = services.reveal_personal_data(viewer=request.user, person=person, field=field)
    except (ValueError, PermissionDenied):
        raise Http404 from None
    return HttpResponse(
        format_html('<span class="revealed" data-field="{}">{}</span>', field, value)
    )


# --- Audit trail ---------------------------------------------------------------------------------


@login_required
def audit(request: HttpRequest) -> HttpResponse:
    """The audit trail: the district sees all of it, a street officer their street's events."""
    visible = queries.audit_visibility(request.user)
    if visible is None:
        raise Http404
    form = AuditFilterForm(request.GET or None, actions=queries.audit_actions(visible=visible))
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "action": form.cleaned_data["action"],
            "date_from": form.cleaned_data["date_from"],
            "date_to": form.cleaned_data["date_to"],
        }
    events = queries.audit_events(visible=visible, **filters)
    if request.GET.get("export") == "xlsx":
        return _audit_workbook(events)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "accounts/audit.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


def _audit_workbook(events: Any) -> HttpResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Audit trail"))
    sheet.append([_("Time"), _("Actor"), _("Action"), _("Object"), _("Summary")])
    for event in events.iterator(chunk_size=2000):
        sheet.append(
            [
                timezone.localtime(event.at).replace(tzinfo=None),
                event.actor.display_name if event.actor else "",
                event.action,
                f"{event.target_type}#{event.target_id}",
                event.summary,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response
