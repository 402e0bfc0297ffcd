"""Excel exports of the place registry (台账), written with openpyxl's write-only workbook so a
district-sized list streams row by row instead of building the whole sheet in memory."""

from collections.abc import Iterable
from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from laoyuan.places.models import Compound

AREA_FORMAT = "0.00"


def compound_headers() -> list[str]:
    """The export's header row, in the active language (the list page shows the same columns)."""
    return [
        _("Code"),
        _("Compound name"),
        _("Street"),
        _("Community"),
        _("Grid"),
        _("Management mode"),
        _("Property company"),
        _("Floor area (m²)"),
        _("Households"),
        _("Renovated"),
    ]


def compound_workbook(compounds: Iterable[Compound]) -> bytes:
    """An .xlsx of the given compounds, one row each, in the order given."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Compounds"))
    sheet.append(compound_headers())
    yes, no = _("Yes"), _("No")
    for compound in compounds:
        # Excel keeps numbers as doubles; two decimals of m² survive the float exactly enough.
        area = WriteOnlyCell(sheet, value=float(compound.area_m2))
        area.number_format = AREA_FORMAT
        sheet.append(
            [
                compound.code,
                compound.name,
                compound.street.name,
                compound.community.name,
                compound.grid.name,
                compound.get_management_mode_display(),
                compound.company.name if compound.company else "",
                area,
                compound.households,
                yes if compound.renovated else no,
            ]
        )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
