"""Importing a cashier's ledger or a bank statement: one row a payment (compound code, house
number as ``House.label`` prints it, amount, channel, reference, date, note), recorded with one
``payments.record_payments`` call when every row is good. A reference already recorded for the
same house and amount is counted as ``already_recorded`` and pays nothing again, so a sheet can
be imported twice safely."""

from collections import defaultdict
from decimal import Decimal
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from laoyuan.billing.enums import Channel
from laoyuan.billing.models import ZERO, Payment
from laoyuan.billing.payment_import.sheet import (
    COMPOUND,
    HOUSE,
    NOTE,
    Checker,
    PaymentImportResult,
    Row,
    begin,
    changed_meanwhile,
    finish,
    record_import,
    require_company_staff,
)
from laoyuan.billing.services.payments import (
    PaymentRow,
    PaymentRowsError,
    payment_ceiling,
    record_payments,
)
from laoyuan.imports.columns import Column, SheetSpec
from laoyuan.orgs.models import PropertyCompany

PAYMENTS = SheetSpec(
    key="payments",
    title="缴费",
    english="Payments",
    aliases=("收款", "缴费记录", "流水"),
    columns=(
        COMPOUND,
        HOUSE,
        Column(
            "amount",
            "金额",
            "amount",
            True,
            gettext_lazy("Yuan paid, e.g. 518.40."),
            "518.40",
            ("缴费金额", "收款金额"),
        ),
        Column(
            "channel",
            "方式",
            "channel",
            True,
            gettext_lazy("现金, 银行转账, POS or 线上 (cash, bank, pos, online)."),
            "现金",
            ("缴费方式", "支付方式", "payment method", "method"),
        ),
        Column(
            "reference",
            "流水号",
            "reference",
            True,
            gettext_lazy(
                "The receipt-book number or the bank's transaction number; each payment once."
            ),
            "2026030100001",
            ("交易流水号", "单号", "transaction id", "reference number"),
        ),
        Column(
            "date",
            "日期",
            "date",
            True,
            gettext_lazy("The day the money was received, e.g. 2026-03-01."),
            "2026-03-01",
            ("缴费日期", "交易日期", "收款日期", "received on"),
        ),
        NOTE,
    ),
)


CHANNELS: dict[str, str] = {
    "现金": Channel.CASH,
    "银行转账": Channel.BANK,
    "转账": Channel.BANK,
    "银行": Channel.BANK,
    "刷卡": Channel.POS,
    "线上": Channel.ONLINE,
    "在线": Channel.ONLINE,
    "网上": Channel.ONLINE,
    "cash": Channel.CASH,
    "bank": Channel.BANK,
    "bank transfer": Channel.BANK,
    "pos": Channel.POS,
    "online": Channel.ONLINE,
}


# Payments ------------------------------------------------------------------------------------

# ``record_payments``' field names, as this sheet's columns.
_COLUMN_OF_FIELD = {"received_on": "date"}


def import_payments(
    *, company: PropertyCompany, upload: IO[bytes], actor: Any
) -> PaymentImportResult:
    """Record the payments of a cashier's ledger or bank statement, all or none."""
    require_company_staff(actor, company)
    begun = begin(upload, PAYMENTS, company)
    if isinstance(begun, PaymentImportResult):
        return begun
    checker, rows, result = begun
    new = _check_payments(checker, rows, result)
    if checker.errors or not new:
        return finish(checker, result)
    try:
        with transaction.atomic():
            receipts = record_payments(
                company=company,
                rows=[
                    PaymentRow(
                        house=row.house,
                        amount=row.amount,
                        channel=row.channel,
                        reference=row.reference,
                        received_on=row.received_on,
                        note=row.note,
                    )
                    for row in new
                    if row.house is not None and row.amount is not None
                ],
                actor=actor,
            )
            record_import(
                actor=actor,
                company=company,
                action="payments.imported",
                summary=_("%(count)s payments imported from %(file)s"),
                upload=upload,
                result=result,
                created=len(receipts),
                total=sum((row.amount or ZERO for row in new), ZERO),
            )
    except PaymentRowsError as exc:
        for index, key, message in exc.rows:
            new[index].cells.error(_COLUMN_OF_FIELD.get(key, key), message)
    except IntegrityError:
        checker.file_errors.append(changed_meanwhile())
    else:
        result.created, result.receipts = len(receipts), receipts
    return finish(checker, result)


def _check_payments(checker: Checker, rows: list[Row], result: PaymentImportResult) -> list[Row]:
    """Check every row; count the ones already recorded; the new ones to record."""
    today = timezone.localdate()
    first_row: dict[str, int] = {}
    for row in rows:
        cells = row.cells
        row.amount = checker.amount(cells)
        if cells.raw("channel") is None:
            cells.error("channel", _("Required."))
        else:
            row.channel = cells.choice("channel", CHANNELS, "")
        row.reference = cells.code("reference", max_length=64, required=True)
        if cells.raw("date") is None:
            cells.error("date", _("Required."))
        else:
            row.received_on = cells.date("date", today=today)
        row.note = cells.text("note", max_length=200)
        if row.reference in first_row:
            cells.error(
                "reference",
                _("The same reference as row %(row)s.") % {"row": first_row[row.reference]},
            )
        elif row.reference:
            first_row[row.reference] = row.number
    checker.resolve_houses(rows)
    recorded = {
        payment["reference"]: (payment["house_id"], payment["amount"])
        for payment in Payment.objects.filter(
            company=checker.company, reference__in=list(first_row)
        ).values("reference", "house_id", "amount")
    }
    new: list[Row] = []
    for row in rows:
        if row.cells.bad or row.house is None or row.amount is None:
            continue
        found = recorded.get(row.reference)
        if found is None:
            new.append(row)
        elif found == (row.house.pk, row.amount):
            result.already_recorded += 1
        else:
            row.cells.error(
                "reference", _("This reference is already recorded for another house or amount.")
            )
    _check_ceilings(new)
    return new


def _check_ceilings(rows: list[Row]) -> None:
    """Together, a house's new rows may pay at most what it owes plus 12 months ahead (art. 42);
    the row that goes beyond is named."""
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    ceilings: dict[int, Decimal] = {}
    for row in rows:
        house, amount = row.house, row.amount
        assert house is not None and amount is not None
        if house.pk not in ceilings:
            ceilings[house.pk] = payment_ceiling(house)
        paid[house.pk] += amount
        if paid[house.pk] > ceilings[house.pk]:
            row.cells.error(
                "amount",
                _(
                    "With this sheet's rows above for house %(house)s this pays more than 12 "
                    "months ahead: at most %(ceiling)s can be paid for it now."
                )
                % {"house": house.label, "ceiling": f"{ceilings[house.pk]:,.2f}"},
            )
