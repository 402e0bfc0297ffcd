"""A resident's own hours (我的时间银行): balance, expiry, claims, postings, redemptions and
donations; redeeming hours for a fee discount and giving hours to a neighbour, each with a
confirmation step; and claiming hours for an activity (by the volunteer, or by the community or
the organiser on their behalf).

Only the resident role counts for the household pages: the community acts for a household on
``households.household``. Money and hours actions take two steps: the first shows exactly what
will happen (the service runs and is rolled back, so its refusals show on the field at once and
its figures are the real ones), the second does it."""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import get_scoped_or_404, scoped
from laoyuan.billing.enums import AccountKind
from laoyuan.billing.models import ZERO
from laoyuan.billing.models import Account as FeeAccount
from laoyuan.billing.services.ledger import balance as fee_balance
from laoyuan.core.forms import apply_service_errors
from laoyuan.core.params import parse_id
from laoyuan.places.models import House
from laoyuan.timebank import queries
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.forms import ClaimForm, DonateForm, RedeemForm
from laoyuan.timebank.models import (
    Activity,
    Claim,
    Donation,
    Rate,
    Redemption,
    Volunteer,
    minutes_label,
)
from laoyuan.timebank.services import claims, exchange

RESIDENT = [Role.RESIDENT]
# How many postings, redemptions, donations and claims a page lists (newest first).
LIST_LIMIT = 50


def hours_in_words(minutes: int) -> str:
    """``390`` → "6 hours 30 minutes" (plain words for elderly residents)."""
    hours, rest = divmod(abs(int(minutes)), 60)
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if rest or not hours:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", rest) % {"n": rest})
    return " ".join(parts)


def own_houses(user: Any) -> QuerySet[House]:
    return (
        scoped(House.objects.all(), user, RESIDENT)
        .select_related("building", "compound")
        .order_by("compound__name", "building__number", "unit", "room", "id")
    )


def neighbours(house: House) -> QuerySet[House]:
    """The other households of the house's compound, by label (hours may be given to them)."""
    return (
        House.objects.filter(compound_id=house.compound_id)
        .exclude(pk=house.pk)
        .select_related("building")
        .order_by("building__number", "unit", "room", "id")
    )


def fee_owed(house: House) -> Decimal:
    """What the household owes on its open fee account (zero when in credit or never billed);
    read without opening an account."""
    account = (
        FeeAccount.objects.filter(kind=AccountKind.HOUSEHOLD, house=house, closed_on__isnull=True)
        .only("pk")
        .first()
    )
    return max(fee_balance(account), ZERO) if account is not None else ZERO


@dataclass
class Household:
    """One household's hours, as the resident's page and the community's page show them."""

    house: House
    account: queries.Account
    rate: Rate | None
    redeemed: Decimal
    value: Decimal | None
    owed: Decimal
    redemptions: list[Redemption]
    donations: list[Donation]
    redeem_form: RedeemForm
    donate_form: DonateForm
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def balance_label(self) -> str:
        return minutes_label(self.account.balance_minutes)

    @property
    def balance_words(self) -> str:
        return hours_in_words(self.account.balance_minutes)

    @property
    def cap_left(self) -> Decimal | None:
        return max(self.rate.yearly_cap - self.redeemed, ZERO) if self.rate else None

    @property
    def postings(self) -> list[dict[str, Any]]:
        return [
            {"row": row, "label": minutes_label(abs(row.minutes)), "gain": row.minutes > 0}
            for row in self.account.postings
        ]

    @property
    def expiry(self) -> dict[str, Any] | None:
        found = self.account.next_expiry
        if found is None:
            return None
        return {"on": found[0], "label": minutes_label(found[1])}


