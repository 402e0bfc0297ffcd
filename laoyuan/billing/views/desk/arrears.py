"""Arrears at the desk: the households behind, by months overdue, with polite reminder notices
to print and the list in Excel.

House numbers only: a reminder goes privately to the household, and the list names no one.
Nothing here (or anywhere in Laoyuan) cuts utilities, access, lifts or parking.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scoped
from laoyuan.billing import calc, queries
from laoyuan.billing.exports import arrears_workbook
from laoyuan.billing.forms import ArrearsFilterForm
from laoyuan.billing.models import Bill
from laoyuan.billing.queries import ARREARS_BUCKETS
from laoyuan.billing.views.desk._common import (
    PAGE_SIZE,
    ZERO,
    Desk,
    desk_compounds,
    desk_or_404,
    desk_render,
    today,
    xlsx_response,
)
from laoyuan.core.money import to_fen
from laoyuan.core.params import parse_id
from laoyuan.places.models import House

BATCH_LIMIT = 500
BUCKET_LABELS = queries.ARREARS_BUCKET_LABELS
# The bucket of each months-overdue count, as ``queries.arrears_by_age`` reads them.
BUCKET_MONTHS = dict(zip(ARREARS_BUCKETS, ((1, 3), (4, 6), (7, 12), (13, None)), strict=True))


def bucket_of(months: int) -> str:
    for key, (fewest, most) in BUCKET_MONTHS.items():
        if months >= fewest and (most is None or months <= most):
            return key
    return ""


@dataclass
class ArrearsRow:
    """One household account behind: what it owes on overdue bills, since when, and what of it
    falls in each bucket (each bill counts in its own bucket, as in ``arrears_by_age``)."""

    house_id: int
    compound_id: int
    owed: Decimal
    oldest: datetime.date
    bills: int
    months: int
    bucket: str
    settled: bool
    by_bucket: dict[str, Decimal]
    house: House | None = None


def _overdue_bills(request: HttpRequest, desk: Desk, as_of: datetime.date) -> QuerySet[Bill]:
    """The desk company's bills still owing from a month before ``as_of``'s month."""
    return scoped(Bill.objects.filter(company=desk.company), request.user).filter(
        period__lt=calc.month_start(as_of), amount__gt=F("paid")
    )


def arrears_rows(bills: QuerySet[Bill], as_of: datetime.date) -> list[ArrearsRow]:
    """One row per household account behind, the longest overdue first. One query."""
    month = calc.month_start(as_of)
    owed = F("amount") - F("paid")
    per_bucket = {}
    for key, (fewest, most) in BUCKET_MONTHS.items():
        in_bucket = Q(period__lte=calc.add_months(month, -fewest))
        if most is not None:
            in_bucket &= Q(period__gte=calc.add_months(month, -most))
        per_bucket[f"b_{key}"] = Sum(owed, filter=in_bucket, default=ZERO)
    grouped = (
        bills.order_by()
        .values("account_id", "house_id", "compound_id")
        .annotate(
            owed=Sum(owed),
            oldest=Min("period"),
            bills=Count("id"),
            closed=Max("account__closed_on"),
            **per_bucket,
        )
    )
    rows = []
    for found in grouped:
        row: dict[str, Any] = dict(found)
        months = calc.months_between(row["oldest"], month)
        rows.append(
            ArrearsRow(
                house_id=row["house_id"],
                compound_id=row["compound_id"],
                owed=to_fen(row["owed"]),
                oldest=row["oldest"],
                bills=row["bills"],
                months=months,
                bucket=bucket_of(months),
                settled=row["closed"] is not None,
                by_bucket={key: to_fen(row[f"b_{key}"]) for key in ARREARS_BUCKETS},
            )
        )
    rows.sort(key=lambda r: (r.oldest, -r.owed, r.compound_id, r.house_id))
    return rows


def attach_houses(rows: list[ArrearsRow]) -> None:
    houses = House.objects.select_related("building", "compound").in_bulk(
        [row.house_id for row in rows]
    )
    for row in rows:
        row.house = houses.get(row.house_id)


def _filtered(
    request: HttpRequest, desk: Desk
) -> tuple[ArrearsFilterForm, list[ArrearsRow], list[ArrearsRow]]:
    """The filter form, every row of the chosen compound, and those of the chosen bucket."""
    as_of = today()
    form = ArrearsFilterForm(
        request.GET or None,
        compounds=desk_compounds(request, desk),
        buckets=list(BUCKET_LABELS.items()),
    )
    bills = _overdue_bills(request, desk, as_of)
    bucket = ""
    if form.is_bound and form.is_valid():
        if form.cleaned_data["compound"]:
            bills = bills.filter(compound=form.cleaned_data["compound"])
        bucket = form.cleaned_data["bucket"]
    rows = arrears_rows(bills, as_of)
    return form, rows, [row for row in rows if row.bucket == bucket] if bucket else rows


@dataclass
class BucketTotal:
    key: str
    label: Any
    households: int = 0
    amount: Decimal = ZERO


def bucket_summary(rows: list[ArrearsRow]) -> list[BucketTotal]:
    """Households by the bucket of their oldest overdue bill; amounts by each bill's bucket."""
    summary = {key: BucketTotal(key, label) for key, label in BUCKET_LABELS.items()}
    for row in rows:
        summary[row.bucket].households += 1
        for key, amount in row.by_bucket.items():
            summary[key].amount += amount
    return list(summary.values())


