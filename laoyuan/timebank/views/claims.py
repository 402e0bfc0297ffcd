"""Verifying claims of hours (时长核验): each verifier's queue, one claim's page with its photo
and history, and the verify / reject / reverse actions (``services.claims``).

Who reads a claim: whoever its scope rule lets (the offices by place, the volunteer's household),
and the organiser of its activity. Who acts: the services decide; a refusal on a claim the user
may read is 403, a claim out of reach is 404 for missing and out-of-scope alike.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.core.params import parse_id
from laoyuan.timebank import queries
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Activity, Claim, minutes_label
from laoyuan.timebank.scoping import STAFF_ROLES, holds, organiser_q
from laoyuan.timebank.services import claims as claim_services

PAGE_SIZE = 25
# Roles that have a verification queue whatever it holds (the community verifies, the street
# office hears of overdue claims); anyone else has one only as an activity's organiser.
QUEUE_ROLES = frozenset(STAFF_ROLES | {Role.STREET})
REVERSE_ROLES = frozenset({Role.COMMUNITY, Role.STREET})
TABS = ("first", "second", "flagged")


def _claim_or_404(user: Any, pk: int) -> Claim:
    claim = (
        queries.claims_for(user)
        .select_related(
            "activity__org",
            "activity__organiser",
            "volunteer__person",
            "house__building",
            "compound",
            "claimed_by",
            "verified_by",
            "second_by",
            "rejected_by",
        )
        .filter(pk=pk)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def _back(request: HttpRequest, claim: Claim) -> str:
    """Where an action returns: the page it came from (on this site), else the claim's page."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("timebank:claim_detail", args=[claim.pk])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ReverseForm(ReasonForm):
    confirm = forms.BooleanField(
        label=gettext_lazy("I confirm: take these hours back from the household."),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


def _service_errors(form: forms.Form, error: ValidationError) -> None:
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


# The queue ---------------------------------------------------------------------------------------


def _has_queue(user: Any) -> bool:
    return (
        scope_for(user, QUEUE_ROLES).has_role(*QUEUE_ROLES)
        or Activity.objects.filter(organiser_q(user, prefix="")).exists()
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The claims waiting for the user, flagged first then oldest due first; tabs by what they
    wait for, a filter by activity. A fixed number of queries whatever the number of rows."""
    if not _has_queue(request.user):
        raise Http404
    today = timezone.localdate()
    waiting = queries.queue(request.user)
    late_q = Q(flagged_at__isnull=False) | Q(due_on__lt=today)
    activities = Activity.objects.filter(id__in=waiting.order_by().values("activity_id")).order_by(
        "-start", "-id"
    )
    activity = None
    activity_id = parse_id(request.GET.get("activity"))
    if activity_id is not None:
        activity = next((row for row in activities if row.pk == activity_id), None)
    filtered = waiting.filter(activity=activity) if activity is not None else waiting
    counts = filtered.order_by().aggregate(
        total=Count("id"),
        first=Count("id", filter=Q(status=ClaimStatus.PENDING)),
        second=Count("id", filter=Q(status=ClaimStatus.SECOND)),
        flagged=Count("id", filter=late_q),
    )
    tab = request.GET.get("tab", "")
    if tab not in TABS:
        tab = ""
    shown = filtered
    if tab == "first":
        shown = shown.filter(status=ClaimStatus.PENDING)
    elif tab == "second":
        shown = shown.filter(status=ClaimStatus.SECOND)
    elif tab == "flagged":
        shown = shown.filter(late_q)
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for claim in page.object_list:
        rows.append(
            {
                "claim": claim,
                "late": claim.flagged_at is not None or claim.due_on < today,
                "days_late": (today - claim.due_on).days if claim.due_on < today else 0,
                # The first verifier waits for someone else.
                "mine_first": claim.status == ClaimStatus.SECOND
                and claim.verified_by_id == request.user.pk,
            }
        )
    labels = {
        "first": _("Waiting for a first verification"),
        "second": _("Waiting for a second verifier"),
        "flagged": _("Overdue or flagged"),
    }
    tabs = [
        {"tab": name, "label": labels[name], "count": counts[name], "active": name == tab}
        for name in TABS
    ]
    return render(
        request,
        "timebank/queue.html",
        {
            "page_obj": page,
            "rows": rows,
            "tabs": tabs,
            "tab": tab,
            "total": counts["total"],
            "late": counts["flagged"],
            "activities": activities,
            "activity": activity,
            "filtered": bool(activity is not None or tab),
            "today": today,
            "here": request.get_full_path(),
        },
    )


# One claim -------------------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    claim: Claim,
    *,
    reject_form: ReasonForm | None = None,
    reverse_form: ReverseForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # The refusals that name no field of the form (the claim's state) show above the page.
    shown = [str(error) for error in errors or []]
    for form in (reject_form, reverse_form):
        if form is not None:
            shown.extend(str(error) for error in form.non_field_errors())
    open_ = claim.status in (ClaimStatus.PENDING, ClaimStatus.SECOND)
    may_verify = open_ and claim_services.may_verify(user, claim)
    may_reverse = (
        claim.status == ClaimStatus.VERIFIED
        and holds(user, REVERSE_ROLES, claim)
        and not claim_services.in_household(user, claim.volunteer)
    )
    today = timezone.localdate()
    return render(
        request,
        "timebank/claim_detail.html",
        {
            "claim": claim,
            "activity": claim.activity,
            "minutes": minutes_label(claim.minutes),
            "open": open_,
            "late": open_ and (claim.flagged_at is not None or claim.due_on < today),
            "may_verify": may_verify,
            "mine_first": claim.status == ClaimStatus.SECOND and claim.verified_by_id == user.pk,
            "may_reverse": may_reverse,
            "reject_form": reject_form or ReasonForm(auto_id="reject_%s"),
            "reverse_form": reverse_form or ReverseForm(auto_id="reverse_%s"),
            "errors": shown,
            "staff_view": holds(user, QUEUE_ROLES, claim)
            or claim_services.is_organiser(user, claim.activity),
        },
        status=status,
    )


@login_required
@require_GET
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _claim_or_404(request.user, pk))


@login_required
@require_GET
def claim_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The claim's photo, to those who may read the claim (never a public media URL)."""
    claim = _claim_or_404(request.user, pk)
    if not claim.photo:
        raise Http404
    try:
        handle = claim.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = (claim.photo.name or "").lower()
    kind = "image/png" if name.endswith(".png") else "image/webp" if name.endswith("webp") else ""
    response = FileResponse(handle, content_type=kind or "image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def claim_verify(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request.user, pk)
    try:
        done = claim_services.verify_claim(actor=request.user, claim=claim)
    except ValidationError as error:
        return _detail(request, claim, errors=error.messages, status=400)
    if done.status == ClaimStatus.VERIFIED:
        messages.success(
            request,
            _("Verified: %(hours)s hours posted to household %(house)s.")
            % {"hours": minutes_label(done.minutes), "house": claim.house.label},
        )
    else:
        messages.success(request, _("Verified once: the claim now waits for a second verifier."))
    return redirect(_back(request, claim))


@login_required
@require_POST
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request.user, pk)
    form = ReasonForm(request.POST, auto_id="reject_%s")
    form.is_valid()
    try:
        claim_services.reject_claim(
            actor=request.user, claim=claim, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        _service_errors(form, error)
        return _detail(request, claim, reject_form=form, status=400)
    messages.success(request, _("Claim rejected; the volunteer is told the reason."))
    return redirect(_back(request, claim))


@login_required
@require_POST
def claim_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request.user, pk)
    form = ReverseForm(request.POST, auto_id="reverse_%s")
    form.is_valid()
    if not form.cleaned_data.get("confirm"):
        if not (holds(request.user, REVERSE_ROLES, claim)) or claim_services.in_household(
            request.user, claim.volunteer
        ):
            raise PermissionDenied
        form.add_error("confirm", _("Tick the box to confirm."))
        _service_errors(form, ValidationError({}))
        return _detail(request, claim, reverse_form=form, status=400)
    try:
        claim_services.reverse_claim(
            actor=request.user, claim=claim, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        _service_errors(form, error)
        return _detail(request, claim, reverse_form=form, status=400)
    messages.success(
        request,
        _("Claim reversed: %(hours)s hours taken back from household %(house)s.")
        % {"hours": minutes_label(claim.minutes), "house": claim.house.label},
    )
    return redirect("timebank:claim_detail", pk=claim.pk)
