"""Importing payments and opening balances from an Excel sheet: every row checked, then all or
nothing.

``import_payments`` reads a cashier's ledger or a bank statement (one row a payment: compound
code, house number as ``House.label`` prints it, amount, channel, reference, date, note) and
records it with one ``payments.record_payments`` call. A reference already recorded for the
same house and amount is counted as ``already_recorded`` and pays nothing again, so a sheet can
be imported twice safely.

``import_opening_balances`` reads the arrears a company inherits at a takeover (compound code,
house number, amount, note) and writes one opening bill per house: a bill for the month before
the company took the compound over, under the company's first posted scheme for the compound,
charged by an ``opening`` entry (+amount on the household account with the bill, −amount on the
company's ``opening`` account) with the reference ``OPENING-<house id>``. The bill is the oldest
of the house, so payments settle inherited arrears first; it ages in the arrears report like any
unpaid month; it is not a monthly charge, so it is told apart by its opening entry (its period
lies before the company's takeover). Importing again writes nothing twice.

A file with any bad row writes nothing; the result lists each error (row, column, reason) and
``report()`` gives them as a workbook to download.
"""

import datetime
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from laoyuan.billing import calc
from laoyuan.billing.enums import AccountKind, Channel, EntryKind, SchemeStatus
from laoyuan.billing.models import ZERO, Account, Bill, FeeScheme, Payment, Posting
from laoyuan.billing.services.accounts import acts_for_company
from laoyuan.billing.services.ledger import (
    Draft,
    Line,
    allocate_credit,
    company_account,
    post_entries,
    refresh_bills,
)
from laoyuan.billing.services.payments import (
    PaymentRow,
    PaymentRowsError,
    payment_ceiling,
    record_payments,
)
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.imports.columns import Column, SheetSpec, normalise_header
from laoyuan.imports.services import check_upload
from laoyuan.imports.validation import _Cells
from laoyuan.imports.xlsx import (
    MAX_ROWS_PER_SHEET,
    RowError,
    SheetLayout,
    WorkbookError,
    error_report,
)
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House, ManagementPeriod

# The header is looked for in the first rows: ledgers often carry a title line above it.
HEADER_SEARCH_ROWS = 10

_COMPOUND = Column(
    "compound",
    "小区编码",
    "compound code",
    True,
    gettext_lazy("Code of a compound your company serves."),
    "A1-0001",
    ("compound", "小区"),
)
_HOUSE = Column(
    "house",
    "房号",
    "house",
    True,
    gettext_lazy(
        "The house number as the house list shows it: building-unit-room, e.g. 1号楼-1-101."
    ),
    "1号楼-1-101",
    ("房屋", "户号", "house number"),
)
_NOTE = Column("note", "备注", "note", False, gettext_lazy("Any remark."), "", ("remark", "memo"))

PAYMENTS = SheetSpec(
    key="payments",
    title="缴费",
    english="Payments",
    aliases=("收款", "缴费记录", "流水"),
    columns=(
        _COMPOUND,
        _HOUSE,
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
        _NOTE,
    ),
)

