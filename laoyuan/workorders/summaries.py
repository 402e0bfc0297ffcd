"""The monthly work-order figures (``OrderMonth``, 工单月汇总): what ``reports`` reckons from the
orders, kept per compound, company and month so the dashboard's twelve-month trend reads a few
thousand rows instead of a year of orders.

Every service that writes an order calls ``refresh`` in the same transaction with the months
the order's dates fell in before and after the change: the compound's rows for those months are
rewritten from its orders, under a per-compound lock (PostgreSQL's advisory lock) so two changes
to orders of one compound never write the same month twice. ``rebuild`` rewrites every row (after
a bulk load, a restore or a repair) and ``mismatches`` proves the rows equal the orders.

Each figure is counted as ``reports`` counts it, in the month (local time) of its own date:
created (and of those, accepted by the response target), accepted (and the time from report to
acceptance), due (resolution target; of those, verified by it), rated (and of those, 4 or 5) and
verified (and the time from report to verification). "Due" here is every order due in the month;
``reports`` counts only those due by now, so it reads the summary for months already over.
"""

import datetime
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from laoyuan.accounts.scoping import NOTHING, Scope
from laoyuan.core.db import lock_for_rebuild
from laoyuan.workorders.enums import CategoryKind
from laoyuan.workorders.models import OrderMonth, WorkOrder

SATISFIED_MIN = 4  # transitions.SATISFIED_MIN_RATING
DATES = ("created_at", "accepted_at", "resolution_due", "rated_at", "verified_at")
KEY = ("district_id", "street_id", "community_id", "grid_id", "compound_id", "company_id")
COUNTS = ("created", "responded", "due", "resolved", "rated", "satisfied", "accepted", "verified")
TIMES = ("accept_time", "verify_time")
FIELDS = (*KEY, "category__kind", *DATES, "response_due", "rating")
LOCK_CLASS = 7311  # the advisory lock space of these rows (any constant no other code uses)
BATCH = 2000

Row = dict[str, Any]


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of the local month ``moment`` falls in."""
    return timezone.localtime(moment).date().replace(day=1)


def order_months(order: WorkOrder) -> set[datetime.date]:
    """The months the order's counted dates fall in."""
    return {month_of(moment) for name in DATES if (moment := getattr(order, name)) is not None}


def _blank(key: tuple[Any, ...]) -> Row:
    row: Row = dict(zip((*KEY, "complaint", "month"), key, strict=True))
    row.update(dict.fromkeys(COUNTS, 0))
    row.update({name: datetime.timedelta() for name in TIMES})
    return row


def tally(orders: Iterable[Row], months: set[datetime.date] | None = None) -> dict[Any, Row]:
    """The rows of ``orders`` (value dicts of ``FIELDS``) by key and month, for ``months`` only
    when given."""
    rows: dict[Any, Row] = {}

    def row(order: Row, moment: datetime.datetime) -> Row | None:
        month = month_of(moment)
        if months is not None and month not in months:
            return None
        key = (*(order[name] for name in KEY), order["category__kind"] == CategoryKind.COMPLAINT)
        return rows.setdefault((*key, month), _blank((*key, month)))

    for order in orders:
        created = row(order, order["created_at"])
        accepted_at, verified_at = order["accepted_at"], order["verified_at"]
        if created is not None:
            created["created"] += 1
            if accepted_at is not None and accepted_at <= order["response_due"]:
                created["responded"] += 1
        if accepted_at is not None and (accepted := row(order, accepted_at)) is not None:
            accepted["accepted"] += 1
            accepted["accept_time"] += accepted_at - order["created_at"]
        if (due := row(order, order["resolution_due"])) is not None:
            due["due"] += 1
            if verified_at is not None and verified_at <= order["resolution_due"]:
                due["resolved"] += 1
        rating, rated_at = order["rating"], order["rated_at"]
        if rated_at is not None and rating is not None and (rated := row(order, rated_at)):
            rated["rated"] += 1
            rated["satisfied"] += rating >= SATISFIED_MIN
        if verified_at is not None and (verified := row(order, verified_at)) is not None:
            verified["verified"] += 1
            verified["verify_time"] += verified_at - order["created_at"]
    return rows


