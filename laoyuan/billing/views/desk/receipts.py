"""Receipts at the desk: the list with its filters, one printable receipt, and batch printing
(chosen receipts or a day's, one receipt per printed page)."""

import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from laoyuan.accounts.scoping import scoped
from laoyuan.billing.enums import EntryKind
from laoyuan.billing.forms import ReceiptFilterForm
from laoyuan.billing.models import JournalEntry, Receipt
from laoyuan.billing.services.receipts import receipt_lines
from laoyuan.billing.views.desk._common import (
    PAGE_SIZE,
    ZERO,
    Desk,
    desk_object_or_404,
    desk_or_404,
    desk_render,
)
from laoyuan.core.money import to_fen
from laoyuan.core.params import parse_id

BATCH_LIMIT = 200
DIGITS = "零壹贰叁肆伍陆柒捌玖"
GROUP_UNITS = ("", "万", "亿", "兆")


def _group_upper(number: int) -> str:
    """0 < number < 10000 in capital numerals, inner zeros read once (1005 → 壹仟零伍)."""
    text, zero = "", False
    for size, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = number // size % 10
        if digit:
            if zero:
                text += "零"
                zero = False
            text += DIGITS[digit] + unit
        elif text:
            zero = True
    return text


def rmb_upper(amount: Decimal) -> str:
    """An amount in the capital numerals of a Chinese receipt (人民币大写): 150.00 → 壹佰伍拾元整,
    43.20 → 肆拾叁元贰角整, 1.05 → 壹元零伍分."""
    fen = int(to_fen(amount) * 100)
    if fen <= 0:
        return "零元整"
    yuan, cents = divmod(fen, 100)
    jiao, fen = divmod(cents, 10)
    groups = []
    while yuan:
        yuan, group = divmod(yuan, 10000)
        groups.append(group)
    text, gap = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _group_upper(group) + GROUP_UNITS[index]
        gap = False
    if text:
        text += "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text and fen:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def _reversed() -> Exists:
    return Exists(
        JournalEntry.objects.filter(
            payment=OuterRef("payment"), kind=EntryKind.PAYMENT, reverses__isnull=False
        )
    )


def _receipts(request: HttpRequest, desk: Desk) -> QuerySet[Receipt]:
    return (
        scoped(Receipt.objects.filter(company=desk.company), request.user)
        .select_related("payment__received_by", "house__building", "house__compound", "company")
        .annotate(reversed=_reversed())
    )


@login_required
@require_GET
def desk_receipts(request: HttpRequest, company: int) -> HttpResponse:
    """The company's receipts, newest first, filtered by the day received and the channel."""
    desk = desk_or_404(request, company)
    form = ReceiptFilterForm(request.GET or None)
    receipts = _receipts(request, desk)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["date_from"]:
            receipts = receipts.filter(payment__received_on__gte=data["date_from"])
        if data["date_to"]:
            receipts = receipts.filter(payment__received_on__lte=data["date_to"])
        if data["channel"]:
            receipts = receipts.filter(payment__channel=data["channel"])
    totals = receipts.aggregate(count=Count("id"), amount=Sum("payment__amount", default=ZERO))
    page = Paginator(receipts.order_by("-sequence"), PAGE_SIZE).get_page(request.GET.get("page"))
    return desk_render(
        request,
        "billing/desk/receipts.html",
        desk,
        "receipts",
        {
            "form": form,
            "page_obj": page,
            "totals": totals,
            "filtered": any(request.GET.get(k) for k in ("date_from", "date_to", "channel")),
        },
    )


def printable(receipt: Receipt) -> dict[str, Any]:
    """What a printed receipt shows: the receipt, its lines and its amount in capitals."""
    return {
        "receipt": receipt,
        "payment": receipt.payment,
        "lines": receipt_lines(receipt),
        "upper": rmb_upper(receipt.payment.amount),
    }


@login_required
@require_GET
def desk_receipt(request: HttpRequest, company: int, pk: int) -> HttpResponse:
    """One receipt, laid out for printing (A5, no navigation)."""
    desk = desk_or_404(request, company)
    receipt = desk_object_or_404(_receipts(request, desk), request, desk, pk=pk)
    return render(
        request,
        "billing/print/receipts.html",
        {
            "desk": desk,
            "company": desk.company,
            "receipts": [printable(receipt)],
            "single": True,
        },
    )


def _day(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


@login_required
@require_GET
def desk_receipts_print(request: HttpRequest, company: int) -> HttpResponse:
    """Several receipts on one printable page, one per sheet: the chosen ones (``id``), or every
    receipt of a day (``day``, YYYY-MM-DD)."""
    desk = desk_or_404(request, company)
    receipts = _receipts(request, desk)
    ids = [n for n in map(parse_id, request.GET.getlist("id")) if n is not None]
    day = _day(request.GET.get("day", ""))
    if ids:
        receipts = receipts.filter(pk__in=ids)
    elif day is not None:
        receipts = receipts.filter(payment__received_on=day)
    else:
        raise Http404
    chosen = list(receipts.order_by("sequence")[:BATCH_LIMIT])
    return render(
        request,
        "billing/print/receipts.html",
        {
            "desk": desk,
            "company": desk.company,
            "receipts": [printable(receipt) for receipt in chosen],
            "day": day,
            "single": False,
        },
    )
