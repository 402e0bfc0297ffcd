"""Rates, pools, redemptions (hours → fee discount) and donations of hours.

``redeem`` is the one service that turns hours into money: in one transaction it posts the
household's expired minutes first, checks the hours held, the published rate in force, the yearly
cap, what the household owes and what the pool has left, then takes the minutes out of the hours
ledger and puts the discount into the fee ledger (``billing.services.discounts``), whose receipt
shows it as a time-bank discount. Nothing is ever paid out in cash.

Locks: the household's fee account, then the hours account, then the pool's fund, then the
company's receipt counter — the fee account first, as payments take it.
"""

import datetime
import uuid
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for
from laoyuan.billing.models import ZERO, Account
from laoyuan.billing.services import discounts
from laoyuan.billing.services.ledger import balance as fee_balance
from laoyuan.billing.services.ledger import household_account as fee_account
from laoyuan.billing.services.ledger import lock_account
from laoyuan.core import audit
from laoyuan.core.money import FEN, to_fen
from laoyuan.places.models import House
from laoyuan.timebank import notices
from laoyuan.timebank.enums import HourAccountKind, HourEntryKind
from laoyuan.timebank.models import (
    Contribution,
    Donation,
    HourAccount,
    HourPosting,
    Pool,
    Rate,
    Redemption,
    minutes_label,
)
from laoyuan.timebank.scoping import MANAGER_ROLES, STAFF_ROLES, covers
from laoyuan.timebank.services import ledger
from laoyuan.timebank.services.claims import of_household

MAX_MINUTES = 1_000_000


def _house_place(house: House) -> dict[str, int]:
    compound = house.compound
    return {
        "district_id": compound.district_id,
        "street_id": compound.street_id,
        "community_id": compound.community_id,
    }


def acting_as(user: Any, house: House) -> str | None:
    """``"resident"`` for the household itself, ``"community"`` for staff acting on its behalf
    (logged as such), else None."""
    if house.pk in scope_for(user, {Role.RESIDENT}).house:
        return Role.RESIDENT
    if covers(scope_for(user, STAFF_ROLES), **_house_place(house)):
        return Role.COMMUNITY
    return None


# --- Rates -------------------------------------------------------------------------------------


def rate_on(district_id: int, day: datetime.date) -> Rate | None:
    """The rate in force on ``day``: the newest version effective by then."""
    return (
        Rate.objects.filter(district_id=district_id, effective_from__lte=day)
        .order_by("-effective_from", "-id")
        .first()
    )


@transaction.atomic
def publish_rate(
    *,
    actor: Any,
    district_id: int,
    yuan_per_hour: Any,
    yearly_cap: Any,
    effective_from: Any,
    note: str = "",
) -> Rate:
    """Publish a new rate version (the district office). Past redemptions keep the rate they
    used; a version takes effect from its day, never before today."""
    if (
        district_id not in scope_for(actor, {Role.DISTRICT}).district
        and not scope_for(actor, {Role.DISTRICT}).everything
    ):
        raise PermissionDenied
    errors: dict[str, str] = {}
    for field, value in (("yuan_per_hour", yuan_per_hour), ("yearly_cap", yearly_cap)):
        if not isinstance(value, Decimal) or value <= ZERO or to_fen(value) != value:
            errors[field] = _("Enter a positive amount in yuan with at most two decimal places.")
        elif value >= Decimal("1000000"):
            errors[field] = _("Enter a smaller amount.")
    if not isinstance(effective_from, datetime.date):
        errors["effective_from"] = _("Enter the day the rate takes effect.")
    elif effective_from < timezone.localdate():
        errors["effective_from"] = _("A rate cannot take effect in the past.")
    elif Rate.objects.filter(district_id=district_id, effective_from=effective_from).exists():
        errors["effective_from"] = _("A rate already takes effect on this day.")
    if errors:
        raise ValidationError(errors)
    rate = Rate.objects.create(
        district_id=district_id,
        yuan_per_hour=yuan_per_hour,
        yearly_cap=yearly_cap,
        effective_from=effective_from,
        note=(note or "")[:200],
        published_by=actor,
    )
    audit.record(
        actor=actor,
        action="timebank.rate",
        target=rate,
        summary=f"offset rate {yuan_per_hour} yuan/hour, cap {yearly_cap} a year, "
        f"from {effective_from}",
        changes={
            "yuan_per_hour": yuan_per_hour,
            "yearly_cap": yearly_cap,
            "effective_from": effective_from,
        },
        district_id=district_id,
    )
    return rate