def _month_span(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    following = (month + datetime.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.datetime.combine(month, datetime.time()), zone),
        timezone.make_aware(datetime.datetime.combine(following, datetime.time()), zone),
    )


def _lock(compound_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, compound_id])


def refresh(compound_id: int, months: Iterable[datetime.date]) -> None:
    """Rewrite the compound's rows of ``months`` from its orders. Call inside the transaction
    that changed the orders, with the months of their dates before and after the change."""
    wanted = set(months)
    if not wanted:
        return
    _lock(compound_id)
    touching = NOTHING
    for month in wanted:
        since, until = _month_span(month)
        for name in DATES:
            touching |= Q(**{f"{name}__gte": since, f"{name}__lt": until})
    orders = WorkOrder.objects.filter(touching, compound_id=compound_id).values(*FIELDS)
    rows = tally(orders.order_by(), wanted)
    OrderMonth.objects.filter(compound_id=compound_id, month__in=wanted).delete()
    OrderMonth.objects.bulk_create([OrderMonth(**row) for row in rows.values()])


def _all_rows() -> dict[Any, Row]:
    orders = WorkOrder.objects.order_by().values(*FIELDS)
    return tally(orders.iterator(chunk_size=BATCH))


@transaction.atomic
def rebuild() -> int:
    """Rewrite every row from the orders; the number of rows written. Safe while orders are
    being changed: the table is locked first (``lock_for_rebuild``)."""
    lock_for_rebuild(OrderMonth)
    rows = _all_rows()
    OrderMonth.objects.all().delete()
    OrderMonth.objects.bulk_create([OrderMonth(**row) for row in rows.values()], batch_size=BATCH)
    return len(rows)


def mismatches() -> Iterator[str]:
    """Each row that differs from what the orders give, as a sentence."""
    expected = _all_rows()
    stored = {
        (*(row[name] for name in KEY), row["complaint"], row["month"]): row
        for row in OrderMonth.objects.values(*KEY, "complaint", "month", *COUNTS, *TIMES)
    }
    for key in sorted(set(expected) | set(stored), key=_sort_key):
        want, have = expected.get(key), stored.get(key)
        figures = (*COUNTS, *TIMES)
        if want is None or have is None or any(want[f] != have[f] for f in figures):
            yield (
                f"the orders of compound {key[4]} and company {key[5]} for {key[7]:%Y-%m} "
                f"(complaints: {key[6]}) give {_figures(want)}; their summary says {_figures(have)}"
            )


def _sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((value is None, value) for value in key)


def _figures(row: Row | None) -> str:
    if row is None:
        return "nothing"
    return ", ".join(f"{name} {row[name]}" for name in (*COUNTS, *TIMES))


def summary_q(scope: Scope) -> Q:
    """The rows of the orders ``scope`` reads (``scoping.order_q`` on the rows' own keys): the
    offices by place, a company by the compounds it manages (not their complaints) and the
    orders given to it."""
    from laoyuan.places.models import Compound

    if scope.is_empty:
        return NOTHING
    if scope.everything:
        return Q()

    def ids(path: str, values: frozenset[int]) -> Q:
        return Q(**{f"{path}__in": values}) if values else NOTHING

    managed = NOTHING
    if scope.company:
        compounds = Compound.objects.filter(company_id__in=scope.company).values("id")
        managed = Q(compound_id__in=compounds, complaint=False)
    return (
        ids("district_id", scope.district)
        | ids("street_id", scope.street)
        | ids("community_id", scope.community)
        | ids("grid_id", scope.grid)
        | ids("compound_id", scope.compound)
        | managed
        | ids("company_id", scope.company)
    )
