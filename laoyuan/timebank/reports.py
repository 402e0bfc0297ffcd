"""The time bank's figures for the offices (district, street, community), over their scope and a
period of whole days (default: this year). Every table is one grouped query, whatever the number
of compounds, claims or pools:

- verified hours: minutes of the hours entries of kind ``earn`` posted to household accounts, net
  of their reversals (a reversal is an ``earn`` entry with the opposite minutes), each counted on
  its entry's day (``on``: the claim's day; a reversal carries its original's day), by category,
  compound, month and street or community;
- offsets granted: redemptions (yuan and minutes) by the day of their hours entry, by month,
  compound and street or community;
- pools: each pool serving the scope, with what was put in, granted and is left (now);
- the seed's figures (now): active volunteer organisations, active volunteers and the low-income
  ones among them, and the claims waiting for verification and those past their day to verify.

Everything reads through ``accounts.scoping`` as the offices' pages do. ``street_id`` and
``community_id`` narrow the figures to one place inside the scope (the drill-down); they never
widen it.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.scoping import Scope, scope_for, scoped
from laoyuan.billing.models import ZERO, Posting
from laoyuan.core.money import to_fen
from laoyuan.timebank.enums import (
    OPEN_CLAIM_STATUSES,
    Category,
    ClaimStatus,
    HourAccountKind,
    HourEntryKind,
)
from laoyuan.timebank.models import (
    Claim,
    Contribution,
    HourPosting,
    HoursMonth,
    Pool,
    Redemption,
    Volunteer,
    VolunteerOrg,
)
from laoyuan.timebank.scoping import REPORT_ROLES, office_q
from laoyuan.workorders.reports import Period, month_period

__all__ = [
    "REPORT_ROLES",
    "Period",
    "Report",
    "figures",
    "month_period",
    "period_label",
    "report",
    "year_period",
]

PLACE_LEVELS = ("street", "community")


def year_period(year: int) -> Period:
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def period_label(period: Period) -> str:
    """``2026`` for a whole year, ``2026-03`` for a month, ``2026-01_2026-03`` for whole
    months, else the days."""
    if period == year_period(period.start.year):
        return str(period.start.year)
    end_month = month_period(period.end)
    if period.start.day == 1 and period.end == end_month.end:
        if period.start == end_month.start:
            return f"{period.start:%Y-%m}"
        return f"{period.start:%Y-%m}_{period.end:%Y-%m}"
    return period.label


@dataclass
class HoursRow:
    """One group's verified minutes and offsets. ``key`` is the group's id (a category's value,
    a month's first day)."""

    key: Any
    label: str
    minutes: int = 0
    offset_minutes: int = 0
    offset_yuan: Decimal = ZERO
    offsets: int = 0


@dataclass
class PoolRow:
    key: int
    label: str
    coverage: str
    contributed: Decimal
    granted: Decimal
    left: Decimal


@dataclass
class Report:
    period: Period
    by_category: list[HoursRow]
    by_compound: list[HoursRow]
    by_month: list[HoursRow]
    by_place: list[HoursRow]  # by street (district) or community (street); empty otherwise
    place_level: str | None
    pools: list[PoolRow]
    total: HoursRow
    pools_total: PoolRow
    volunteer_orgs: int = 0
    volunteers: int = 0
    low_income_volunteers: int = 0
    volunteers_served: int = 0  # volunteers with hours verified in the period (net above zero)
    claims_pending: int = 0
    claims_overdue: int = 0


def reader_scope(user: Any) -> Scope:
    return scope_for(user, REPORT_ROLES)


def _narrow(prefix: str, street_id: int | None, community_id: int | None) -> Q:
    q = Q()
    if street_id is not None:
        q &= Q(**{f"{prefix}street_id": street_id})
    if community_id is not None:
        q &= Q(**{f"{prefix}community_id": community_id})
    return q


def _earned(user: Any, period: Period, street_id: int | None, community_id: int | None) -> Any:
    """Household postings of verified service (and their reversals) in the period, in scope: the
    claim behind each entry says where (an earning always has its claim)."""
    claims = scoped(Claim.objects.all(), user, REPORT_ROLES).filter(
        _narrow("", street_id, community_id)
    )
    return HourPosting.objects.filter(
        entry__kind=HourEntryKind.EARN,
        account__kind=HourAccountKind.HOUSEHOLD,
        entry__on__gte=period.start,
        entry__on__lte=period.end,
        entry__claim__in=claims.values("id"),
    ).order_by()


def _redeemed(user: Any, period: Period, street_id: int | None, community_id: int | None) -> Any:
    return (
        scoped(Redemption.objects.all(), user, REPORT_ROLES)
        .filter(
            _narrow("", street_id, community_id),
            # Always true (a redemption's entry is its redeeming), but it lets the month be read
            # off the (kind, on) index instead of every hours entry of the period.
            hour_entry__kind=HourEntryKind.REDEEM,
            hour_entry__on__gte=period.start,
            hour_entry__on__lte=period.end,
        )
        .order_by()
    )


OFFSETS = {
    "offset_minutes": Sum("minutes"),
    "offset_yuan": Sum("amount"),
    "offsets": Count("id"),
}


def _merge(rows: dict[Any, HoursRow], earned: Any, redeemed: Any, label: str | None) -> None:
    """Fill ``rows`` from the grouped minutes and offsets (creating rows met the first time)."""
    for values in earned:
        name = values.get(label, "") if label else ""
        row = rows.setdefault(values["k"], HoursRow(values["k"], name or ""))
        row.minutes = int(values["m"] or 0)
    for values in redeemed:
        name = values.get(label, "") if label else ""
        row = rows.setdefault(values["k"], HoursRow(values["k"], name or ""))
        row.offset_minutes = int(values["offset_minutes"] or 0)
        row.offset_yuan = to_fen(values["offset_yuan"] or ZERO)
        row.offsets = values["offsets"]


def _by_field(earned: Any, redeemed: Any, key: str) -> list[HoursRow]:
    """Grouped by a place: the claim's (through the entry) and the redemption's own."""
    rows: dict[Any, HoursRow] = {}
    _merge(
        rows,
        earned.annotate(k=F(f"entry__claim__{key}_id"), n=F(f"entry__claim__{key}__name"))
        .values("k", "n")
        .annotate(m=Sum("minutes")),
        redeemed.annotate(k=F(f"{key}_id"), n=F(f"{key}__name"))
        .values("k", "n")
        .annotate(**OFFSETS),
        "n",
    )
    # Sorted here, not by the database's collation, so every database lists names alike.
    return sorted(rows.values(), key=lambda row: (row.label, row.key or 0))


def _by_month(earned: Any, redeemed: Any, period: Period) -> list[HoursRow]:
    rows = {month: HoursRow(month, f"{month:%Y-%m}") for month in period.months()}
    found: dict[Any, HoursRow] = {}
    _merge(
        found,
        earned.annotate(k=TruncMonth("entry__on")).values("k").annotate(m=Sum("minutes")),
        redeemed.annotate(k=TruncMonth("hour_entry__on")).values("k").annotate(**OFFSETS),
        None,
    )
    for key, row in found.items():
        month = key.date() if isinstance(key, datetime.datetime) else key
        if month in rows:
            target = rows[month]
            target.minutes += row.minutes
            target.offset_minutes += row.offset_minutes
            target.offset_yuan += row.offset_yuan
            target.offsets += row.offsets
    return list(rows.values())


def _by_category(earned: Any) -> list[HoursRow]:
    minutes = dict(earned.values_list("entry__category").annotate(m=Sum("minutes")))
    return [
        HoursRow(value, str(label), minutes=int(minutes.get(value) or 0))
        for value, label in Category.choices
    ]


def _pools_q(scope_street: int | None, community: Any) -> Q:
    """Pools serving the drilled place: its community's, its street's and the district's."""
    if community is not None:
        return (
            Q(community_id=community.pk)
            | Q(community__isnull=True, street_id=community.street_id)
            | Q(street__isnull=True)
        )
    if scope_street is not None:
        return Q(street_id=scope_street) | Q(street__isnull=True)
    return Q()


def pools(user: Any, street_id: int | None = None, community: Any = None) -> list[PoolRow]:
    """Each pool in scope with what was put in, granted and is left (its fund's credit balance),
    as of now: one query."""
    contributed = (
        Contribution.objects.filter(pool=OuterRef("pk"))
        .order_by()
        .values("pool")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    granted = (
        Redemption.objects.filter(pool=OuterRef("pk"))
        .order_by()
        .values("pool")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    fund = (
        Posting.objects.filter(account=OuterRef("fund_id"))
        .order_by()
        .values("account")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    rows = (
        scoped(Pool.objects.all(), user, REPORT_ROLES)
        .filter(_pools_q(street_id, community))
        .annotate(
            contributed=Coalesce(Subquery(contributed), Value(ZERO)),
            granted=Coalesce(Subquery(granted), Value(ZERO)),
            fund_balance=Coalesce(Subquery(fund), Value(ZERO)),
        )
        .values(
            "id",
            "name",
            "contributed",
            "granted",
            "fund_balance",
            "street__name",
            "community__name",
        )
    )
    result = [
        PoolRow(
            key=values["id"],
            label=values["name"],
            coverage=values["community__name"] or values["street__name"] or _("Whole district"),
            contributed=to_fen(values["contributed"]),
            granted=to_fen(values["granted"]),
            left=to_fen(-values["fund_balance"]),
        )
        for values in rows
    ]
    return sorted(result, key=lambda row: (row.label, row.key))


def pools_total(rows: list[PoolRow]) -> PoolRow:
    return PoolRow(
        key=0,
        label=_("Total"),
        coverage="",
        contributed=sum((row.contributed for row in rows), ZERO),
        granted=sum((row.granted for row in rows), ZERO),
        left=sum((row.left for row in rows), ZERO),
    )


def people(
    user: Any,
    street_id: int | None = None,
    community_id: int | None = None,
    *,
    low_income: bool = True,
) -> dict[str, int]:
    """Active volunteer organisations, active volunteers and (unless ``low_income`` is False:
    the overview does not show them, and they join every volunteer to their person) the
    low-income ones. Two queries."""
    narrow = _narrow("", street_id, community_id)
    orgs = scoped(VolunteerOrg.objects.all(), user, REPORT_ROLES).filter(narrow, active=True)
    figures = {"n": Count("id")}
    if low_income:
        figures["low"] = Count("id", filter=Q(person__low_income=True))
    volunteers = (
        scoped(Volunteer.objects.all(), user, REPORT_ROLES)
        .filter(narrow, active=True)
        .order_by()
        .aggregate(**figures)
    )
    counts = {"volunteer_orgs": orgs.count(), "volunteers": volunteers["n"]}
    if low_income:
        counts["low_income_volunteers"] = volunteers["low"]
    return counts


def claim_counts(
    user: Any,
    today: datetime.date,
    street_id: int | None = None,
    community_id: int | None = None,
) -> dict[str, int]:
    """Claims waiting for verification now, and those past their day to verify (one query)."""
    return (
        scoped(Claim.objects.all(), user, REPORT_ROLES)
        .filter(_narrow("", street_id, community_id))
        .order_by()
        .aggregate(
            pending=Count("id", filter=Q(status__in=OPEN_CLAIM_STATUSES)),
            overdue=Count("id", filter=Q(status__in=OPEN_CLAIM_STATUSES, due_on__lt=today)),
        )
    )


def _served(user: Any, period: Period, street_id: int | None, community_id: int | None) -> int:
    """Volunteers whose claims were verified with their day in the period (and not reversed)."""
    return (
        scoped(Claim.objects.all(), user, REPORT_ROLES)
        .filter(
            _narrow("", street_id, community_id),
            status=ClaimStatus.VERIFIED,
            entries__kind=HourEntryKind.EARN,
            entries__reverses__isnull=True,
            entries__on__gte=period.start,
            entries__on__lte=period.end,
        )
        .order_by()
        .aggregate(n=Count("volunteer_id", distinct=True))["n"]
    )


def total_of(rows: list[HoursRow]) -> HoursRow:
    total = HoursRow(None, _("Total"))
    for row in rows:
        total.minutes += row.minutes
        total.offset_minutes += row.offset_minutes
        total.offset_yuan += row.offset_yuan
        total.offsets += row.offsets
    return total


def report(
    user: Any,
    period: Period,
    *,
    street_id: int | None = None,
    community: Any = None,
    place_level: str | None = None,
    today: datetime.date | None = None,
) -> Report:
    """The report of the user's scope for ``period`` (call only for a reader: the view answers
    404 to everyone else), narrowed to ``street_id`` or ``community`` (a ``places.Community``),
    with the by-place table by ``place_level`` (street or community, or None). A constant number
    of queries: twelve (thirteen with the by-place table)."""
    community_id = None if community is None else community.pk
    today = today or timezone.localdate()
    earned = _earned(user, period, street_id, community_id)
    redeemed = _redeemed(user, period, street_id, community_id)
    by_month = _by_month(earned, redeemed, period)
    pool_rows = pools(user, street_id, community)
    counts = claim_counts(user, today, street_id, community_id)
    return Report(
        period=period,
        by_category=_by_category(earned),
        by_compound=_by_field(earned, redeemed, "compound"),
        by_month=by_month,
        by_place=(_by_field(earned, redeemed, place_level) if place_level in PLACE_LEVELS else []),
        place_level=place_level if place_level in PLACE_LEVELS else None,
        pools=pool_rows,
        total=total_of(by_month),
        pools_total=pools_total(pool_rows),
        **people(user, street_id, community_id),
        volunteers_served=_served(user, period, street_id, community_id),
        claims_pending=counts["pending"],
        claims_overdue=counts["overdue"],
    )


def _money(value: Decimal) -> str:
    return f"{to_fen(value):.2f}"


def _minutes_verified(
    user: Any, period: Period, street_id: int | None, community_id: int | None
) -> int:
    """Net verified minutes of the period: for whole months from the monthly summaries
    (``summaries``), else from the postings. One query."""
    if period.whole_months:
        scope = reader_scope(user)
        found = HoursMonth.objects.filter(
            Q() if scope.everything else office_q(scope),
            _narrow("", street_id, community_id),
            month__gte=period.start,
            month__lte=period.end,
        ).aggregate(m=Sum("minutes"))
    else:
        found = _earned(user, period, street_id, community_id).aggregate(m=Sum("minutes"))
    return int(found["m"] or 0)


def figures(
    user: Any,
    period: Period,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
) -> dict[str, Any] | None:
    """The overview's ``timebank`` for ``period``, None for a user outside ``REPORT_ROLES``.

    Keys: ``period`` (``period_label``: ``YYYY-MM`` for a month); ``volunteer_orgs`` and
    ``volunteers`` (active ones, now); ``minutes_verified`` (net verified minutes on household
    accounts with their day in the period, an int); ``offsets_yuan`` (redemptions in the period,
    a string with two decimals) and ``pool_balance`` (what the pools serving the place have left
    to grant, now, a string with two decimals) — the same figures as the reports page's totals.
    ``street_id`` and ``community_id`` narrow, never widen. Six queries."""
    if reader_scope(user).is_empty:
        return None
    community = None
    if community_id is not None:
        from laoyuan.places.models import Community

        community = Community.objects.filter(pk=community_id).first()
    redeemed = _redeemed(user, period, street_id, community_id)
    minutes = _minutes_verified(user, period, street_id, community_id)
    offsets = redeemed.aggregate(y=Sum("amount"))["y"] or ZERO
    counts = people(user, street_id, community_id, low_income=False)
    pool_rows = (
        pools(user, street_id, community) if community_id is None or community is not None else []
    )
    return {
        "period": period_label(period),
        "volunteer_orgs": counts["volunteer_orgs"],
        "volunteers": counts["volunteers"],
        "minutes_verified": int(minutes),
        "offsets_yuan": _money(offsets),
        "pool_balance": _money(pools_total(pool_rows).left),
    }
