"""What the payment and opening-balance imports share: reading the sheet, checking its cells
(with the registry import's cell readers), the result and its error report, the audit event."""

import datetime
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from laoyuan.billing.models import ZERO, Receipt
from laoyuan.billing.services.accounts import acts_for_company
from laoyuan.core import audit
from laoyuan.core.money import to_fen
from laoyuan.imports.columns import Column, SheetSpec, normalise_header
from laoyuan.imports.services import check_upload
from laoyuan.imports.validation import _Cells
from laoyuan.imports.xlsx import (
    HEADER_SEARCH_ROWS,
    MAX_ROWS_PER_SHEET,
    RowError,
    SheetLayout,
    WorkbookError,
    error_report,
    header_key,
    sheet_layout,
)
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import Compound, House

COMPOUND = Column(
    "compound",
    "小区编码",
    "compound code",
    True,
    gettext_lazy("Code of a compound your company serves."),
    "A1-0001",
    ("compound", "小区"),
)
HOUSE = Column(
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
NOTE = Column("note", "备注", "note", False, gettext_lazy("Any remark."), "", ("remark", "memo"))


@dataclass
class PaymentImportResult:
    """What an import did, or why it did nothing."""

    rows: int = 0
    created: int = 0
    already_recorded: int = 0
    row_errors: list[RowError] = field(default_factory=list)
    # The receipts of the payments this import recorded (payments only).
    receipts: list[Receipt] = field(default_factory=list)

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


def file_error(message: str) -> RowError:
    return RowError(sheet="", row=0, column="", value="", message=message)


# Reading -------------------------------------------------------------------------------------


def read_sheet(
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
                matches = len({index[key].key for key in map(header_key, cells) if key in index})
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
        layout = sheet_layout(spec, name, header_row, cells, index)
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
class Row:
    number: int
    cells: _Cells
    house: House | None = None
    amount: Decimal | None = None
    channel: str = ""
    reference: str = ""
    received_on: datetime.date | None = None
    note: str = ""


class Checker:
    """Reads every row of a sheet into ``Row``s and collects the errors, in sheet order."""

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

    def resolve_houses(self, rows: list[Row]) -> None:
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


def require_company_staff(actor: Any, company: PropertyCompany) -> None:
    if not acts_for_company(actor, company.pk):
        raise PermissionDenied


def begin(
    upload: IO[bytes], spec: SheetSpec, company: PropertyCompany
) -> tuple[Checker, list[Row], PaymentImportResult] | PaymentImportResult:
    """The sheet's rows ready to check, or the result refusing a file that cannot be read."""
    try:
        layout, raw_rows = read_sheet(upload, spec)
    except WorkbookError as exc:
        return PaymentImportResult(row_errors=[file_error(message) for message in exc.messages])
    checker = Checker(company, layout)
    rows = [Row(number=number, cells=checker.cells(number, values)) for number, values in raw_rows]
    return checker, rows, PaymentImportResult(rows=len(rows))


def finish(checker: Checker, result: PaymentImportResult) -> PaymentImportResult:
    result.row_errors = checker.errors
    if result.row_errors:
        result.created, result.receipts = 0, []
    return result


def changed_meanwhile() -> RowError:
    # A concurrent import or payment wrote the same rows between the check and the write; the
    # transaction rolled back, so nothing of this file was written.
    return file_error(
        _("The books changed while the file was checked; nothing was written. Upload it again.")
    )


def _file_name(upload: IO[bytes]) -> str:
    return PurePath(getattr(upload, "name", "") or "").name


def record_import(
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