def household(
    house: House,
    houses: QuerySet[House],
    *,
    today: datetime.date,
    rates: dict[int, Rate | None],
    redeem_form: RedeemForm | None = None,
    donate_form: DonateForm | None = None,
) -> Household:
    """A household's figures and lists in a fixed number of queries."""
    district_id = house.compound.district_id
    if district_id not in rates:
        rates[district_id] = exchange.rate_on(district_id, today)
    rate = rates[district_id]
    account = queries.account(house, limit=LIST_LIMIT)
    prefix = f"h{house.pk}"
    redemptions = list(
        Redemption.objects.filter(house=house)
        .select_related("pool", "payment__receipt")
        .order_by("-created_at", "-id")[:LIST_LIMIT]
    )
    donations = list(
        Donation.objects.filter(Q(from_house=house) | Q(to_house=house))
        .select_related("from_house__building", "to_house__building")
        .order_by("-created_at", "-id")[:LIST_LIMIT]
    )
    for redemption in redemptions:
        redemption.label = minutes_label(redemption.minutes)  # type: ignore[attr-defined]
    for donation in donations:
        donation.label = minutes_label(donation.minutes)  # type: ignore[attr-defined]
    return Household(
        house=house,
        account=account,
        rate=rate,
        redeemed=exchange.redeemed_this_year(house, today.year),
        value=exchange.discount_for(account.balance_minutes, rate.yuan_per_hour)
        if rate is not None
        else None,
        owed=fee_owed(house),
        redemptions=redemptions,
        donations=donations,
        redeem_form=redeem_form
        or RedeemForm(houses=houses, initial={"house": house.pk}, auto_id=f"redeem-{prefix}-%s"),
        donate_form=donate_form
        or DonateForm(
            houses=houses,
            neighbours=neighbours(house),
            initial={"house": house.pk},
            auto_id=f"donate-{prefix}-%s",
        ),
    )


def _on_hours(error: ValidationError) -> ValidationError:
    """The services name the amount ``minutes``; the form asks hours first, so the message
    goes under the hours box, where the resident looks."""
    if not hasattr(error, "error_dict") or "minutes" not in error.error_dict:
        return error
    errors = dict(error.message_dict)
    errors["hours"] = errors.get("hours", []) + errors.pop("minutes")
    return ValidationError(errors)


class _DryRun(Exception):
    def __init__(self, result: Any) -> None:
        self.result = result


def dry_run[T](service: Callable[..., T], **kwargs: Any) -> T:
    """Run a service and roll it back: the confirmation step shows the real figures (the rate,
    the yuan, the pool) and the real refusals, and writes nothing. Its notifications are
    scheduled on commit, so they are dropped with the rollback."""
    try:
        with transaction.atomic():
            raise _DryRun(service(**kwargs))
    except _DryRun as done:
        return done.result


def _redeem_step(
    request: HttpRequest, form: RedeemForm
) -> tuple[str, dict[str, Any] | Redemption | None]:
    """Check the form and either preview (``"confirm"``) or redeem (``"done"``); ``"invalid"``
    with the errors on the form."""
    if not form.is_valid():
        return "invalid", None
    house = form.cleaned_data["house"]
    kwargs = {
        "actor": request.user,
        "house": house,
        "minutes": form.total_minutes,
        "pool": form.cleaned_data.get("pool"),
    }
    try:
        if not form.cleaned_data.get("confirm"):
            preview = dry_run(exchange.redeem, **kwargs)
            return "confirm", {
                "kind": "redeem",
                "house": house,
                "hours": form.cleaned_data["hours"],
                "minutes": form.cleaned_data.get("minutes") or 0,
                "label": minutes_label(preview.minutes),
                "words": hours_in_words(preview.minutes),
                "amount": preview.amount,
                "yuan_per_hour": preview.yuan_per_hour,
                "pool": preview.pool,
                "reference": uuid.uuid4().hex,
            }
        return "done", exchange.redeem(**kwargs, reference=form.cleaned_data.get("reference", ""))
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        apply_service_errors(form, _on_hours(error))
        return "invalid", None


