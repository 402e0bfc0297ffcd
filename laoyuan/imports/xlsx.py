"""Reading registry workbooks and writing the template and the error report (openpyxl).

Workbooks are read in openpyxl's read-only, values-only mode: rows stream from the file, so a
100,000-row sheet never sits in memory as cell objects.
"""

import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from laoyuan.imports.columns import (
    HEADER_INDEX,
    SHEETS,
    Column,
    SheetSpec,
    normalise_header,
    sheet_for_name,
)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS_PER_SHEET = 200_000
# The header is looked for in the first rows: offices often put a title line above it.
HEADER_SEARCH_ROWS = 10
NOTES_SHEET = "说明 Notes"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class WorkbookError(Exception):
    """The file cannot be read as a registry workbook at all (a form error, not a row error)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class RowError:
    """One bad cell: the sheet and row as Excel shows them, the column header, value, reason."""

    sheet: str
    row: int
    column: str
    value: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }


@dataclass(frozen=True)
class SheetLayout:
    """Where a recognised sheet's header is and which column holds which field."""

    spec: SheetSpec
    name: str  # the tab's name as written
    header_row: int
    # field key -> (0-based column index, the header as written in the file)
    columns: dict[str, tuple[int, str]]

    def header(self, key: str) -> str:
        found = self.columns.get(key)
        return found[1] if found else self.spec.column(key).header