@login_required
@require_GET
def desk_arrears(request: HttpRequest, company: int) -> HttpResponse:
    desk = desk_or_404(request, company)
    form, every, rows = _filtered(request, desk)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    attach_houses(list(page.object_list))
    return desk_render(
        request,
        "billing/desk/arrears.html",
        desk,
        "arrears",
        {
            "form": form,
            "page_obj": page,
            "summary": bucket_summary(every),
            "total": {"households": len(every), "amount": sum((r.owed for r in every), ZERO)},
            "listed": len(rows),
            "as_of": today(),
            "filtered": any(request.GET.get(k) for k in ("compound", "bucket")),
        },
    )


@dataclass
class NoticeLine:
    """Consecutive unpaid months of the same fee on one line (a long list would not fit a
    printed A5 sheet); a month partly paid stands alone."""

    first: datetime.date
    last: datetime.date
    months: int
    fee: Decimal
    paid: Decimal
    open: Decimal


def notice_lines(bills: list[Bill]) -> list[NoticeLine]:
    lines: list[NoticeLine] = []
    for bill in bills:
        previous = lines[-1] if lines else None
        if (
            previous is not None
            and bill.paid == ZERO
            and previous.paid == ZERO
            and bill.amount == previous.fee
            and calc.add_months(previous.last, 1) == bill.period
        ):
            previous.last = bill.period
            previous.months += 1
            previous.open += bill.outstanding
        else:
            lines.append(
                NoticeLine(bill.period, bill.period, 1, bill.amount, bill.paid, bill.outstanding)
            )
    return lines


def _notices(request: HttpRequest, desk: Desk, house_ids: list[int]) -> list[dict[str, Any]]:
    """A reminder per house: its overdue bills, oldest first, and what it owes on them."""
    as_of = today()
    bills = (
        _overdue_bills(request, desk, as_of)
        .filter(house_id__in=house_ids)
        .order_by("house_id", "period")
    )
    by_house: dict[int, list[Bill]] = {}
    for bill in bills:
        by_house.setdefault(bill.house_id, []).append(bill)
    houses = House.objects.select_related("building", "compound").in_bulk(list(by_house))
    notices = []
    for house_id in house_ids:
        if house_id in by_house:
            owed = by_house[house_id]
            notices.append(
                {
                    "house": houses[house_id],
                    "lines": notice_lines(owed),
                    "owed": sum((bill.amount - bill.paid for bill in owed), ZERO),
                }
            )
    return notices


def _print_notices(request: HttpRequest, desk: Desk, notices: list[dict[str, Any]]) -> HttpResponse:
    return render(
        request,
        "billing/print/reminders.html",
        {"desk": desk, "company": desk.company, "notices": notices, "as_of": today()},
    )


@login_required
@require_GET
def desk_reminder(request: HttpRequest, company: int, house: int) -> HttpResponse:
    """One household's reminder notice, printable; 404 when the house owes nothing overdue."""
    desk = desk_or_404(request, company)
    notices = _notices(request, desk, [house])
    if not notices:
        raise Http404
    return _print_notices(request, desk, notices)


@login_required
@require_GET
def desk_reminders(request: HttpRequest, company: int) -> HttpResponse:
    """Reminders for the chosen houses (``house``), or for every house of the list's filter."""
    desk = desk_or_404(request, company)
    chosen = [n for n in map(parse_id, request.GET.getlist("house")) if n is not None]
    if not chosen:
        _form, _every, rows = _filtered(request, desk)
        chosen = [row.house_id for row in rows]
    return _print_notices(request, desk, _notices(request, desk, chosen[:BATCH_LIMIT]))


@login_required
@require_GET
def desk_arrears_export(request: HttpRequest, company: int) -> HttpResponse:
    """The filtered arrears list (every row) as an Excel workbook, house numbers only."""
    desk = desk_or_404(request, company)
    _form, _every, rows = _filtered(request, desk)
    attach_houses(rows)
    as_of = today()
    content = arrears_workbook(
        (
            queries.ArrearsRow(
                house_id=row.house_id,
                house_label=row.house.label if row.house else "",
                compound_id=row.compound_id,
                compound_name=row.house.compound.name if row.house else "",
                oldest_period=row.oldest,
                months=row.months,
                bills=row.bills,
                outstanding=row.owed,
                settled=row.settled,
            )
            for row in rows
        ),
        as_of=as_of,
    )
    return xlsx_response(content, f"arrears-{as_of:%Y%m%d}.xlsx")
