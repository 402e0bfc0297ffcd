"""The three rates of the five-step work order and the average times, per compound, company,
party branch, street or month, for the orders in the reader's scope (``accounts.scoping``).

Definitions (the issue's), over a period of whole local days ``[start, end]``:

- response rate (响应率) = orders created in the period that were accepted within their response
  target (``accepted_at <= response_due``) ÷ orders created in the period;
- resolution rate (解决率) = orders verified within their resolution target (``verified_at <=
  resolution_due``) ÷ orders due: ``resolution_due`` in the period and not after now;
- satisfaction rate (满意率) = orders rated 4 or 5 ÷ orders rated (``rated_at`` in the period).

Every order counts as the definitions say, whatever its later fate: a cancelled, duplicate or
"not ours" order created in the period counts as created (and was not accepted in time). Rates are
fractions with four places, half-up (0.8125 is 81.25 %), like billing's collection rate, or None
when nothing is counted below the line. The average hours from reporting to acceptance (over the
orders accepted in the period) and to verification (over those verified in the period) have one
place, or None.

A "branch" is the compound's party branch (``PartyOrg`` of level compound branch; the first one
when a compound has several): figures are reckoned per compound in the database and summed per
branch, so an order always counts under exactly one branch; compounds without a branch form one
row. By month, each figure falls in the month of its own date (created, accepted, due, rated,
verified). Every grouping is a constant number of queries.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.db.models import Count, DateTimeField, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scope_for, scoped
from laoyuan.orgs.enums import PartyLevel
from laoyuan.orgs.models import PartyOrg
from laoyuan.workorders.enums import UNRESOLVED, Status
from laoyuan.workorders.models import OrderMonth, WorkOrder
from laoyuan.workorders.queries import overdue_q
from laoyuan.workorders.summaries import summary_q

# Roles that read the rates (the offices and the hands of an order), over their order scope; a
# company reads the orders of the compounds it manages and those dispatched to it.
REPORT_ROLES = frozenset(
    {Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.BRANCH, Role.COMPANY, Role.COMMITTEE}
)
REPORT_BY = ("compound", "company", "branch", "street", "month")
RATE_PLACES = Decimal("0.0001")
HOURS_PLACES = Decimal("0.1")
SATISFIED_MIN = 4  # transitions.SATISFIED_MIN_RATING

# The counts behind the rates, and the duration sums behind the averages.
COUNTS = ("created", "responded", "due", "resolved", "rated", "satisfied", "accepted", "verified")


@dataclass(frozen=True)
class Period:
    """Whole local days from ``start`` to ``end`` (both included)."""

    start: datetime.date
    end: datetime.date

    @property
    def since(self) -> datetime.datetime:
        return _midnight(self.start)

    @property
    def until(self) -> datetime.datetime:
        """The first moment after the period."""
        return _midnight(self.end + datetime.timedelta(days=1))

    def months(self) -> list[datetime.date]:
        first, months = self.start.replace(day=1), []
        while first <= self.end:
            months.append(first)
            first = (first + datetime.timedelta(days=32)).replace(day=1)
        return months

    @property
    def whole_months(self) -> bool:
        """From the first day of a month to the last day of a month."""
        return self.start.day == 1 and self.end == _month_end(self.end.replace(day=1))

    @property
    def label(self) -> str:
        if self.start.day == 1 and self.end == _month_end(self.start):
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _month_end(first: datetime.date) -> datetime.date:
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def month_period(month: datetime.date) -> Period:
    first = month.replace(day=1)
    return Period(first, _month_end(first))


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def mean_hours(total: datetime.timedelta, count: int) -> Decimal | None:
    if not count:
        return None
    seconds = Decimal(total.days * 86400 + total.seconds) + Decimal(total.microseconds) / 10**6
    return (seconds / 3600 / count).quantize(HOURS_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class RateRow:
    """One group's counts and what follows from them. ``key`` is the group's id (a month's
    first day by month; None for orders not yet given to a company, or compounds without a
    branch)."""

    key: Any
    label: str
    created: int = 0
    responded: int = 0  # of ``created``, accepted by their response target
    due: int = 0
    resolved: int = 0  # of ``due``, verified by their resolution target
    rated: int = 0
    satisfied: int = 0  # of ``rated``, rated 4 or 5
    accepted: int = 0  # accepted in the period (behind the average hours to accept)
    verified: int = 0  # verified in the period (behind the average hours to verify)
    accept_time: datetime.timedelta = field(default_factory=datetime.timedelta)
    verify_time: datetime.timedelta = field(default_factory=datetime.timedelta)

    @property
    def response_rate(self) -> Decimal | None:
        return rate(self.responded, self.created)

    @property
    def resolution_rate(self) -> Decimal | None:
        return rate(self.resolved, self.due)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return rate(self.satisfied, self.rated)

    @property
    def avg_hours_to_accept(self) -> Decimal | None:
        return mean_hours(self.accept_time, self.accepted)

    @property
    def avg_hours_to_verify(self) -> Decimal | None:
        return mean_hours(self.verify_time, self.verified)

    def add(self, other: "RateRow") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.accept_time += other.accept_time
        self.verify_time += other.verify_time


@dataclass(frozen=True)
class Report:
    by: str
    period: Period
    rows: list[RateRow]
    total: RateRow


def report_orders(user: Any) -> Any:
    """The orders whose figures the user reads (none for roles outside ``REPORT_ROLES``)."""
    return scoped(WorkOrder.objects.all(), user, REPORT_ROLES).order_by()


def _span(name: str, period: Period) -> Q:
    return Q(**{f"{name}__gte": period.since, f"{name}__lt": period.until})


def _filters(period: Period, now: datetime.datetime) -> dict[str, Q]:
    due = _span("resolution_due", period) & Q(resolution_due__lte=now)
    return {
        "created": _span("created_at", period),
        "accepted": _span("accepted_at", period),
        "due": due,
        "rated": _span("rated_at", period) & Q(rating__isnull=False),
        "verified": _span("verified_at", period),
    }


RESOLVED_IN_TIME = Q(verified_at__lte=F("resolution_due"))


def _hours(end: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end) - F("created_at"), output_field=DurationField())


def _aggregates(filters: dict[str, Q]) -> dict[str, Any]:
    """Conditional counts and duration sums (one pass over the period's orders)."""
    return {
        "created": Count("id", filter=filters["created"]),
        "responded": Count("id", filter=filters["created"] & Q(accepted_at__lte=F("response_due"))),
        "due": Count("id", filter=filters["due"]),
        "resolved": Count("id", filter=filters["due"] & RESOLVED_IN_TIME),
        "rated": Count("id", filter=filters["rated"]),
        "satisfied": Count("id", filter=filters["rated"] & Q(rating__gte=SATISFIED_MIN)),
        "accepted": Count("id", filter=filters["accepted"]),
        "verified": Count("id", filter=filters["verified"]),
        "accept_time": Sum(_hours("accepted_at"), filter=filters["accepted"]),
        "verify_time": Sum(_hours("verified_at"), filter=filters["verified"]),
    }


def _fill(row: RateRow, values: dict[str, Any]) -> RateRow:
    for name in COUNTS:
        if name in values:
            setattr(row, name, values[name] or 0)
    for name in ("accept_time", "verify_time"):
        if values.get(name) is not None:
            setattr(row, name, values[name])
    return row


def _any(filters: dict[str, Q]) -> Q:
    result = Q(pk__in=[])
    for part in filters.values():
        result |= part
    return result


_GROUPS = {
    "compound": ("compound_id", "compound__name"),
    "company": ("company_id", "company__name"),
    "street": ("street_id", "street__name"),
}


def _grouped(orders: Any, filters: dict[str, Q], key: str, label: str) -> list[dict[str, Any]]:
    return list(orders.filter(_any(filters)).values(key, label).annotate(**_aggregates(filters)))


def _by_branch(orders: Any, filters: dict[str, Q]) -> list[RateRow]:
    """Per compound in the database (one query), summed per compound party branch (one
    query for the branches of those compounds)."""
    per_compound = _grouped(orders, filters, "compound_id", "compound__name")
    branches: dict[int, tuple[int | None, str]] = {}
    for org_id, compound_id, name in (
        PartyOrg.objects.filter(
            level=PartyLevel.COMPOUND_BRANCH,
            compound_id__in=[row["compound_id"] for row in per_compound],
        )
        .order_by("-id")
        .values_list("id", "compound_id", "name")
    ):
        branches[compound_id] = (org_id, name)  # ascending ids last: the first branch wins
    rows: dict[int | None, RateRow] = {}
    no_branch: tuple[int | None, str] = (None, _("(no party branch)"))
    for values in per_compound:
        branch_id, name = branches.get(values["compound_id"], no_branch)
        row = rows.setdefault(branch_id, RateRow(branch_id, name))
        row.add(_fill(RateRow(None, ""), values))
    return list(rows.values())


def _by_month(orders: Any, filters: dict[str, Q], period: Period) -> list[RateRow]:
    """Each figure in the month of its own date: five grouped queries, whatever the range."""
    tz = timezone.get_current_timezone()
    rows = {month: RateRow(month, f"{month:%Y-%m}") for month in period.months()}
    every = _aggregates(filters)
    parts = {
        "created": ("created_at", ("created", "responded")),
        "accepted": ("accepted_at", ("accepted", "accept_time")),
        "due": ("resolution_due", ("due", "resolved")),
        "rated": ("rated_at", ("rated", "satisfied")),
        "verified": ("verified_at", ("verified", "verify_time")),
    }
    for name, (date_field, figures) in parts.items():
        found = (
            orders.filter(filters[name])
            .annotate(month=TruncMonth(date_field, tzinfo=tz, output_field=DateTimeField()))
            .values("month")
            .annotate(**{figure: every[figure] for figure in figures})
        )
        for values in found:
            month = timezone.localtime(values["month"], tz).date().replace(day=1)
            if month in rows:
                _fill(rows[month], values)
    return list(rows.values())


def rates(
    user: Any,
    period_start: datetime.date,
    period_end: datetime.date,
    by: str = "compound",
    *,
    now: datetime.datetime | None = None,
    street_id: int | None = None,
    community_id: int | None = None,
) -> Report:
    """The rates of the user's orders from ``period_start`` to ``period_end`` (local days, both
    included), grouped ``by`` compound, company, branch, street (sorted by name) or month
    (every month of the period, oldest first), with the total of all rows. ``street_id`` and
    ``community_id`` narrow the orders inside the user's scope."""
    if by not in REPORT_BY:
        raise ValueError(f"rates by {by!r}: choose one of {', '.join(REPORT_BY)}")
    period = Period(period_start, period_end)
    filters = _filters(period, now or timezone.now())
    orders = report_orders(user)
    if street_id is not None:
        orders = orders.filter(street_id=street_id)
    if community_id is not None:
        orders = orders.filter(community_id=community_id)
    if by == "month":
        rows = _by_month(orders, filters, period)
    else:
        if by == "branch":
            rows = _by_branch(orders, filters)
        else:
            key, label = _GROUPS[by]
            rows = [
                _fill(RateRow(values[key], values[label] or _("(not yet dispatched)")), values)
                for values in _grouped(orders, filters, key, label)
            ]
        # Sorted here, not by the database's collation, so every database lists names alike;
        # the row without a group last.
        rows.sort(key=lambda row: (row.key is None, row.label, row.key or 0))
    return Report(by=by, period=period, rows=rows, total=total_of(rows))


def _months_summed(
    user: Any,
    period: Period,
    now: datetime.datetime,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
) -> list[RateRow]:
    """``rates`` by month for a period of whole months, read from the monthly summaries (one
    grouped query), with the orders due so far in months not yet over counted from the orders
    (one query on the resolution target's index): the summaries count every order due in the
    month, the rates only those due by now."""
    months = {month: RateRow(month, f"{month:%Y-%m}") for month in period.months()}
    rows = OrderMonth.objects.filter(summary_q(scope_for(user, REPORT_ROLES))).order_by()
    orders = report_orders(user)
    if street_id is not None:
        rows, orders = rows.filter(street_id=street_id), orders.filter(street_id=street_id)
    if community_id is not None:
        rows = rows.filter(community_id=community_id)
        orders = orders.filter(community_id=community_id)
    found = (
        rows.filter(month__gte=period.start, month__lte=period.end)
        .values("month")
        .annotate(**{name: Sum(name) for name in (*COUNTS, "accept_time", "verify_time")})
    )
    for values in found:
        _fill(months[values["month"]], cast(dict[str, Any], values))
    running = [month for month in months if month_period(month).until > now]
    if running:
        for month in running:
            months[month].due = months[month].resolved = 0
        tz = timezone.get_current_timezone()
        due = (
            orders.filter(_span("resolution_due", Period(running[0], period.end)))
            .filter(resolution_due__lte=now)
            .annotate(month=TruncMonth("resolution_due", tzinfo=tz, output_field=DateTimeField()))
            .values("month")
            .annotate(due=Count("id"), resolved=Count("id", filter=RESOLVED_IN_TIME))
        )
        for values in due:
            _fill(months[timezone.localtime(values["month"], tz).date().replace(day=1)], values)
    return list(months.values())


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def figures(
    user: Any,
    period: Period,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any] | None:
    """The overview's ``work_orders`` for ``period``, None for a user outside ``REPORT_ROLES``.

    Keys: ``period`` (``YYYY-MM``, or ``YYYY-MM-DD_YYYY-MM-DD`` for a range); ``created`` and
    ``by_status`` (orders created in the period, by their status now; every status is a key);
    ``open`` and ``overdue`` (as of now, whenever created: orders not yet verified, and those
    past a target — ``queries.overdue_q``); ``response_rate``, ``resolution_rate`` and
    ``satisfaction_rate`` (strings with four places, or None when nothing is below the line)
    and ``avg_hours_to_verify`` (a string with one place, or None), exactly the total row of
    ``rates`` for the same period. ``street_id`` and ``community_id`` narrow the orders inside
    the user's scope, never widen it. For a period of whole months the rates are read from the
    monthly summaries (``summaries``); four queries."""
    if scope_for(user, REPORT_ROLES).is_empty:
        return None
    now = now or timezone.now()
    orders = report_orders(user)
    if street_id is not None:
        orders = orders.filter(street_id=street_id)
    if community_id is not None:
        orders = orders.filter(community_id=community_id)
    filters = _filters(period, now)
    if period.whole_months:
        total = total_of(
            _months_summed(user, period, now, street_id=street_id, community_id=community_id)
        )
    else:
        aggregates = orders.filter(_any(filters)).aggregate(**_aggregates(filters))
        total = _fill(RateRow(None, ""), aggregates)
    # Overdue orders are all unresolved: only those are read, off the (place, status) indexes.
    current = orders.filter(status__in=UNRESOLVED).aggregate(
        open=Count("id"), overdue=Count("id", filter=overdue_q(now))
    )
    by_status = dict(
        orders.filter(filters["created"]).values_list("status").annotate(n=Count("id"))
    )
    return {
        "period": period.label,
        "created": total.created,
        "open": current["open"],
        "overdue": current["overdue"],
        "by_status": {status: by_status.get(status, 0) for status in Status.values},
        "response_rate": _text(total.response_rate),
        "resolution_rate": _text(total.resolution_rate),
        "satisfaction_rate": _text(total.satisfaction_rate),
        "avg_hours_to_verify": _text(total.avg_hours_to_verify),
    }


def total_of(rows: Iterable[RateRow]) -> RateRow:
    total = RateRow(None, _("Total"))
    for row in rows:
        total.add(row)
    return total


def _quarter(rows: list[RateRow]) -> dict[str, Any]:
    whole = total_of(rows)
    return {
        "period": f"{rows[0].key:%Y-%m}_{rows[-1].key:%Y-%m}",
        "verified": whole.verified,
        "avg_hours_to_verify": _text(whole.avg_hours_to_verify),
    }


def trend(
    user: Any,
    month: datetime.date,
    *,
    street_id: int | None = None,
    community_id: int | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any] | None:
    """The twelve months ending with ``month``'s, oldest first (each as ``rates`` by month
    reckons it: ``period``, ``created``, ``resolution_rate``, ``avg_hours_to_verify``), and
    ``handling``: the average hours to verify in the first three of those months and in the
    last three, with ``gain`` = (first − last) ÷ first to four places (0.6700 is 67 % faster),
    None when either quarter verified nothing. None for a user outside ``REPORT_ROLES``."""
    if scope_for(user, REPORT_ROLES).is_empty:
        return None
    last = month.replace(day=1)
    first = last
    for _step in range(11):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    rows = _months_summed(
        user,
        Period(first, _month_end(last)),
        now or timezone.now(),
        street_id=street_id,
        community_id=community_id,
    )
    early, late = total_of(rows[:3]), total_of(rows[-3:])
    before, after = early.avg_hours_to_verify, late.avg_hours_to_verify
    gain = None
    if before and after is not None:
        gain = ((before - after) / before).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    return {
        "months": [
            {
                "period": f"{row.key:%Y-%m}",
                "created": row.created,
                "resolution_rate": _text(row.resolution_rate),
                "avg_hours_to_verify": _text(row.avg_hours_to_verify),
            }
            for row in rows
        ],
        "handling": {
            "first": _quarter(rows[:3]),
            "last": _quarter(rows[-3:]),
            "gain": _text(gain),
        },
    }


def open_by_compound(
    user: Any, compound_ids: Any, *, now: datetime.datetime | None = None
) -> dict[int, tuple[int, int]] | None:
    """Orders open and overdue now (as ``figures`` counts them) per compound of
    ``compound_ids`` (a list or a subquery), for the map; None for a user outside
    ``REPORT_ROLES``. One query."""
    if scope_for(user, REPORT_ROLES).is_empty:
        return None
    rows = (
        report_orders(user)
        .filter(compound_id__in=compound_ids, status__in=UNRESOLVED)
        .values("compound_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=overdue_q(now or timezone.now())))
        .order_by()
    )
    return {row["compound_id"]: (row["open"], row["overdue"]) for row in rows}