# --- Pools -------------------------------------------------------------------------------------


def pools_for(house: House) -> list[Pool]:
    """The active pools serving the house: its community's first, then its street's, then the
    district's."""
    compound = house.compound
    rows = Pool.objects.filter(
        Q(community_id=compound.community_id)
        | Q(community__isnull=True, street_id=compound.street_id)
        | Q(street__isnull=True, district_id=compound.district_id),
        active=True,
    ).select_related("fund")
    return sorted(
        rows, key=lambda pool: (0 if pool.community_id else 1 if pool.street_id else 2, pool.pk)
    )


@transaction.atomic
def create_pool(
    *,
    actor: Any,
    name: str,
    source_kind: str,
    district_id: int,
    street_id: int | None = None,
    community_id: int | None = None,
    sponsor: str = "",
) -> Pool:
    """A new named pool serving a community, a street or the district (its office creates it)."""
    from laoyuan.places.models import Community, Street

    scope = scope_for(actor, MANAGER_ROLES)
    if community_id is not None:
        community = Community.objects.get(pk=community_id)
        street_id, district_id = community.street_id, community.district_id
        allowed = covers(
            scope, district_id=district_id, street_id=street_id, community_id=community_id
        )
    elif street_id is not None:
        street = Street.objects.get(pk=street_id)
        district_id = street.district_id
        allowed = scope.everything or district_id in scope.district or street_id in scope.street
    else:
        allowed = scope.everything or district_id in scope.district
    if not allowed:
        raise PermissionDenied
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Name the pool.")
    elif len(name) > 100:
        errors["name"] = _("At most 100 characters.")
    elif Pool.objects.filter(district_id=district_id, name=name).exists():
        errors["name"] = _("A pool of this name exists already.")
    if source_kind not in {"welfare", "sponsor", "other"}:
        errors["source_kind"] = _("Choose where the money comes from.")
    if errors:
        raise ValidationError(errors)
    fund, source = discounts.open_pool_accounts(
        name=name, district_id=district_id, street_id=street_id
    )
    pool = Pool.objects.create(
        name=name,
        source_kind=source_kind,
        sponsor=(sponsor or "").strip()[:100],
        district_id=district_id,
        street_id=street_id,
        community_id=community_id,
        fund=fund,
        source=source,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="timebank.pool",
        target=pool,
        summary=f"offset pool {name} ({source_kind})",
        changes={"name": name, "source": source_kind, "sponsor": pool.sponsor},
        district_id=district_id,
        street_id=street_id,
    )
    return pool


def may_manage_pool(user: Any, pool: Pool) -> bool:
    scope = scope_for(user, MANAGER_ROLES)
    if pool.community_id is not None:
        return covers(
            scope,
            district_id=pool.district_id,
            street_id=pool.street_id or 0,
            community_id=pool.community_id,
        )
    if pool.street_id is not None:
        return (
            scope.everything or pool.district_id in scope.district or pool.street_id in scope.street
        )
    return scope.everything or pool.district_id in scope.district


