"""Receipts (收据): numbered without gaps per company, and what each one paid.

A receipt is issued in the transaction that records its payment, from the company's locked
``ReceiptCounter``: if the payment rolls back, so does the number, and two payments of one company
wait for each other at the counter, so numbers run 1, 2, 3 ... with no gap and no repeat. A
reversed payment keeps its receipt (numbers are never reused); the receipt shows the reversal.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from laoyuan.billing import calc
from laoyuan.billing.enums import EntryKind
from laoyuan.billing.models import (
    ZERO,
    Bill,
    JournalEntry,
    Payment,
    Posting,
    Receipt,
    ReceiptCounter,
)
from laoyuan.billing.services.ledger import insert_objects
from laoyuan.orgs.models import PropertyCompany


def receipt_number(company: PropertyCompany, sequence: int) -> str:
    return f"{company.code}-{sequence:08d}"


def lock_counter(company: PropertyCompany) -> ReceiptCounter:
    """The company's receipt counter, locked until the transaction ends (created on first use:
    a concurrent first use waits on the unique key, then reads the winner's row). Every payment
    path holds it before it moves the company's bills (a reversal too, though it takes no
    number), so no two payments move the bills' monthly summaries at once. The billing run and
    ``correct_bill`` move summaries without it, holding the locks of the accounts they touch
    (a run takes its chunk's in key order)."""
    counter = ReceiptCounter.objects.select_for_update().filter(company=company).first()
    if counter is None:
        ReceiptCounter.objects.get_or_create(company=company)
        counter = ReceiptCounter.objects.select_for_update().get(company=company)
    return counter


def _take_numbers(company: PropertyCompany, count: int) -> int:
    """Reserve ``count`` consecutive numbers from the company's counter, locked until the
    transaction ends; returns the first."""
    counter = lock_counter(company)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return first


def issue_receipts(company: PropertyCompany, payments: Sequence[Payment]) -> list[Receipt]:
    """Receipts for ``payments`` (all of ``company``, just recorded), numbered consecutively in
    the order given. Call inside the transaction that records the payments."""
    if not payments:
        return []
    first = _take_numbers(company, len(payments))
    now = timezone.now()
    receipts = [
        Receipt(
            company=company,
            sequence=first + offset,
            number=receipt_number(company, first + offset),
            payment=payment,
            house_id=payment.house_id,
            issued_at=now,
        )
        for offset, payment in enumerate(payments)
    ]
    insert_objects(receipts, RECEIPT_COLUMNS)
    return receipts


RECEIPT_COLUMNS = ["company_id", "sequence", "number", "payment_id", "house_id", "issued_at"]


def issue_receipt(payment: Payment) -> Receipt:
    """The receipt of one payment, with the company's next number."""
    return issue_receipts(payment.company, [payment])[0]


def payment_reversal(payment: Payment) -> JournalEntry | None:
    """The entry that reversed the payment, if it was reversed (the receipt shows it)."""
    return JournalEntry.objects.filter(
        payment=payment, kind=EntryKind.PAYMENT, reverses__isnull=False
    ).first()


@dataclass(frozen=True)
class ReceiptLine:
    """One line of a receipt: a month this payment paid (``amount`` of the month's
    ``bill_amount``), a trial month given free (``trial``: nothing paid, the ``list_amount`` shown
    as what was given), or, with no period, the credit kept for later months."""

    period: datetime.date | None
    amount: Decimal
    bill_amount: Decimal
    list_amount: Decimal
    trial: bool

    @property
    def is_credit(self) -> bool:
        return self.period is None


def receipt_lines(receipt: Receipt) -> list[ReceiptLine]:
    """What the receipt's payment paid when it was taken, oldest month first, then any credit
    kept for later months; the amounts sum to the payment's amount.

    The months paid are the bill lines of the allocation entries that applied this payment's
    money (``allocate_credit(payment=...)``). Trial months are shown as given free when they fall
    inside the months paid, or just before the first of them (the trial the household had
    before its first paid month)."""
    payment = receipt.payment
    applied_rows = (
        Posting.objects.filter(
            entry__payment=payment,
            entry__kind=EntryKind.ALLOCATION,
            entry__reverses__isnull=True,
            bill__isnull=False,
            amount__lt=0,
        )
        .values("bill_id")
        .annotate(applied=Sum("amount"))
    )
    applied = {row["bill_id"]: -row["applied"] for row in applied_rows}
    paid_bills = list(Bill.objects.filter(pk__in=applied).order_by("period", "pk"))
    lines: list[ReceiptLine] = []
    left = payment.amount
    for bill in paid_bills:
        # Never more than this payment's own money (old credit may have moved with it).
        amount = min(applied[bill.pk], left)
        if amount <= ZERO:
            break
        left -= amount
        lines.append(ReceiptLine(bill.period, amount, bill.amount, bill.list_amount, False))
    if lines:
        lines.extend(_trial_lines(payment, first=lines[0].period, last=lines[-1].period))
        lines.sort(key=lambda line: line.period or datetime.date.max)
    if left > ZERO:
        lines.append(ReceiptLine(None, left, ZERO, ZERO, False))
    return lines


def _trial_lines(
    payment: Payment, *, first: datetime.date | None, last: datetime.date | None
) -> list[ReceiptLine]:
    assert first is not None and last is not None
    trials = {
        bill.period: bill
        for bill in Bill.objects.filter(account_id=payment.account_id, trial=True, period__lte=last)
    }
    shown = [period for period in trials if first <= period <= last]
    before = calc.add_months(first, -1)
    while before in trials:
        shown.append(before)
        before = calc.add_months(before, -1)
    return [
        ReceiptLine(period, ZERO, trials[period].amount, trials[period].list_amount, True)
        for period in shown
    ]
