"""Small helpers for the Excel exports."""

from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


def decimal_cell(sheet: WriteOnlyWorksheet, value: Decimal | None, number_format: str) -> Any:
    """A cell holding ``value`` exactly, shown with ``number_format``; None stays empty."""
    if value is None:
        return None
    # openpyxl writes a Decimal's exact digits (its stubs only list float).
    cell = WriteOnlyCell(sheet, value=value)  # type: ignore[arg-type]
    cell.number_format = number_format
    return cell