class RegistryWorkbook:
    """An opened registry workbook: its recognised sheets, and their data rows on demand."""

    def __init__(self, file: IO[bytes]) -> None:
        try:
            self._book = load_workbook(file, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise WorkbookError([_("This file is not an Excel workbook (.xlsx).")]) from exc
        except Exception as exc:  # openpyxl raises assorted parser errors on damaged files
            raise WorkbookError([_("This Excel workbook is damaged and cannot be read.")]) from exc
        self.layouts: dict[str, SheetLayout] = {}
        errors: list[str] = []
        for name in self._book.sheetnames:
            spec = sheet_for_name(name)
            if spec is None:
                continue
            if spec.key in self.layouts:
                errors.append(
                    _("Two sheets hold %(what)s: “%(a)s” and “%(b)s”. Keep one.")
                    % {"what": spec.title, "a": self.layouts[spec.key].name, "b": name}
                )
                continue
            try:
                self.layouts[spec.key] = self._layout(spec, name)
            except WorkbookError as exc:
                errors.extend(exc.messages)
        if not self.layouts and not errors:
            errors.append(
                _("No sheet to import. Name the sheets %(names)s (or use the template).")
                % {"names": "、".join(f"{s.title} ({s.english})" for s in SHEETS)}
            )
        if errors:
            self.close()
            raise WorkbookError(errors)

    def close(self) -> None:
        self._book.close()

    def _layout(self, spec: SheetSpec, name: str) -> SheetLayout:
        index = HEADER_INDEX[spec.key]
        best: tuple[int, int, tuple[Any, ...]] | None = None  # (matches, row number, cells)
        sheet = self._book[name]
        for number, cells in enumerate(
            sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1
        ):
            matches = sum(1 for cell in cells if header_key(cell) in index)
            if matches and (best is None or matches > best[0]):
                best = (matches, number, cells)
        if best is None:
            raise WorkbookError(
                [
                    _("Sheet “%(sheet)s” has no header row; expected columns such as %(cols)s.")
                    % {"sheet": name, "cols": "、".join(c.header for c in spec.columns[:4])}
                ]
            )
        _matches, header_row, cells = best
        return sheet_layout(spec, name, header_row, cells, index)

    def rows(self, key: str) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(row number as Excel shows it, cell values) for each non-blank row under the header.

        Raises WorkbookError past MAX_ROWS_PER_SHEET data rows.
        """
        layout = self.layouts[key]
        count = 0
        sheet = self._book[layout.name]
        try:
            for number, cells in enumerate(
                sheet.iter_rows(min_row=layout.header_row + 1, values_only=True),
                start=layout.header_row + 1,
            ):
                if all(
                    cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells
                ):
                    continue
                count += 1
                if count > MAX_ROWS_PER_SHEET:
                    raise WorkbookError(
                        [
                            _("Sheet “%(sheet)s” has more than %(limit)s rows; split the file.")
                            % {"sheet": layout.name, "limit": f"{MAX_ROWS_PER_SHEET:,}"}
                        ]
                    )
                yield number, cells
        except WorkbookError:
            raise
        except Exception as exc:  # a damaged sheet part
            raise WorkbookError(
                [_("Sheet “%(sheet)s” is damaged and cannot be read.") % {"sheet": layout.name}]
            ) from exc


def header_key(cell: Any) -> str:
    return normalise_header(cell) if isinstance(cell, str) else ""


def sheet_layout(
    spec: SheetSpec,
    name: str,
    header_row: int,
    cells: tuple[Any, ...],
    index: dict[str, Column],
) -> SheetLayout:
    """Where each of ``spec``'s columns sits in the header row ``cells`` (``index`` maps a
    normalised header to its column). Raises WorkbookError naming a column given twice or the
    required columns missing."""
    columns: dict[str, tuple[int, str]] = {}
    errors: list[str] = []
    for position, cell in enumerate(cells):
        column = index.get(header_key(cell))
        if column is None:
            continue
        if column.key in columns:
            errors.append(
                _("Sheet “%(sheet)s” has the column %(column)s twice.")
                % {"sheet": name, "column": column.header}
            )
            continue
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
    return SheetLayout(spec=spec, name=name, header_row=header_row, columns=columns)


# Writing --------------------------------------------------------------------------------------

_BOLD = Font(bold=True)
TEXT_COLUMNS = {"id_number", "phone", "code", "compound", "room", "unit", "number", "building"}
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_HEADER_FILL = PatternFill("solid", fgColor="E9ECEF")


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def error_report(errors: Iterable[RowError], *, total: int) -> bytes:
    """The error report: one line per bad cell (sheet, row, column, value, reason)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (14, 8, 18, 28, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.append([_("Sheet"), _("Row"), _("Column"), _("Value"), _("Reason")])
    listed = 0
    for error in errors:
        sheet.append([error.sheet, error.row, error.column, error.value, error.message])
        listed += 1
    if listed < total:
        sheet.append(
            [
                "",
                None,
                "",
                "",
                _("… and %(count)s more errors not listed; fix these and upload again.")
                % {"count": total - listed},
            ]
        )
    return _save(book)


def template_workbook(examples: dict[str, dict[str, Any]]) -> bytes:
    """The import template: the four sheets with their headers and one example row each, and a
    notes sheet explaining every column. ``examples`` maps sheet key → column key → value."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for spec in SHEETS:
        sheet = book.create_sheet(spec.title)
        sheet.append([column.header for column in spec.columns])
        sheet.append([examples.get(spec.key, {}).get(c.key) for c in spec.columns])
        for position, column in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=1, column=position)
            cell.font = _BOLD
            cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
            letter = get_column_letter(position)
            sheet.column_dimensions[letter].width = max(12, len(column.header) * 3)
            if column.key in TEXT_COLUMNS:
                # Text, so long digit strings keep every digit and leading zeros survive.
                sheet.column_dimensions[letter].number_format = "@"
        sheet.freeze_panes = "A2"
    notes = book.create_sheet(NOTES_SHEET)
    notes.append([_("Sheet"), _("Column"), _("English header"), _("Required"), _("What to write")])
    for cell in notes[1]:
        cell.font = _BOLD
    for spec in SHEETS:
        for column in spec.columns:
            notes.append(
                [
                    f"{spec.title} ({spec.english})",
                    column.header,
                    column.english,
                    _("yes") if column.required else _("no"),
                    str(column.help),
                ]
            )
    notes.append([])
    for line in _general_notes():
        notes.append([line])
    for letter, width in zip("ABCDE", (18, 16, 22, 10, 90), strict=True):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        row[4].alignment = Alignment(wrap_text=True)
    return _save(book)


def _general_notes() -> list[str]:
    return [
        _("How the import works"),
        _(
            "Every row of every sheet is checked first. If any row is wrong, nothing is written "
            "and you get a report naming each bad row, column and reason."
        ),
        _(
            "Sheets are read in the order 小区 → 楼栋 → 房屋 → 住户; a row may refer to rows of "
            "an earlier sheet or to places already registered in your scope."
        ),
        _(
            "Column order is free, blank rows are ignored, other columns are ignored, and a "
            "title line above the header is allowed. English headers are accepted too."
        ),
        _(
            "The import only adds: a compound, building or house that is already registered, "
            "or a resident already registered at the same house, is reported as a duplicate."
        ),
        _(
            "The error report shows residents' names, phone numbers and ID numbers masked; "
            "find the row by its number."
        ),
        _("Limits: %(mb)s MB per file, %(rows)s rows per sheet.")
        % {"mb": MAX_FILE_BYTES // (1024 * 1024), "rows": f"{MAX_ROWS_PER_SHEET:,}"},
        _("Delete the example rows before importing your own data."),
    ]


def cell_text(value: Any) -> str:
    """A cell value as the report shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ROWS_PER_SHEET",
    "XLSX_CONTENT_TYPE",
    "Column",
    "RegistryWorkbook",
    "RowError",
    "SheetLayout",
    "WorkbookError",
    "cell_text",
    "error_report",
    "template_workbook",
]
