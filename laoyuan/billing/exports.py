"""Excel exports of collection and arrears (台账), streamed with openpyxl's write-only workbook.

Money goes into the sheet as numbers (the exact Decimal, shown with two places), the collection
rate as a fraction shown as a percent, so an office can sum and chart the columns. Rows come from
``billing.queries``, which has already scoped them to the reader.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from laoyuan.billing import queries
from laoyuan.billing.queries import ArrearsRow, CollectionRow
from laoyuan.core.excel import decimal_cell
from laoyuan.orgs.exports import _save, sheet_title

MONEY_FORMAT = "0.00"
RATE_FORMAT = "0.00%"


def _group_headers() -> dict[str, str]:
    return {
        "compound": _("Compound"),
        "company": _("Property company"),
        "street": _("Street"),
        "month": _("Month"),
    }


def _sheet_names() -> dict[str, str]:
    return {
        "compound": _("By compound"),
        "company": _("By company"),
        "street": _("By street"),
        "month": _("By month"),
    }


def _collection_sheet(
    workbook: Workbook, rows: Iterable[CollectionRow], *, by: str, total: CollectionRow | None
) -> None:
    sheet = workbook.create_sheet(sheet_title(_sheet_names()[by]))
    sheet.append([_group_headers()[by], _("Billed (yuan)"), _("Paid (yuan)"), _("Collection rate")])
    for row in [*rows, *([total] if total else [])]:
        sheet.append(
            [
                row.label,
                decimal_cell(sheet, row.billed, MONEY_FORMAT),
                decimal_cell(sheet, row.paid, MONEY_FORMAT),
                decimal_cell(sheet, row.rate, RATE_FORMAT),
            ]
        )


def collection_workbook(
    rows: Iterable[CollectionRow], *, by: str, total: CollectionRow | None = None
) -> bytes:
    """One sheet of ``queries.collection`` rows grouped ``by`` compound, company, street or
    month, with ``total`` as the last row when given. A month with nothing billed has an empty
    rate cell."""
    workbook = Workbook(write_only=True)
    _collection_sheet(workbook, rows, by=by, total=total)
    return _save(workbook)


def period_collection_workbook(*, user: Any, period: datetime.date) -> bytes:
    """The collection page of ``period`` as a workbook: a sheet each by street, company and
    compound (each ending with the user's total) and the twelve months ending with ``period``."""
    workbook = Workbook(write_only=True)
    total = queries.collection_total(user=user, period=period)
    for by in ("street", "company", "compound"):
        _collection_sheet(
            workbook, queries.collection(user=user, period=period, by=by), by=by, total=total
        )
    _collection_sheet(
        workbook, queries.collection(user=user, period=period, by="month"), by="month", total=None
    )
    return _save(workbook)


def arrears_by_age_workbook(
    ages: Mapping[str, Mapping[str, Any]], *, as_of: datetime.date
) -> bytes:
    """``queries.arrears_by_age`` as one sheet: each bucket's households and amount overdue,
    then the total."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(
        sheet_title(_("Arrears by age %(date)s") % {"date": as_of.isoformat()})
    )
    sheet.append([_("Months overdue"), _("Households"), _("Overdue (yuan)")])
    households, amount = 0, Decimal(0)
    for bucket, figures in ages.items():
        sheet.append(
            [
                str(queries.ARREARS_BUCKET_LABELS[bucket]),
                figures["households"],
                decimal_cell(sheet, figures["amount"], MONEY_FORMAT),
            ]
        )
        households += figures["households"]
        amount += figures["amount"]
    sheet.append([_("Total"), households, decimal_cell(sheet, amount, MONEY_FORMAT)])
    return _save(workbook)


def arrears_workbook(rows: Iterable[ArrearsRow], *, as_of: datetime.date) -> bytes:
    """``queries.arrears_list`` rows, one household each: for the desk's reminder round."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("Arrears %(date)s") % {"date": as_of.isoformat()}))
    sheet.append(
        [
            _("House"),
            _("Compound"),
            _("Oldest month overdue"),
            _("Months overdue"),
            _("Bills overdue"),
            _("Outstanding (yuan)"),
            _("Settled account (party has left)"),
        ]
    )
    yes, no = _("Yes"), _("No")
    for row in rows:
        sheet.append(
            [
                row.house_label,
                row.compound_name,
                f"{row.oldest_period:%Y-%m}",
                row.months,
                row.bills,
                decimal_cell(sheet, row.outstanding, MONEY_FORMAT),
                yes if row.settled else no,
            ]
        )
    return _save(workbook)