def _donate_step(
    request: HttpRequest, form: DonateForm
) -> tuple[str, dict[str, Any] | Donation | None]:
    if not form.is_valid():
        return "invalid", None
    house, to_house = form.cleaned_data["house"], form.cleaned_data["to_house"]
    kwargs = {
        "actor": request.user,
        "house": house,
        "to_house": to_house,
        "minutes": form.total_minutes,
        "note": form.cleaned_data.get("note", ""),
    }
    try:
        if not form.cleaned_data.get("confirm"):
            preview = dry_run(exchange.donate, **kwargs)
            return "confirm", {
                "kind": "donate",
                "house": house,
                "to_house": to_house,
                "hours": form.cleaned_data["hours"],
                "minutes": form.cleaned_data.get("minutes") or 0,
                "note": kwargs["note"],
                "label": minutes_label(preview.minutes),
                "words": hours_in_words(preview.minutes),
            }
        return "done", exchange.donate(**kwargs)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as error:
        apply_service_errors(form, _on_hours(error))
        return "invalid", None


def redeemed_message(redemption: Redemption, *, receipt_link: bool) -> str:
    number = redemption.payment.receipt.number
    text = _("Done: %(hours)s hours became %(amount)s yuan off the fees. Receipt %(number)s.") % {
        "hours": minutes_label(redemption.minutes),
        "amount": redemption.amount,
        "number": number,
    }
    if not receipt_link:
        return text
    return format_html(
        '{} <a href="{}" data-receipt>{}</a>',
        text,
        reverse("billing:resident_receipt", kwargs={"number": number}),
        _("Open the receipt"),
    )


def donated_message(donation: Donation) -> str:
    return _("Done: %(hours)s hours given to household %(house)s.") % {
        "hours": minutes_label(donation.minutes),
        "house": donation.to_house.label,
    }


