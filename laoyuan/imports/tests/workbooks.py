"""Registry workbooks built in code for the import tests."""

import io
from typing import Any

from openpyxl import Workbook, load_workbook

from laoyuan.core.personal import id_number_check_char
from laoyuan.factories import Cast

COMPOUND_HEADERS = (
    "小区编码",
    "小区名称",
    "地址",
    "街道",
    "社区",
    "网格",
    "建成年份",
    "是否改造",
    "改造日期",
    "机动车位",
    "非机动车位",
)
BUILDING_HEADERS = ("小区编码", "楼号", "层数", "单元数")
HOUSE_HEADERS = ("小区编码", "楼号", "单元", "楼层", "房号", "建筑面积", "状态")
RESIDENT_HEADERS = (
    "小区编码",
    "楼号",
    "单元",
    "房号",
    "姓名",
    "手机",
    "身份证号",
    "身份",
    "困难群众",
)


def id_number(serial: int) -> str:
    first17 = f"41010419800101{serial:03d}"
    return first17 + id_number_check_char(first17)


def xlsx(sheets: dict[str, list[list[Any]]]) -> io.BytesIO:
    """A workbook with one tab per entry (first row: headers)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "registry.xlsx"
    return buffer


def good_sheets(cast: Cast) -> dict[str, list[list[Any]]]:
    """Two new compounds in street A's grid (one by codes, one by names), buildings, houses and
    residents, plus a building, house and resident added to A's existing compounds."""
    a = cast.a
    return {
        "小区": [
            list(COMPOUND_HEADERS),
            [
                "N1",
                "新一号院",
                "城东路1号",
                a.street.code,
                a.community.code,
                a.grid.code,
                1990,
                "是",
                "2021-06-30",
                10,
                40,
            ],
            [
                "N2",
                "新二号院",
                "",
                a.street.name,
                a.community.name,
                a.grid.name,
                None,
                "否",
                None,
                None,
                None,
            ],
        ],
        "楼栋": [
            list(BUILDING_HEADERS),
            ["N1", "1号楼", 6, 2],
            ["N1", "2号楼", 5, 1],
            ["N2", "1号楼", None, None],
            [a.other_compound.code, "9号楼", 7, 3],
        ],
        "房屋": [
            list(HOUSE_HEADERS),
            ["N1", "1号楼", "1", 1, "101", 86.4, "已入住"],
            ["N1", "1号楼", "1", 1, "102", "60.55", "空置"],
            ["N1", "2号楼", "", 2, "201", 100, "unsold"],
            ["N2", "1号楼", "1", 1, "101", "45.01", None],
            [a.compound.code, "1号楼", "1", 1, "103", 70, "已入住"],
        ],
        "住户": [
            list(RESIDENT_HEADERS),
            ["N1", "1号楼", "1", "101", "王芳", "13912345678", id_number(1), "业主", "是"],
            ["N1", "1号楼", "1", "101", "李强", None, None, "家属", None],
            ["N2", "1号楼", "1", "101", "赵敏", "13700001111", None, "租户", "否"],
            [
                a.compound.code,
                "1号楼",
                "1",
                "101",
                "孙丽",
                "15800002222",
                id_number(2),
                "租户",
                None,
            ],
        ],
    }


def rows_of(content: bytes, sheet: str | None = None) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))
    book.close()
    return rows


def bad_rows(cast: Cast) -> dict[str, list[list[Any]]]:
    """The good workbook with four bad rows in three sheets."""
    sheets = good_sheets(cast)
    sheets["楼栋"].append(["ZZ-404", "1号楼", 6, 2])  # row 6: unknown compound
    sheets["房屋"][2][5] = "abc"  # row 3: bad area
    sheets["房屋"].append(["N1", "1号楼", "1", 1, "101", 90, "已入住"])  # row 7: same as row 2
    sheets["住户"][3][5] = "1371234567"  # row 4: bad phone (10 digits)
    return sheets