OPENING_BALANCES = SheetSpec(
    key="opening_balances",
    title="期初欠费",
    english="Opening balances",
    aliases=("欠费", "期初余额"),
    columns=(
        _COMPOUND,
        _HOUSE,
        Column(
            "amount",
            "欠费金额",
            "amount",
            True,
            gettext_lazy("Arrears inherited at the takeover, in yuan, e.g. 1036.80."),
            "1036.80",
            ("金额", "期初欠费", "arrears", "opening balance"),
        ),
        _NOTE,
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

REPORT_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def opening_reference(house_id: int) -> str:
    """The idempotency reference of a house's opening entry."""
    return f"OPENING-{house_id}"


@dataclass
class PaymentImportResult:
    """What an import did, or why it did nothing."""

    rows: int = 0
    created: int = 0
    already_recorded: int = 0
    row_errors: list[RowError] = field(default_factory=list)
    # The receipts of the payments this import recorded (payments only).
    receipts: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.row_errors

    @property
    def errors(self) -> list[tuple[int, str, str]]:
        """(row as Excel shows it — 0 for the file as a whole, column header, reason)."""
        return [(error.row, error.column, error.message) for error in self.row_errors]

    def report(self) -> bytes:
        """The errors as a workbook to download (sheet, row, column, value, reason)."""
        return error_report(self.row_errors, total=len(self.row_errors))


def _file_error(message: str) -> RowError:
    return RowError(sheet="", row=0, column="", value="", message=message)


# Reading -------------------------------------------------------------------------------------


def _read(
    upload: IO[bytes], spec: SheetSpec
) -> tuple[SheetLayout, list[tuple[int, tuple[Any, ...]]]]:
    """The sheet holding ``spec``'s columns (the tab whose header matches best) and its non-blank
    rows. Raises WorkbookError when the file or its header cannot be used."""
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    check_upload(file_name=getattr(upload, "name", "") or "", size=size)
    index = {normalise_header(name): column for column in spec.columns for name in column.names}
    try:
        book = load_workbook(upload, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise WorkbookError([_("This file is not an Excel workbook (.xlsx).")]) from exc
    except Exception as exc:  # openpyxl raises assorted parser errors on damaged files
        raise WorkbookError([_("This Excel workbook is damaged and cannot be read.")]) from exc
    try:
        best: tuple[int, str, int, tuple[Any, ...]] | None = None  # matches, sheet, row, cells
        for name in book.sheetnames:
            sheet = book[name]
            for number, cells in enumerate(
                sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
            ):
                matches = len({index[key].key for key in map(_header_key, cells) if key in index})
                if matches and (best is None or matches > best[0]):
                    best = (matches, name, number, cells)
        if best is None:
            raise WorkbookError(
                [
                    _("No sheet has a header row with the columns %(columns)s.")
                    % {"columns": "、".join(f"{c.header} ({c.english})" for c in spec.columns)}
                ]
            )
        _matches, name, header_row, cells = best
        columns: dict[str, tuple[int, str]] = {}
        errors: list[str] = []
        for position, cell in enumerate(cells):
            column = index.get(_header_key(cell))
            if column is None:
                continue
            if column.key in columns:
                errors.append(
                    _("Sheet “%(sheet)s” has the column %(column)s twice.")
                    % {"sheet": name, "column": column.header}
                )
            columns[column.key] = (position, str(cell).strip())
        missing = [c for c in spec.columns if c.required and c.key not in columns]
        if missing:
            errors.append(
                _("Sheet “%(sheet)s” lacks the required columns: %(columns)s.")
                % {
                    "sheet": name,
                    "columns": "、".join(f"{c.header} ({c.english})" for c in missing),
                }
            )
        if errors:
            raise WorkbookError(errors)
        layout = SheetLayout(spec=spec, name=name, header_row=header_row, columns=columns)
        rows = list(_data_rows(book[name], header_row))
    except WorkbookError:
        raise
    except Exception as exc:  # a damaged sheet part
        raise WorkbookError([_("This Excel workbook is damaged and cannot be read.")]) from exc
    finally:
        book.close()
    if not rows:
        raise WorkbookError([_("The workbook has no rows to import.")])
    return layout, rows


def _header_key(cell: Any) -> str:
    return normalise_header(cell) if isinstance(cell, str) else ""


def _data_rows(sheet: Any, header_row: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for number, cells in enumerate(
        sheet.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1
    ):
        if all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells):
            continue
        if number - header_row > MAX_ROWS_PER_SHEET:
            raise WorkbookError(
                [
                    _("The sheet has more than %(limit)s rows; split the file.")
                    % {"limit": f"{MAX_ROWS_PER_SHEET:,}"}
                ]
            )
        yield number, cells


# Checking ------------------------------------------------------------------------------------


def _label_key(text: str) -> str:
    """A house number as compared: full-width folded, spaces removed, case ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lower()


@dataclass
class _Row:
    number: int
    cells: _Cells
    house: House | None = None
    amount: Decimal | None = None
    channel: str = ""
    reference: str = ""
    received_on: datetime.date | None = None
    note: str = ""


class _Checker:
    """Reads every row of a sheet into ``_Row``s and collects the errors, in sheet order."""

    def __init__(self, company: PropertyCompany, layout: SheetLayout) -> None:
        self.company = company
        self.layout = layout
        self._errors: list[tuple[int, int, RowError]] = []
        # Errors of the file as a whole (row 0), listed first.
        self.file_errors: list[RowError] = []

    def _sink(self, _sheet: int, row: int, column: int, error: RowError) -> None:
        self._errors.append((row, column, error))

    @property
    def errors(self) -> list[RowError]:
        cells = [error for _row, _column, error in sorted(self._errors, key=lambda e: e[:2])]
        return self.file_errors + cells

    def cells(self, number: int, values: tuple[Any, ...]) -> _Cells:
        return _Cells(self.layout, 0, number, values, self._sink)

    @staticmethod
    def amount(cells: _Cells) -> Decimal | None:
        if cells.raw("amount") is None:
            cells.error("amount", _("Required."))
            return None
        amount = cells.decimal("amount")
        if amount is None:
            return None
        if amount <= ZERO:
            cells.error("amount", _("Write an amount above 0.00."))
            return None
        if to_fen(amount) != amount:
            cells.error("amount", _("At most two decimal places (yuan and fen)."))
            return None
        return amount

    def resolve_houses(self, rows: list[_Row]) -> None:
        """Each row's house, from its compound code and house number: two queries in all. A
        compound another company serves reads as unknown (its code is not confirmed)."""
        codes = {row.cells.code("compound", max_length=32) for row in rows} - {""}
        compounds = {
            compound.code: compound
            for compound in Compound.objects.filter(code__in=codes, company=self.company)
        }
        houses: dict[tuple[int, str], House] = {}
        for house in House.objects.filter(compound__in=compounds.values()).select_related(
            "building", "compound"
        ):
            houses[(house.compound_id, _label_key(house.label))] = house
        for row in rows:
            code = row.cells.code("compound", max_length=32, required=True)
            label = row.cells.text("house", max_length=80, required=True)
            if not code:
                continue
            compound = compounds.get(code)
            if compound is None:
                row.cells.error(
                    "compound",
                    _("No compound with this code is served by %(company)s.")
                    % {"company": self.company},
                )
                continue
            if not label:
                continue
            row.house = houses.get((compound.pk, _label_key(label)))
            if row.house is None:
                row.cells.error(
                    "house",
                    _(
                        "Compound %(code)s has no house %(house)s (write the house number as "
                        "building-unit-room, e.g. 1号楼-1-101)."
                    )
                    % {"code": code, "house": label},
                )


def _permission(actor: Any, company: PropertyCompany) -> None:
    if not acts_for_company(actor, company.pk):
        raise PermissionDenied


def _begin(
    upload: IO[bytes], spec: SheetSpec, company: PropertyCompany
) -> tuple[_Checker, list[_Row], PaymentImportResult] | PaymentImportResult:
    """The sheet's rows ready to check, or the result refusing a file that cannot be read."""
    try:
        layout, raw_rows = _read(upload, spec)
    except WorkbookError as exc:
        return PaymentImportResult(row_errors=[_file_error(message) for message in exc.messages])
    checker = _Checker(company, layout)
    rows = [_Row(number=number, cells=checker.cells(number, values)) for number, values in raw_rows]
    return checker, rows, PaymentImportResult(rows=len(rows))


def _finish(checker: _Checker, result: PaymentImportResult) -> PaymentImportResult:
    result.row_errors = checker.errors
    if result.row_errors:
        result.created, result.receipts = 0, []
    return result


def _changed_meanwhile() -> RowError:
    # A concurrent import or payment wrote the same rows between the check and the write; the
    # transaction rolled back, so nothing of this file was written.
    return _file_error(
        _("The books changed while the file was checked; nothing was written. Upload it again.")
    )


def _file_name(upload: IO[bytes]) -> str:
    return PurePath(getattr(upload, "name", "") or "").name


# Payments ------------------------------------------------------------------------------------

# ``record_payments``' field names, as this sheet's columns.
_COLUMN_OF_FIELD = {"received_on": "date"}


def import_payments(
    *, company: PropertyCompany, upload: IO[bytes], actor: Any
) -> PaymentImportResult:
    """Record the payments of a cashier's ledger or bank statement, all or none."""
    _permission(actor, company)
    begun = _begin(upload, PAYMENTS, company)
    if isinstance(begun, PaymentImportResult):
        return begun
    checker, rows, result = begun
    new = _check_payments(checker, rows, result)
    if checker.errors or not new:
        return _finish(checker, result)
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
            _audit(
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
        checker.file_errors.append(_changed_meanwhile())
    else:
        result.created, result.receipts = len(receipts), receipts
    return _finish(checker, result)


def _check_payments(checker: _Checker, rows: list[_Row], result: PaymentImportResult) -> list[_Row]:
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
    new: list[_Row] = []
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


def _check_ceilings(rows: list[_Row]) -> None:
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


def _audit(
    *,
    actor: Any,
    company: PropertyCompany,
    action: str,
    summary: str,
    upload: IO[bytes],
    result: PaymentImportResult,
    created: int,
    total: Decimal,
) -> None:
    file_name = _file_name(upload)
    audit.record(
        actor=actor,
        action=action,
        target=company,
        summary=summary % {"count": created, "file": file_name},
        changes={
            "file": file_name,
            "rows": result.rows,
            "created": created,
            "already_recorded": result.already_recorded,
            "total": str(total),
        },
        district_id=company.district_id,
        street_id=company.street_id,
    )


# Opening balances ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opening:
    """Where a compound's opening bills go: the month before the takeover, its first scheme."""

    period: datetime.date
    takeover: datetime.date
    scheme: FeeScheme | None


def _openings(company: PropertyCompany, compound_ids: set[int]) -> dict[int, _Opening]:
    """Per compound: the month before the company's current management period began, and the
    company's first posted scheme for it (None when it has posted none)."""
    started = dict(
        ManagementPeriod.objects.filter(
            compound_id__in=compound_ids, company=company, ended_on__isnull=True
        ).values_list("compound_id", "started_on")
    )
    schemes: dict[int, FeeScheme] = {}
    for scheme in FeeScheme.objects.filter(
        compound_id__in=compound_ids, company=company, status=SchemeStatus.POSTED
    ).order_by("-effective_from", "-id"):
        schemes[scheme.compound_id] = scheme  # the earliest is written last and wins
    return {
        compound_id: _Opening(
            period=calc.add_months(calc.month_start(on), -1),
            takeover=on,
            scheme=schemes.get(compound_id),
        )
        for compound_id, on in started.items()
    }


def import_opening_balances(
    *, company: PropertyCompany, upload: IO[bytes], actor: Any
) -> PaymentImportResult:
    """Write the arrears inherited at a takeover, one opening bill and entry per house, all or
    none. A house whose opening balance is already recorded with the same amount is counted as
    ``already_recorded``; with another amount it is an error (correct it at the desk)."""
    _permission(actor, company)
    begun = _begin(upload, OPENING_BALANCES, company)
    if isinstance(begun, PaymentImportResult):
        return begun
    checker, rows, result = begun
    new, openings = _check_openings(checker, rows, result)
    if checker.errors or not new:
        return _finish(checker, result)
    try:
        with transaction.atomic():
            created = _write_openings(company=company, rows=new, openings=openings, actor=actor)
            _audit(
                actor=actor,
                company=company,
                action="opening_balances.imported",
                summary=_("%(count)s opening balances imported from %(file)s"),
                upload=upload,
                result=result,
                created=created,
                total=sum((row.amount or ZERO for row in new), ZERO),
            )
    except IntegrityError:
        checker.file_errors.append(_changed_meanwhile())
    else:
        result.created = created
    return _finish(checker, result)


def _check_openings(
    checker: _Checker, rows: list[_Row], result: PaymentImportResult
) -> tuple[list[_Row], dict[int, _Opening]]:
    """Check every row; count the houses already recorded; the new rows to write."""
    company = checker.company
    for row in rows:
        row.amount = checker.amount(row.cells)
        row.note = row.cells.text("note", max_length=200)
    checker.resolve_houses(rows)
    houses = [row.house for row in rows if row.house is not None]
    openings = _openings(company, {house.compound_id for house in houses})
    recorded = dict(
        Posting.objects.filter(
            entry__company=company,
            entry__kind=EntryKind.OPENING,
            entry__reverses__isnull=True,
            entry__reference__in=[opening_reference(house.pk) for house in houses],
            account__kind=AccountKind.HOUSEHOLD,
        ).values_list("entry__house_id", "amount")
    )
    taken = set(
        Bill.objects.filter(
            house__in=houses, period__in={opening.period for opening in openings.values()}
        ).values_list("house_id", "period")
    )
    first_row: dict[int, int] = {}
    new: list[_Row] = []
    for row in rows:
        house, cells = row.house, row.cells
        if house is None:
            continue
        if house.pk in first_row:
            cells.error("house", _("The same house as row %(row)s.") % {"row": first_row[house.pk]})
            continue
        first_row[house.pk] = row.number
        opening = openings.get(house.compound_id)
        if opening is None:
            cells.error(
                "compound",
                _("The takeover of this compound by %(company)s is not recorded.")
                % {"company": company},
            )
        elif opening.scheme is None:
            cells.error(
                "compound",
                _("Post the compound's fee scheme before importing its opening balances."),
            )
        elif row.amount is None:
            continue
        elif house.pk in recorded:
            if recorded[house.pk] == row.amount:
                result.already_recorded += 1
            else:
                cells.error(
                    "amount",
                    _("An opening balance of %(amount)s is already recorded for this house.")
                    % {"amount": recorded[house.pk]},
                )
        elif (house.pk, opening.period) in taken:
            cells.error(
                "house",
                _(
                    "This house already has a bill for %(period)s, the month before the "
                    "takeover on %(takeover)s: its arrears are in the books already."
                )
                % {"period": f"{opening.period:%Y-%m}", "takeover": opening.takeover.isoformat()},
            )
        elif not cells.bad:
            new.append(row)
    return new, openings


def _write_openings(
    *, company: PropertyCompany, rows: list[_Row], openings: dict[int, _Opening], actor: Any
) -> int:
    """One opening bill and entry per row, with the households' open accounts locked (opened
    on the opening month where a house has none yet)."""
    houses = {row.house.pk: row.house for row in rows if row.house is not None}
    accounts = {
        account.house_id: account
        for account in Account.objects.select_for_update().filter(
            kind=AccountKind.HOUSEHOLD, house_id__in=houses, closed_on__isnull=True
        )
    }
    created = Account.objects.bulk_create(
        [
            Account(
                kind=AccountKind.HOUSEHOLD,
                district_id=company.district_id,
                street_id=house.street_id,
                house=house,
                opened_on=openings[house.compound_id].period,
            )
            for house_id, house in houses.items()
            if house_id not in accounts
        ]
    )
    accounts.update((account.house_id, account) for account in created if account.house_id)
    bills: list[Bill] = []
    for row in rows:
        house, amount = row.house, row.amount
        assert house is not None and amount is not None
        scheme = openings[house.compound_id].scheme
        assert scheme is not None
        bills.append(
            Bill(
                house=house,
                account=accounts[house.pk],
                compound_id=house.compound_id,
                district_id=scheme.district_id,
                street_id=house.street_id,
                company=company,
                scheme=scheme,
                period=openings[house.compound_id].period,
                list_amount=amount,
                amount=amount,
                trial=False,
                house_status=house.status,
            )
        )
    bills = Bill.objects.bulk_create(bills)
    opening_account = company_account(company, AccountKind.OPENING)
    post_entries(
        [
            Draft(
                kind=EntryKind.OPENING,
                lines=[
                    Line(accounts[bill.house_id], bill.amount, bill),
                    Line(opening_account, -bill.amount),
                ],
                district_id=bill.district_id,
                street_id=bill.street_id,
                company_id=company.pk,
                house_id=bill.house_id,
                bill=bill,
                reference=opening_reference(bill.house_id),
                memo=" · ".join(filter(None, ["arrears inherited at the takeover", row.note])),
            )
            for bill, row in zip(bills, rows, strict=True)
        ],
        actor=actor,
    )
    refresh_bills(bill.pk for bill in bills)
    # Credit an account already holds (a prepayment) settles the inherited arrears at once.
    with_credit = (
        Posting.objects.filter(account__in=list(accounts.values()), bill__isnull=True)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .values_list("account_id", flat=True)
    )
    for account in Account.objects.filter(pk__in=list(with_credit)):
        allocate_credit(account=account, actor=actor)
    return len(bills)