def _mine_page(
    request: HttpRequest,
    houses: QuerySet[House],
    *,
    forms: dict[int, dict[str, Any]] | None = None,
    confirm: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    forms = forms or {}
    if confirm is not None:
        return render(request, "timebank/mine.html", {"confirm": confirm}, status=status)
    rates: dict[int, Rate | None] = {}
    households = [
        household(house, houses, today=today, rates=rates, **forms.get(house.pk, {}))
        for house in houses
    ]
    volunteer = claims.volunteer_of(user)
    claimable: list[Activity] = []
    my_claims: list[Claim] = []
    if volunteer is not None:
        claimable = list(queries.claimable(volunteer)[:LIST_LIMIT])
        my_claims = list(
            Claim.objects.filter(volunteer=volunteer)
            .select_related("activity")
            .order_by("-created_at", "-id")[:LIST_LIMIT]
        )
    for claim in my_claims:
        claim.label = minutes_label(claim.minutes)  # type: ignore[attr-defined]
    for activity in claimable:
        activity.label = minutes_label(activity.minutes)  # type: ignore[attr-defined]
    return render(
        request,
        "timebank/mine.html",
        {
            "households": households,
            "volunteer": volunteer,
            "claimable": claimable,
            "claims": my_claims,
            "statuses": ClaimStatus,
            "today": today,
        },
        status=status,
    )


def _houses_or_404(user: Any) -> QuerySet[House]:
    houses = own_houses(user)
    if not houses.exists():
        raise Http404
    return houses


@login_required
@require_GET
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    """My household's hours and what I can do with them."""
    return _mine_page(request, _houses_or_404(request.user))


@login_required
@require_POST
@never_cache
def redeem(request: HttpRequest) -> HttpResponse:
    """Hours → a discount on the household's fees: first the confirmation, then the redemption."""
    houses = _houses_or_404(request.user)
    house_pk = request.POST.get("house", "")
    form = RedeemForm(request.POST, houses=houses, auto_id=f"redeem-h{parse_id(house_pk) or 0}-%s")
    step, result = _redeem_step(request, form)
    if step == "confirm":
        assert isinstance(result, dict)
        result.update(action=reverse("timebank:redeem"), back=reverse("timebank:mine"))
        return _mine_page(request, houses, confirm=result)
    if step == "done":
        assert isinstance(result, Redemption)
        messages.success(request, redeemed_message(result, receipt_link=True))
        return redirect("timebank:mine")
    return _invalid(request, houses, form, "redeem_form")


@login_required
@require_POST
@never_cache
def donate(request: HttpRequest) -> HttpResponse:
    """Give hours to another household of the compound: first the confirmation, then the gift."""
    houses = _houses_or_404(request.user)
    house_pk = request.POST.get("house", "")
    chosen = houses.filter(pk=parse_id(house_pk) or 0).first()
    form = DonateForm(
        request.POST,
        houses=houses,
        neighbours=neighbours(chosen) if chosen else House.objects.none(),
        auto_id=f"donate-h{chosen.pk if chosen else 0}-%s",
    )
    step, result = _donate_step(request, form)
    if step == "confirm":
        assert isinstance(result, dict)
        result.update(action=reverse("timebank:donate"), back=reverse("timebank:mine"))
        return _mine_page(request, houses, confirm=result)
    if step == "done":
        assert isinstance(result, Donation)
        messages.success(request, donated_message(result))
        return redirect("timebank:mine")
    return _invalid(request, houses, form, "donate_form")


def _invalid(request: HttpRequest, houses: QuerySet[House], form: Any, name: str) -> HttpResponse:
    """The page again with the form's errors on its fields (nothing was written)."""
    house = form.cleaned_data.get("house") if hasattr(form, "cleaned_data") else None
    if house is None:
        raw = form.data.get("house", "")
        house = houses.filter(pk=parse_id(raw) or 0).first()
    if house is None:
        # No house of the user's was named: the first household shows the error.
        house = houses.first()
        if house is not None:
            form.add_error(None, _("Choose your household."))
    forms = {house.pk: {name: form}} if house is not None else {}
    return _mine_page(request, houses, forms=forms, status=400)


# --- Claims ------------------------------------------------------------------------------------


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value).replace(second=0, microsecond=0)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def claim_new(request: HttpRequest) -> HttpResponse:
    """Claim hours for an activity: the volunteer themself, or the community or the activity's
    organiser for a volunteer (``?volunteer=``), logged by the service as on their behalf."""
    user = request.user
    params = request.POST if request.method == "POST" else request.GET
    raw_activity = request.GET.get("activity") or params.get("activity", "")
    raw_volunteer = request.GET.get("volunteer") or params.get("volunteer", "")
    activity_id, volunteer_id = parse_id(raw_activity), parse_id(raw_volunteer)
    if activity_id is None or (raw_volunteer and volunteer_id is None):
        raise Http404
    activity = get_scoped_or_404(
        Activity.objects.select_related("compound", "org"), user, pk=activity_id
    )
    own = claims.volunteer_of(user)
    if raw_volunteer:
        volunteer = get_scoped_or_404(
            Volunteer.objects.select_related("house__building"), user, pk=int(raw_volunteer)
        )
    elif own is not None:
        volunteer = own
    else:
        raise Http404
    on_behalf = own is None or own.pk != volunteer.pk
    if on_behalf and not claims.may_claim_for(user, volunteer, activity):
        raise Http404
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                claim = claims.create_claim(
                    actor=user,
                    activity=activity,
                    volunteer=volunteer,
                    start=form.cleaned_data["start"],
                    end=form.cleaned_data["end"],
                    note=form.cleaned_data.get("note") or "",
                    photo=form.cleaned_data.get("photo"),
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                if claim.on_behalf:
                    messages.success(
                        request,
                        _("Claim of %(hours)s hours made for household %(house)s.")
                        % {"hours": minutes_label(claim.minutes), "house": volunteer.house.label},
                    )
                    return redirect("timebank:claim_detail", pk=claim.pk)
                messages.success(
                    request,
                    _(
                        "Thank you. Your claim of %(hours)s hours was sent; it will be checked "
                        "by %(due)s."
                    )
                    % {"hours": minutes_label(claim.minutes), "due": claim.due_on},
                )
                return redirect("timebank:mine")
    else:
        form = ClaimForm(initial={"start": _local(activity.start), "end": _local(activity.end)})
    return render(
        request,
        "timebank/claim_new.html",
        {
            "form": form,
            "activity": activity,
            "activity_label": minutes_label(activity.minutes),
            "volunteer": volunteer,
            "on_behalf": on_behalf,
        },
        status=400 if form.errors else 200,
    )
