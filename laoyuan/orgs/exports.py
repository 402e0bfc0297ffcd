"""Excel exports of the organisation lists (台账), streamed with openpyxl's write-only workbook."""

import re
from collections.abc import Iterable
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from laoyuan.orgs.models import Committee, PropertyCompany

AREA_FORMAT = "0.00"
# Excel refuses these in sheet names (a translation may bring one in, as 业委会/自管会 does).
SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def sheet_title(title: str) -> str:
    return SHEET_TITLE_FORBIDDEN.sub("-", title)[:31] or "Sheet"


def _save(workbook: Workbook) -> bytes:
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def company_workbook(companies: Iterable[PropertyCompany]) -> bytes:
    """Companies as ``orgs.queries.company_list`` annotates them, one row each."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("Property companies")))
    sheet.append(
        [
            _("Code"),
            _("Name"),
            _("Kind"),
            _("Owning street"),
            _("Service phone"),
            _("Compounds served"),
            _("Households"),
            _("Floor area (m²)"),
        ]
    )
    for company in companies:
        area = WriteOnlyCell(sheet, value=float(getattr(company, "area", 0) or 0))
        area.number_format = AREA_FORMAT
        sheet.append(
            [
                company.code,
                company.name,
                company.get_kind_display(),
                company.street.name if company.street else "",
                company.phone,
                getattr(company, "compound_count", 0),
                getattr(company, "household_count", 0),
                area,
            ]
        )
    return _save(workbook)


def committee_workbook(committees: Iterable[Committee]) -> bytes:
    """Committees as ``orgs.queries.committee_list`` annotates them, one row each."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("Committees")))
    sheet.append(
        [
            _("Compound code"),
            _("Compound name"),
            _("Community"),
            _("Street"),
            _("Kind"),
            _("Committee name"),
            _("Term starts"),
            _("Term ends"),
            _("Current members"),
        ]
    )
    for committee in committees:
        compound = committee.compound
        sheet.append(
            [
                compound.code,
                compound.name,
                compound.community.name,
                committee.street.name,
                committee.get_kind_display(),
                committee.name,
                committee.term_start,
                committee.term_end,
                getattr(committee, "member_count", 0),
            ]
        )
    return _save(workbook)
