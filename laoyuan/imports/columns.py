"""The registry workbook's sheets and columns: one description used by the reader, the validator,
the template and its notes sheet, so the three can never disagree on a header."""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header the template uses
    english: str  # the English header, also accepted
    required: bool  # the column must be present in the sheet (and the cell filled)
    help: Promise
    example: object = None
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, self.english, self.key, *self.aliases)


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str  # the Chinese sheet name the template uses
    english: str
    aliases: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.title, self.english, self.key, *self.aliases)

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)


_COMPOUND_REF = Column(
    "compound",
    "小区编码",
    "compound code",
    True,
    _("Code of a compound in the 小区 sheet or already registered in your scope."),
    "EX-0001",
    ("compound",),
)
_BUILDING_REF = Column(
    "building",
    "楼号",
    "building number",
    True,
    _("Building number as written in the 楼栋 sheet or the registry, e.g. 1号楼."),
    "1号楼",
    ("building", "building no"),
)
_UNIT = Column(
    "unit",
    "单元",
    "unit",
    False,
    _("Unit (单元); leave empty when the building has none."),
    "1",
)
_ROOM = Column("room", "房号", "room", True, _("Room number, e.g. 301."), "301", ("room number",))

COMPOUNDS = SheetSpec(
    key="compounds",
    title="小区",
    english="Compounds",
    aliases=("compound", "楼院"),
    columns=(
        Column(
            "code",
            "小区编码",
            "code",
            True,
            _("Unique code of the compound; not yet registered. At most 32 characters."),
            "EX-0001",
            ("compound code",),
        ),
        Column("name", "小区名称", "name", True, _("Name, at most 100 characters."), "示例小区"),
        Column("address", "地址", "address", False, _("Address, at most 200 characters."), ""),
        Column(
            "street",
            "街道",
            "street",
            False,
            _("Street code or name. Optional: the grid decides it; if given, it must match."),
        ),
        Column(
            "community",
            "社区",
            "community",
            False,
            _("Community code or name. Optional: the grid decides it; if given, it must match."),
        ),
        Column(
            "grid",
            "网格",
            "grid",
            True,
            _("Grid code or name, inside your scope. Use the code when names repeat."),
        ),
        Column(
            "build_year",
            "建成年份",
            "build year",
            False,
            _("Year built, e.g. 1992."),
            1992,
        ),
        Column(
            "renovated",
            "是否改造",
            "renovated",
            False,
            _("是 or 否 (yes / no); empty means 否."),
            "是",
        ),
        Column(
            "renovated_on",
            "改造日期",
            "renovated on",
            False,
            _("Date of the renovation, e.g. 2021-06-30; only when 是否改造 is 是."),
            "2021-06-30",
        ),
        Column(
            "parking_motor",
            "机动车位",
            "motor parking",
            False,
            _("Number of motor vehicle parking spaces; empty means 0."),
            20,
        ),
        Column(
            "parking_non_motor",
            "非机动车位",
            "non-motor parking",
            False,
            _("Number of non-motor (bicycle) parking spaces; empty means 0."),
            60,
        ),
        Column(
            "latitude",
            "纬度",
            "latitude",
            False,
            _("Latitude in degrees (optional), e.g. 34.7466."),
            34.7466,
        ),
        Column(
            "longitude",
            "经度",
            "longitude",
            False,
            _("Longitude in degrees (optional), e.g. 113.6801."),
            113.6801,
        ),
        Column(
            "mode_from",
            "管理模式起始日",
            "management mode from",
            False,
            _(
                "New compounds start as unmanaged (无主管) from this date; empty means today. "
                "Change the mode afterwards on the compound page."
            ),
        ),
    ),
)

BUILDINGS = SheetSpec(
    key="buildings",
    title="楼栋",
    english="Buildings",
    aliases=("building", "楼宇"),
    columns=(
        _COMPOUND_REF,
        Column(
            "number",
            "楼号",
            "building number",
            True,
            _("Building number, unique in the compound, e.g. 1号楼. At most 32 characters."),
            "1号楼",
            ("number", "building"),
        ),
        Column("floors", "层数", "floors", False, _("Number of floors."), 6),
        Column("units", "单元数", "units", False, _("Number of units (单元)."), 2),
    ),
)

HOUSES = SheetSpec(
    key="houses",
    title="房屋",
    english="Houses",
    aliases=("house",),
    columns=(
        _COMPOUND_REF,
        _BUILDING_REF,
        _UNIT,
        Column("floor", "楼层", "floor", False, _("Floor number (negative for basements)."), 3),
        _ROOM,
        Column(
            "area",
            "建筑面积",
            "area",
            True,
            _("Registered floor area in m², greater than 0, at most 2 decimals, e.g. 86.40."),
            "86.40",
            ("floor area", "area m2", "面积"),
        ),
        Column(
            "status",
            "状态",
            "status",
            False,
            _("已入住 (occupied), 空置 (vacant) or 未售 (unsold); empty means 已入住."),
            "已入住",
        ),
    ),
)

RESIDENTS = SheetSpec(
    key="residents",
    title="住户",
    english="Residents",
    aliases=("resident", "居民"),
    columns=(
        _COMPOUND_REF,
        _BUILDING_REF,
        _UNIT,
        _ROOM,
        Column("name", "姓名", "name", True, _("Full name, at most 50 characters."), "张三"),
        Column(
            "phone",
            "手机",
            "phone",
            False,
            _("Mobile number, 11 digits starting 13-19 (optional)."),
            "13800138000",
            ("mobile", "手机号", "手机号码", "联系电话"),
        ),
        Column(
            "id_number",
            "身份证号",
            "ID number",
            False,
            _(
                "Resident ID number, 18 characters (optional). Format the column as text. "
                "Stored encrypted. Rows with the same ID number are one person living in "
                "several houses, so their names must agree; an ID number already registered "
                "adds the house to that resident, and only under the registered name."
            ),
            "",
            ("id number", "身份证号码", "身份证"),
        ),
        Column(
            "role",
            "身份",
            "household role",
            False,
            _("业主 (owner), 租户 (tenant) or 家属 (family member); empty means 业主."),
            "业主",
            ("role",),
        ),
        Column(
            "low_income",
            "困难群众",
            "low income",
            False,
            _("是 or 否: a low-income household member; empty means 否."),
            "否",
        ),
    ),
)

SHEETS: tuple[SheetSpec, ...] = (COMPOUNDS, BUILDINGS, HOUSES, RESIDENTS)

_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOISE = re.compile(r"[\s_\-*:.]+")


def normalise_header(text: object) -> str:
    """A header as compared: NFKC, lower case, without units in brackets, spaces or marks."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).strip().lower()
    value = _BRACKETED.sub("", value)
    return _NOISE.sub("", value)


def _index(spec: SheetSpec) -> dict[str, Column]:
    return {normalise_header(name): column for column in spec.columns for name in column.names}


HEADER_INDEX: dict[str, dict[str, Column]] = {spec.key: _index(spec) for spec in SHEETS}


def sheet_for_name(name: str) -> SheetSpec | None:
    """The sheet a workbook tab holds, by its name: an exact name, else one it starts with
    (房屋信息, 小区台账, Houses 2024)."""
    normal = normalise_header(name)
    for spec in SHEETS:
        if normal in {normalise_header(n) for n in spec.names}:
            return spec
    for spec in SHEETS:
        if any(normal.startswith(normalise_header(n)) for n in spec.names):
            return spec
    return None
