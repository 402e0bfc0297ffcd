"""The work-order rates as Excel (openpyxl's write-only workbook), the same figures as the
reports page: counts as integers, rates as fractions shown as percents, hours with one place, so
an office can sum and chart the columns. Rows come from ``workorders.reports``, already scoped to
the reader."""

from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from laoyuan.core.excel import decimal_cell
from laoyuan.orgs.exports import _save, sheet_title
from laoyuan.workorders.reports import RateRow, Report

RATE_FORMAT = "0.00%"
HOURS_FORMAT = "0.0"


def group_headers() -> dict[str, str]:
    return {
        "compound": _("Compound"),
        "company": _("Property company"),
        "branch": _("Party branch"),
        "street": _("Street"),
        "month": _("Month"),
    }


def column_headers() -> list[str]:
    """The figures' columns, as the page's table heads them."""
    return [
        _("Orders reported"),
        _("Accepted in time"),
        _("Response rate"),
        _("Orders due"),
        _("Verified in time"),
        _("Resolution rate"),
        _("Orders rated"),
        _("Rated 4 or 5"),
        _("Satisfaction rate"),
        _("Average hours to accept"),
        _("Average hours to verify"),
    ]


def _cells(sheet: WriteOnlyWorksheet, row: RateRow) -> list[Any]:
    return [
        row.label,
        row.created,
        row.responded,
        decimal_cell(sheet, row.response_rate, RATE_FORMAT),
        row.due,
        row.resolved,
        decimal_cell(sheet, row.resolution_rate, RATE_FORMAT),
        row.rated,
        row.satisfied,
        decimal_cell(sheet, row.satisfaction_rate, RATE_FORMAT),
        decimal_cell(sheet, row.avg_hours_to_accept, HOURS_FORMAT),
        decimal_cell(sheet, row.avg_hours_to_verify, HOURS_FORMAT),
    ]


def rates_workbook(report: Report) -> bytes:
    """One sheet: the report's rows, then its total. An empty rate or average is an empty
    cell (nothing to divide)."""
    workbook = Workbook(write_only=True)
    title = _("Work orders %(period)s") % {"period": report.period.label}
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([group_headers()[report.by], *column_headers()])
    for row in [*report.rows, report.total]:
        sheet.append(_cells(sheet, row))
    return _save(workbook)