@transaction.atomic
def contribute(
    *,
    actor: Any,
    pool: Pool,
    amount: Any,
    reference: str,
    received_on: datetime.date | None = None,
) -> Contribution:
    """Record money put into a pool (the same reference twice records it once)."""
    if not may_manage_pool(actor, pool):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if not isinstance(amount, Decimal) or amount <= ZERO or to_fen(amount) != amount:
        errors["amount"] = _("Enter a positive amount in yuan with at most two decimal places.")
    elif amount >= Decimal("100000000"):
        errors["amount"] = _("Enter a smaller amount.")
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = _("Give the transfer's or the voucher's reference.")
    elif len(reference) > 64:
        errors["reference"] = _("At most 64 characters.")
    received_on = received_on or timezone.localdate()
    if received_on > timezone.localdate():
        errors["received_on"] = _("The day the money was received cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    existing = Contribution.objects.filter(pool=pool, reference=reference).first()
    if existing is not None:
        if existing.amount != amount:
            raise ValidationError(
                {"reference": _("This reference was recorded with another amount.")}
            )
        return existing
    entry = discounts.post_contribution(
        fund=pool.fund,
        source=pool.source,
        amount=amount,
        reference=f"pool-{pool.pk}-{reference}"[:64],
        memo=f"{pool.name}: {reference}",
        actor=actor,
    )
    contribution = Contribution.objects.create(
        pool=pool,
        amount=amount,
        received_on=received_on,
        reference=reference,
        entry=entry,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="timebank.contribution",
        target=contribution,
        summary=f"{amount} into pool {pool.name} ({reference})",
        changes={"pool": pool.name, "amount": amount, "reference": reference},
        district_id=pool.district_id,
        street_id=pool.street_id,
    )
    return contribution


def pool_left(pool: Pool) -> Decimal:
    return discounts.fund_left(pool.fund_id)


# --- Redemption --------------------------------------------------------------------------------


def redeemed_this_year(house: House, year: int) -> Decimal:
    total = Redemption.objects.filter(house=house, year=year).aggregate(total=Sum("amount"))
    return to_fen(total["total"] or ZERO)


def discount_for(minutes: int, yuan_per_hour: Decimal) -> Decimal:
    """The discount ``minutes`` earn at ``yuan_per_hour``, rounded down to the fen: rounding
    half-up would let many small redemptions earn more than one large one."""
    return (Decimal(minutes) * yuan_per_hour / Decimal(60)).quantize(FEN, rounding=ROUND_DOWN)


def _check_minutes(minutes: Any, field: str = "minutes") -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise ValidationError({field: _("Enter a whole number of minutes, at least 1.")})
    if minutes > MAX_MINUTES:
        raise ValidationError({field: _("Enter a smaller number of minutes.")})
    return minutes


@transaction.atomic
def redeem(
    *,
    actor: Any,
    house: House,
    minutes: Any,
    pool: Pool | None = None,
    today: datetime.date | None = None,
    reference: Any = "",
) -> Redemption:
    """Exchange ``minutes`` of the household's hours for a discount on its open property fees.
    Refused, with the field named and nothing written, beyond the hours held (after expiry), the
    year's cap, what the household owes, or what the pool has left; with no rate published.
    ``reference`` is the idempotency key: the same one for the household again returns the first
    redemption and writes nothing (refused if it was for another number of minutes)."""
    role = acting_as(actor, house)
    if role is None:
        raise PermissionDenied
    minutes = _check_minutes(minutes)
    if not isinstance(reference, str) or len(reference) > 64:
        raise ValidationError({"reference": _("Enter a reference of at most 64 characters.")})
    reference = reference.strip()
    today = today or timezone.localdate()
    compound = house.compound
    if compound.company_id is None:
        raise ValidationError({"house": _("This compound has no property company to pay.")})
    rate = rate_on(compound.district_id, today)
    if rate is None:
        raise ValidationError({"minutes": _("No offset rate has been published yet.")})
    if pool is not None and pool not in pools_for(house):
        raise ValidationError({"pool": _("This pool does not serve this household.")})
    candidates = [pool] if pool is not None else pools_for(house)
    if not candidates:
        raise ValidationError({"pool": _("No offset pool serves this household.")})

    fee = lock_account(fee_account(house, on=today).pk)
    if reference:
        # Read under the household's lock, so a concurrent retry waits and then finds this one.
        done = Redemption.objects.filter(house=house, reference=reference).first()
        if done is not None:
            if done.minutes != minutes:
                raise ValidationError(
                    {
                        "reference": _(
                            "The reference %(reference)s was already used to redeem %(hours)s "
                            "hours; check the reference."
                        )
                        % {"reference": reference, "hours": minutes_label(done.minutes)}
                    }
                )
            return done
    hours = ledger.lock(ledger.household_account(house))
    ledger.post_expiry(hours, today=today, actor=actor)
    held = ledger.balance(hours)
    amount = discount_for(minutes, rate.yuan_per_hour)
    errors: dict[str, str] = {}
    if minutes > held:
        errors["minutes"] = _("The household holds %(held)s hours (h:mm) that can be redeemed.") % {
            "held": minutes_label(held)
        }
    elif amount <= ZERO:
        errors["minutes"] = _("%(minutes)s minutes are worth less than one fen.") % {
            "minutes": minutes
        }
    else:
        used = redeemed_this_year(house, today.year)
        room = rate.yearly_cap - used
        owed = max(fee_balance(fee), ZERO)
        if amount > room:
            errors["minutes"] = _(
                "%(amount)s yuan is above this year's cap: %(used)s of %(cap)s yuan used, "
                "%(room)s left."
            ) % {"amount": amount, "used": used, "cap": rate.yearly_cap, "room": max(room, ZERO)}
        elif amount > owed:
            errors["minutes"] = _(
                "%(amount)s yuan is more than the household owes (%(owed)s yuan)."
            ) % {"amount": amount, "owed": owed}
    if errors:
        raise ValidationError(errors)
    chosen = None
    best = ZERO
    for candidate in candidates:
        Account.objects.select_for_update().filter(pk=candidate.fund_id).get()
        left = discounts.fund_left(candidate.fund_id)
        if left >= amount:
            chosen = candidate
            break
        best = max(best, left)
    if chosen is None:
        raise ValidationError(
            {
                "pool" if pool is not None else "minutes": _(
                    "%(amount)s yuan is more than the pool has left (%(left)s yuan)."
                )
                % {"amount": amount, "left": best}
            }
        )
    redeemed = ledger.system_account(compound.district_id, HourAccountKind.REDEEMED)
    entry = ledger.post(
        kind=HourEntryKind.REDEEM,
        lines=[ledger.HourLine(hours, -minutes), ledger.HourLine(redeemed, minutes)],
        district_id=compound.district_id,
        street_id=compound.street_id,
        house_id=house.pk,
        on=today,
        memo=f"{amount} yuan at {rate.yuan_per_hour}/h",
        actor=actor,
    )
    receipt = discounts.grant_discount(
        house=house,
        amount=amount,
        fund=chosen.fund,
        reference=f"TB-{uuid.uuid4().hex[:16]}",
        actor=actor,
        note=_("Time-bank discount: %(hours)s h at %(rate)s yuan/h")
        % {
            "hours": minutes_label(minutes),
            "rate": rate.yuan_per_hour,
        },
        on=today,
    )
    redemption = Redemption.objects.create(
        house=house,
        compound=compound,
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
        minutes=minutes,
        rate=rate,
        yuan_per_hour=rate.yuan_per_hour,
        amount=amount,
        year=today.year,
        pool=chosen,
        hour_entry=entry,
        payment=receipt.payment,
        created_by=actor,
        on_behalf=role != Role.RESIDENT,
        reference=reference,
    )
    audit.record(
        actor=actor,
        action="timebank.redeem",
        target=redemption,
        summary=f"{minutes} min of house {house.label} → {amount} yuan off fees, receipt "
        f"{receipt.number}" + (" on the household's behalf" if redemption.on_behalf else ""),
        changes={
            "house": house.label,
            "minutes": minutes,
            "yuan_per_hour": rate.yuan_per_hour,
            "amount": amount,
            "pool": chosen.name,
            "receipt": receipt.number,
            "on_behalf": redemption.on_behalf,
        },
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    notices.tell(
        "timebank.redeemed",
        notices.household_users(house.pk),
        f"{minutes_label(minutes)} → {amount}",
        url=notices.mine_url(),
    )
    return redemption


# --- Donations ---------------------------------------------------------------------------------


@transaction.atomic
def donate(
    *,
    actor: Any,
    house: House,
    to_house: House,
    minutes: Any,
    note: str = "",
    today: datetime.date | None = None,
) -> Donation:
    """Give ``minutes`` of the household's hours to another household of the same district. The
    minutes keep the day of the oldest minutes given, so giving hours away and back never makes
    them last longer."""
    role = acting_as(actor, house)
    if role is None:
        raise PermissionDenied
    minutes = _check_minutes(minutes)
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if to_house.pk == house.pk:
        errors["to_house"] = _("Choose another household.")
    elif role != Role.RESIDENT and of_household(actor, to_house.pk):
        errors["to_house"] = _("Staff may not give a household's hours to their own household.")
    elif to_house.compound.district_id != house.compound.district_id:
        errors["to_house"] = _("Hours can be given within the district only.")
    note = (note or "").strip()
    if len(note) > 200:
        errors["note"] = _("At most 200 characters.")
    if errors:
        raise ValidationError(errors)
    first, second = sorted([house, to_house], key=lambda h: h.pk)
    accounts = {h.pk: ledger.lock(ledger.household_account(h)) for h in (first, second)}
    giver, taker = accounts[house.pk], accounts[to_house.pk]
    ledger.post_expiry(giver, today=today, actor=actor)
    held = ledger.balance(giver)
    if minutes > held:
        raise ValidationError(
            {
                "minutes": _("The household holds %(held)s hours (h:mm) that can be given.")
                % {"held": minutes_label(held)}
            }
        )
    day = ledger.oldest_day(giver, minutes) or today
    compound = house.compound
    entry = ledger.post(
        kind=HourEntryKind.DONATE,
        lines=[ledger.HourLine(giver, -minutes), ledger.HourLine(taker, minutes)],
        district_id=compound.district_id,
        street_id=compound.street_id,
        house_id=house.pk,
        on=day,
        memo=f"to house {to_house.pk}",
        actor=actor,
    )
    donation = Donation.objects.create(
        from_house=house,
        to_house=to_house,
        minutes=minutes,
        entry=entry,
        note=note,
        created_by=actor,
        on_behalf=role != Role.RESIDENT,
        district_id=compound.district_id,
        street_id=compound.street_id,
        community_id=compound.community_id,
    )
    audit.record(
        actor=actor,
        action="timebank.donate",
        target=donation,
        summary=f"{minutes} min from house {house.label} to house {to_house.label}",
        changes={"from": house.label, "to": to_house.label, "minutes": minutes},
        district_id=compound.district_id,
        street_id=compound.street_id,
    )
    notices.tell(
        "timebank.donated",
        notices.household_users(to_house.pk),
        minutes_label(minutes),
        url=notices.mine_url(),
    )
    return donation


def expire_all(*, today: datetime.date | None = None) -> int:
    """Post the expiry of every household's run-out minutes (nightly); returns how many
    households lost minutes."""
    today = today or timezone.localdate()
    cutoff = ledger.expiry_cutoff(today)
    # Households that still hold minutes and received some old enough to expire.
    old = HourPosting.objects.filter(
        account_id=OuterRef("pk"), minutes__gt=0, entry__on__lte=cutoff
    )
    candidates = (
        HourAccount.objects.filter(kind=HourAccountKind.HOUSEHOLD)
        .annotate(held=Sum("postings__minutes"))
        .filter(held__gt=0)
        .filter(Exists(old))
        .values_list("pk", flat=True)
    )
    count = 0
    for account_id in list(candidates):
        with transaction.atomic():
            account = ledger.lock(HourAccount.objects.get(pk=account_id))
            if ledger.post_expiry(account, today=today) is not None:
                count += 1
    return count
