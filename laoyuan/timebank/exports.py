"""The time-bank report as Excel (openpyxl's write-only workbook), one sheet per table of the
reports page and the same figures: minutes as whole numbers, yuan as exact two-place numbers
(``core.excel.decimal_cell``), so an office can sum and chart the columns."""

from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from laoyuan.core.excel import decimal_cell
from laoyuan.orgs.exports import _save, sheet_title
from laoyuan.timebank.reports import HoursRow, PoolRow, Report

MONEY_FORMAT = "#,##0.00"


def place_header(level: str | None) -> str:
    return _("Street") if level == "street" else _("Community")


def hours_headers() -> list[str]:
    """The columns of the hours tables, as the page heads them."""
    return [
        _("Minutes verified"),
        _("Offsets granted"),
        _("Minutes offset"),
        _("Yuan offset"),
    ]


def _hours_cells(sheet: WriteOnlyWorksheet, row: HoursRow) -> list[Any]:
    return [
        row.label,
        row.minutes,
        row.offsets,
        row.offset_minutes,
        decimal_cell(sheet, row.offset_yuan, MONEY_FORMAT),
    ]


def _hours_sheet(
    workbook: Workbook,
    title: str,
    header: str,
    rows: list[HoursRow],
    total: HoursRow,
    *,
    minutes_only: bool = False,
) -> None:
    """A table of hours; by category only the minutes (offsets have no category)."""
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([header, *hours_headers()[: 1 if minutes_only else None]])
    for row in [*rows, total]:
        cells = _hours_cells(sheet, row)
        sheet.append(cells[:2] if minutes_only else cells)


def _pool_cells(sheet: WriteOnlyWorksheet, row: PoolRow) -> list[Any]:
    return [
        row.label,
        row.coverage,
        decimal_cell(sheet, row.contributed, MONEY_FORMAT),
        decimal_cell(sheet, row.granted, MONEY_FORMAT),
        decimal_cell(sheet, row.left, MONEY_FORMAT),
    ]


def summary_rows(report: Report) -> list[tuple[str, Any]]:
    """The page's summary figures, in its order."""
    return [
        (_("Minutes verified"), report.total.minutes),
        (_("Yuan offset"), report.total.offset_yuan),
        (_("Minutes offset"), report.total.offset_minutes),
        (_("Left in the pools"), report.pools_total.left),
        (_("Volunteer organisations (active)"), report.volunteer_orgs),
        (_("Volunteers (active)"), report.volunteers),
        (_("Low-income volunteers"), report.low_income_volunteers),
        (_("Volunteers who served in the period"), report.volunteers_served),
        (_("Claims waiting for verification"), report.claims_pending),
        (_("Claims past their day to verify"), report.claims_overdue),
    ]


def report_workbook(report: Report, place_name: str = "") -> bytes:
    """Sheets: summary, by category, by compound, by month, by street or community (when the
    page shows it), pools."""
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet(sheet_title(_("Summary")))
    summary.append([_("Time bank %(period)s") % {"period": report.period.label}, place_name])
    for label, value in summary_rows(report):
        if isinstance(value, int):
            summary.append([label, value])
        else:
            summary.append([label, decimal_cell(summary, value, MONEY_FORMAT)])
    _hours_sheet(
        workbook,
        _("By category"),
        _("Category"),
        report.by_category,
        report.total,
        minutes_only=True,
    )
    _hours_sheet(workbook, _("By compound"), _("Compound"), report.by_compound, report.total)
    _hours_sheet(workbook, _("By month"), _("Month"), report.by_month, report.total)
    if report.place_level is not None:
        title = _("By street") if report.place_level == "street" else _("By community")
        _hours_sheet(
            workbook, title, place_header(report.place_level), report.by_place, report.total
        )
    pools = workbook.create_sheet(sheet_title(_("Pools")))
    pools.append([_("Pool"), _("Serves"), _("Put in"), _("Granted"), _("Left")])
    for row in [*report.pools, report.pools_total]:
        pools.append(_pool_cells(pools, row))
    return _save(workbook)
