"""Checking every row of a registry workbook before anything is written.

Two passes. The first streams each sheet (小区 → 楼栋 → 房屋 → 住户) and checks each cell on its
own, keeping the parsed rows and collecting every code, name and ID hash they refer to. Then one
query per referenced table loads what already exists. The second pass checks references,
duplicates and scope against those in-memory lookups. A row with a bad cell still declares its
key (a compound code, a house), so rows that refer to it are not reported a second time.

Residents: rows with the same ID number are one person who may live in several houses (their
names must agree); an ID number already registered is that person, whose record is used as it is.
The check never tells the importer anything about where else a registered person lives.

What the reports show of a bad cell is masked when it is personal data (a resident's name, phone
or ID number), so a report can be forwarded.
"""

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from laoyuan.core.personal import (
    PHONE_RE,
    id_number_hash,
    id_number_is_valid,
    mask_id_number,
    mask_phone,
    normalise_id_number,
    same_name,
)
from laoyuan.imports.columns import BUILDINGS, COMPOUNDS, HOUSES, RESIDENTS, SHEETS
from laoyuan.imports.queries import ImportScope
from laoyuan.imports.xlsx import RegistryWorkbook, RowError, SheetLayout, cell_text
from laoyuan.people.enums import HouseholdRole
from laoyuan.people.models import Person, Residency
from laoyuan.places.enums import HouseStatus
from laoyuan.places.models import Building, Community, Compound, Grid, House, Street

# Errors kept for the report; beyond this they are only counted.
MAX_LISTED_ERRORS = 50_000
# Rows per ``__in`` lookup, well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 5_000
MAX_AREA = Decimal("9999999.99")

YES = {"是", "y", "yes", "true", "1", "√", "✓", "有"}
NO = {"否", "n", "no", "false", "0", "×", "无"}
HOUSE_STATUSES = {
    "已入住": HouseStatus.OCCUPIED,
    "入住": HouseStatus.OCCUPIED,
    "自住": HouseStatus.OCCUPIED,
    "出租": HouseStatus.OCCUPIED,
    "occupied": HouseStatus.OCCUPIED,
    "空置": HouseStatus.VACANT,
    "vacant": HouseStatus.VACANT,
    "未售": HouseStatus.UNSOLD,
    "unsold": HouseStatus.UNSOLD,
}
HOUSEHOLD_ROLES = {
    "业主": HouseholdRole.OWNER,
    "户主": HouseholdRole.OWNER,
    "owner": HouseholdRole.OWNER,
    "租户": HouseholdRole.TENANT,
    "tenant": HouseholdRole.TENANT,
    "家属": HouseholdRole.FAMILY,
    "家庭成员": HouseholdRole.FAMILY,
    "family": HouseholdRole.FAMILY,
}
_DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_AREA_UNITS = re.compile(r"(m2|㎡|平方米|平米)$")

HouseKey = tuple[str, str, str, str]  # compound code, building number, unit, room


def mask_name(name: str) -> str:
    """张*: the first character, the rest hidden."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


# Residents' cells whose value a report shows masked, and how.
_MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_name,
    "phone": mask_phone,
    "id_number": mask_id_number,
}


def shown_value(sheet: str, key: str, value: Any) -> str:
    """A bad cell's value as the report and the batch page show it: residents' names, phone
    numbers and ID numbers masked, anything else as written."""
    text = cell_text(value)
    mask = _MASKS.get(key) if sheet == RESIDENTS.key else None
    return mask(text) if mask and text else text


@dataclass(slots=True)
class CompoundRow:
    row: int
    ok: bool
    code: str
    name: str = ""
    address: str = ""
    street: str = ""
    community: str = ""
    grid: str = ""
    build_year: int | None = None
    renovated: bool = False
    renovated_on: datetime.date | None = None
    parking_motor: int = 0
    parking_non_motor: int = 0
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    mode_from: datetime.date | None = None
    grid_obj: "PlaceRef | None" = None


@dataclass(slots=True)
class BuildingRow:
    row: int
    ok: bool
    compound: str
    number: str
    floors: int | None = None
    units: int | None = None


@dataclass(slots=True)
class _HouseRef:
    """A row that names a house (房屋 and 住户): Excel row, whether valid, and the house."""

    row: int
    ok: bool
    compound: str
    building: str
    unit: str
    room: str

    @property
    def house_key(self) -> HouseKey:
        return (self.compound, self.building, self.unit, self.room)


@dataclass(slots=True)
class HouseRow(_HouseRef):
    floor: int | None = None
    area: Decimal = Decimal(0)
    status: str = HouseStatus.OCCUPIED


@dataclass(slots=True)
class ResidentRow(_HouseRef):
    name: str = ""
    phone: str = ""
    id_number: str = ""
    id_hash: str = ""
    role: str = HouseholdRole.OWNER
    low_income: bool = False


@dataclass(frozen=True, slots=True)
class PlaceRef:
    """A street, community or grid as the checks need it: ids up the tree, code and name."""

    id: int
    code: str
    name: str
    district_id: int
    street_id: int | None = None
    community_id: int | None = None


@dataclass(frozen=True, slots=True)
class ExistingCompound:
    id: int
    district_id: int
    street_id: int
    community_id: int


@dataclass(frozen=True, slots=True)
class ExistingHouse:
    id: int
    compound_id: int
    street_id: int


@dataclass
class Plan:
    """What a valid workbook would write, and the lookups of what already exists."""

    compounds: list[CompoundRow] = field(default_factory=list)
    buildings: list[BuildingRow] = field(default_factory=list)
    houses: list[HouseRow] = field(default_factory=list)
    residents: list[ResidentRow] = field(default_factory=list)
    existing_compounds: dict[str, ExistingCompound] = field(default_factory=dict)
    existing_buildings: dict[tuple[str, str], int] = field(default_factory=dict)
    existing_houses: dict[HouseKey, ExistingHouse] = field(default_factory=dict)
    # ID hash -> the registered person the file's rows with that ID number are added to.
    existing_people: dict[str, int] = field(default_factory=dict)
    # Not errors, shown with the imported batch (rows whose registered name differs).
    notes: list[str] = field(default_factory=list)
    rows: int = 0
    errors: list[tuple[int, int, int, RowError]] = field(default_factory=list)
    error_count: int = 0

    @property
    def sorted_errors(self) -> list[RowError]:
        return [error for *_key, error in sorted(self.errors, key=lambda e: e[:3])]


class _Cells:
    """One row's cells, read by field key, with errors going to the plan."""

    __slots__ = ("bad", "cells", "layout", "number", "sheet_order", "sink")

    def __init__(
        self,
        layout: SheetLayout,
        sheet_order: int,
        number: int,
        cells: tuple[Any, ...],
        sink: Callable[[int, int, int, RowError], None],
    ) -> None:
        self.layout = layout
        self.sheet_order = sheet_order
        self.number = number
        self.cells = cells
        self.sink = sink
        self.bad = False

    def raw(self, key: str) -> Any:
        found = self.layout.columns.get(key)
        if found is None or found[0] >= len(self.cells):
            return None
        value = self.cells[found[0]]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def error(self, key: str, message: str, value: Any = ...) -> None:
        self.bad = True
        if value is ...:
            value = self.raw(key)
        position = self.layout.columns.get(key, (999, ""))[0]
        self.sink(
            self.sheet_order,
            self.number,
            position,
            RowError(
                sheet=self.layout.name,
                row=self.number,
                column=self.layout.header(key),
                value=shown_value(self.layout.spec.key, key, value),
                message=message,
            ),
        )

    def text(self, key: str, *, max_length: int, required: bool = False) -> str:
        value = self.raw(key)
        if value is None:
            if required:
                self.error(key, _("Required."))
            return ""
        text = cell_text(value)
        if len(text) > max_length:
            self.error(key, _("At most %(max)s characters.") % {"max": max_length})
            return text[:max_length]
        return text

    def code(self, key: str, *, max_length: int, required: bool = False) -> str:
        """Codes and numbers: full-width characters folded (１号楼 → 1号楼), spaces removed."""
        text = self.text(key, max_length=max_length * 2, required=required)
        text = "".join(unicodedata.normalize("NFKC", text).split())
        if len(text) > max_length:
            self.error(key, _("At most %(max)s characters.") % {"max": max_length})
            return text[:max_length]
        return text

    def integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            text = unicodedata.normalize("NFKC", value).strip()
            if re.fullmatch(r"-?\d+", text):
                number = int(text)
        if number is None:
            self.error(key, _("Write a whole number."))
            return None
        if not minimum <= number <= maximum:
            self.error(
                key,
                _("Must be between %(min)s and %(max)s.") % {"min": minimum, "max": maximum},
            )
            return None
        return number

    def decimal(self, key: str) -> Decimal | None:
        value = self.raw(key)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            if isinstance(value, int):
                return Decimal(value)
            if isinstance(value, float):
                # Excel keeps 15 significant digits; drop binary noise such as 86.44999999999999.
                return Decimal(repr(round(value, 9))).normalize()
            text = unicodedata.normalize("NFKC", str(value)).strip().lower().replace(",", "")
            text = _AREA_UNITS.sub("", text).strip()
            number = Decimal(text)
            if not number.is_finite():
                raise InvalidOperation
            return number
        except (InvalidOperation, ValueError):
            self.error(key, _("Write a number."))
            return None

    def boolean(self, key: str) -> bool | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool):
            return value
        text = unicodedata.normalize("NFKC", cell_text(value)).strip().lower()
        if text in YES:
            return True
        if text in NO:
            return False
        self.error(key, _("Write 是 or 否."))
        return None

    def date(self, key: str, *, today: datetime.date) -> datetime.date | None:
        value = self.raw(key)
        if value is None:
            return None
        result: datetime.date | None = None
        if isinstance(value, datetime.datetime):
            result = value.date()
        elif isinstance(value, datetime.date):
            result = value
        elif isinstance(value, str):
            match = _DATE_RE.match(unicodedata.normalize("NFKC", value).strip())
            if match:
                try:
                    result = datetime.date(*(int(part) for part in match.groups()))
                except ValueError:
                    result = None
        if result is None:
            self.error(key, _("Write a date such as 2021-06-30."))
            return None
        if result > today:
            self.error(key, _("The date cannot be in the future."))
            return None
        if result.year < 1900:
            self.error(key, _("Write a date such as 2021-06-30."))
            return None
        return result

    def choice(self, key: str, choices: Mapping[str, str], default: str) -> str:
        value = self.raw(key)
        if value is None:
            return default
        text = unicodedata.normalize("NFKC", cell_text(value)).strip()
        found = choices.get(text) or choices.get(text.lower())
        if found is None:
            self.error(
                key,
                _("Write one of: %(choices)s.")
                % {"choices": "、".join(k for k in choices if not k.isascii())},
            )
            return default
        return found


def _chunks[T](values: Iterable[T]) -> Iterable[list[T]]:
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


class RegistryValidator:
    """Checks a whole workbook for one importer. ``run()`` returns the plan with its errors."""

    def __init__(self, book: RegistryWorkbook, *, scope: ImportScope, today: datetime.date):
        self.book = book
        self.scope = scope
        self.today = today
        self.plan = Plan()
        self._order = {spec.key: position for position, spec in enumerate(SHEETS)}

    # Errors -----------------------------------------------------------------------------------

    def _sink(self, sheet_order: int, row: int, column: int, error: RowError) -> None:
        self.plan.error_count += 1
        if len(self.plan.errors) < MAX_LISTED_ERRORS:
            self.plan.errors.append((sheet_order, row, column, error))

    def _cells(self, key: str, number: int, cells: tuple[Any, ...]) -> _Cells:
        return _Cells(self.book.layouts[key], self._order[key], number, cells, self._sink)

    def _row_error(self, sheet: str, row: int, key: str, value: Any, message: str) -> None:
        layout = self.book.layouts[sheet]
        cells = _Cells(layout, self._order[sheet], row, (), self._sink)
        cells.error(key, message, value)

    # Pass 1: each cell on its own ------------------------------------------------------------

    def run(self) -> Plan:
        layouts = self.book.layouts
        if COMPOUNDS.key in layouts:
            self._read_compounds()
        if BUILDINGS.key in layouts:
            self._read_buildings()
        if HOUSES.key in layouts:
            self._read_houses()
        if RESIDENTS.key in layouts:
            self._read_residents()
        self._load_existing()
        self._check_compounds()
        self._check_buildings()
        self._check_houses()
        self._check_residents()
        return self.plan

    def _sheet(self, key: str) -> Iterator[_Cells]:
        """Each data row of a sheet, counted, as cells to read."""
        for number, values in self.book.rows(key):
            self.plan.rows += 1
            yield self._cells(key, number, values)

    @staticmethod
    def _house_ref(cells: _Cells) -> HouseKey:
        """The house a row of 房屋 or 住户 names: compound code, building number, unit, room."""
        return (
            cells.code("compound", max_length=32, required=True),
            cells.code("building", max_length=32, required=True),
            cells.code("unit", max_length=16),
            cells.code("room", max_length=16, required=True),
        )

    def _read_compounds(self) -> None:
        for cells in self._sheet(COMPOUNDS.key):
            row = CompoundRow(
                row=cells.number,
                ok=False,
                code=cells.code("code", max_length=32, required=True),
                name=cells.text("name", max_length=100, required=True),
                address=cells.text("address", max_length=200),
                street=cells.code("street", max_length=100),
                community=cells.code("community", max_length=100),
                grid=cells.code("grid", max_length=100, required=True),
                build_year=cells.integer("build_year", minimum=1900, maximum=self.today.year),
                parking_motor=cells.integer("parking_motor", minimum=0, maximum=100_000) or 0,
                parking_non_motor=cells.integer("parking_non_motor", minimum=0, maximum=100_000)
                or 0,
                mode_from=cells.date("mode_from", today=self.today),
            )
            renovated = cells.boolean("renovated")
            row.renovated_on = cells.date("renovated_on", today=self.today)
            if row.renovated_on is not None and renovated is False:
                cells.error("renovated_on", _("A renovation date needs 是否改造 = 是."))
            row.renovated = bool(renovated) or (renovated is None and row.renovated_on is not None)
            row.latitude = self._degrees(cells, "latitude", Decimal(90))
            row.longitude = self._degrees(cells, "longitude", Decimal(180))
            row.ok = not cells.bad
            self.plan.compounds.append(row)

    @staticmethod
    def _degrees(cells: _Cells, key: str, limit: Decimal) -> Decimal | None:
        value = cells.decimal(key)
        if value is None:
            return None
        if not -limit <= value <= limit:
            cells.error(
                key, _("Must be between %(min)s and %(max)s.") % {"min": -limit, "max": limit}
            )
            return None
        return value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)

    def _read_buildings(self) -> None:
        for cells in self._sheet(BUILDINGS.key):
            row = BuildingRow(
                row=cells.number,
                ok=False,
                compound=cells.code("compound", max_length=32, required=True),
                number=cells.code("number", max_length=32, required=True),
                floors=cells.integer("floors", minimum=1, maximum=200),
                units=cells.integer("units", minimum=1, maximum=100),
            )
            row.ok = not cells.bad
            self.plan.buildings.append(row)

    def _read_houses(self) -> None:
        houses = self.plan.houses
        for cells in self._sheet(HOUSES.key):
            row = HouseRow(
                cells.number,
                False,
                *self._house_ref(cells),
                floor=cells.integer("floor", minimum=-10, maximum=200),
                status=cells.choice("status", HOUSE_STATUSES, HouseStatus.OCCUPIED),
            )
            area = cells.decimal("area")
            if area is None:
                if cells.raw("area") is None:
                    cells.error("area", _("Required."))
            elif area <= 0:
                cells.error("area", _("Must be greater than 0."))
            elif area > MAX_AREA:
                cells.error("area", _("Too large."))
            elif area != area.quantize(Decimal("0.01")):
                cells.error("area", _("At most 2 decimals."))
            else:
                row.area = area.quantize(Decimal("0.01"))
            row.ok = not cells.bad
            houses.append(row)

    def _read_residents(self) -> None:
        for cells in self._sheet(RESIDENTS.key):
            row = ResidentRow(
                cells.number,
                False,
                *self._house_ref(cells),
                name=cells.text("name", max_length=50, required=True),
                role=cells.choice("role", HOUSEHOLD_ROLES, HouseholdRole.OWNER),
                low_income=bool(cells.boolean("low_income")),
            )
            phone = cells.raw("phone")
            if phone is not None:
                text = "".join(
                    ch
                    for ch in unicodedata.normalize("NFKC", cell_text(phone))
                    if ch.isdigit() or ch == "+"
                )
                text = text.removeprefix("+86")
                if PHONE_RE.match(text):
                    row.phone = text
                else:
                    cells.error("phone", _("Write 11 digits starting with 13–19."))
            id_value = cells.raw("id_number")
            if id_value is not None:
                if isinstance(id_value, int | float) and not isinstance(id_value, bool):
                    cells.error(
                        "id_number",
                        _("Format the ID number column as text: Excel has rounded this number."),
                    )
                else:
                    number_text = normalise_id_number(
                        "".join(unicodedata.normalize("NFKC", str(id_value)).split())
                    )
                    if id_number_is_valid(number_text):
                        row.id_number = number_text
                        row.id_hash = id_number_hash(number_text)
                    else:
                        cells.error("id_number", _("Not a valid ID number."))
            row.ok = not cells.bad
            self.plan.residents.append(row)

    # Loading what exists: one query per table (chunked for very long lists) --------------------

    def _load_existing(self) -> None:
        plan = self.plan
        place_values = {
            value
            for row in plan.compounds
            for value in (row.street, row.community, row.grid)
            if value
        }
        self.streets = self._places(Street, place_values, ())
        self.communities = self._places(Community, place_values, ("street_id",))
        self.grids = self._places(Grid, place_values, ("street_id", "community_id"))

        codes = {row.code for row in plan.compounds if row.code}
        for rows in (plan.buildings, plan.houses, plan.residents):
            codes.update(row.compound for row in rows if row.compound)
        for chunk in _chunks(sorted(codes)):
            for pk, code, district_id, street_id, community_id in Compound.objects.filter(
                code__in=chunk
            ).values_list("pk", "code", "district_id", "street_id", "community_id"):
                plan.existing_compounds[code] = ExistingCompound(
                    pk, district_id, street_id, community_id
                )
        # Only compounds referenced by the lower sheets and inside the scope: their buildings and
        # houses are what duplicates and references are checked against.
        referenced: set[str] = set()
        for lower in (plan.buildings, plan.houses, plan.residents):
            referenced.update(row.compound for row in lower)
        self.usable = {
            code: found
            for code, found in plan.existing_compounds.items()
            if code in referenced
            and self.scope.covers(
                district_id=found.district_id,
                street_id=found.street_id,
                community_id=found.community_id,
            )
        }
        code_of = {found.id: code for code, found in self.usable.items()}
        buildings: dict[int, tuple[str, str]] = {}
        if code_of and (plan.buildings or plan.houses or plan.residents):
            for id_chunk in _chunks(sorted(code_of)):
                for pk, compound_id, number in Building.objects.filter(
                    compound_id__in=id_chunk
                ).values_list("pk", "compound_id", "number"):
                    plan.existing_buildings[(code_of[compound_id], number)] = pk
                    buildings[pk] = (code_of[compound_id], number)
        if code_of and (plan.houses or plan.residents):
            for id_chunk in _chunks(sorted(code_of)):
                for pk, building_id, unit, room, compound_id, street_id in House.objects.filter(
                    compound_id__in=id_chunk
                ).values_list("pk", "building_id", "unit", "room", "compound_id", "street_id"):
                    code, number = buildings[building_id]
                    plan.existing_houses[(code, number, unit, room)] = ExistingHouse(
                        pk, compound_id, street_id
                    )
        # Who already lives in the houses of the referenced compounds (all in scope): by person,
        # and by name and phone with the person's ID hash ("" when none is registered).
        self.registered_links: set[tuple[int, int]] = set()
        self.registered_residents: dict[tuple[int, str, str], list[str]] = {}
        resident_codes = sorted({row.compound for row in plan.residents} & set(code_of.values()))
        if resident_codes:
            ids = [self.usable[code].id for code in resident_codes]
            for id_chunk in _chunks(ids):
                for house_id, person_id, name, phone, id_hash in Residency.objects.filter(
                    compound_id__in=id_chunk
                ).values_list(
                    "house_id",
                    "person_id",
                    "person__name",
                    "person__phone",
                    "person__id_number_hash",
                ):
                    self.registered_links.add((house_id, person_id))
                    self.registered_residents.setdefault((house_id, name, phone), []).append(
                        id_hash
                    )
        # Registered people with the file's ID numbers, wherever they live: only their id (to add
        # houses to) and name (which the rows must give) are read, never their houses elsewhere.
        hashes = sorted({row.id_hash for row in plan.residents if row.id_hash})
        self.registered_names: dict[str, str] = {}
        for chunk in _chunks(hashes):
            for pk, id_hash, name in Person.objects.filter(id_number_hash__in=chunk).values_list(
                "pk", "id_number_hash", "name"
            ):
                plan.existing_people[id_hash] = pk
                self.registered_names[id_hash] = name

    @staticmethod
    def _places(
        model: type[Street] | type[Community] | type[Grid],
        values: set[str],
        up: tuple[str, ...],
    ) -> list[PlaceRef]:
        if not values:
            return []
        found: dict[int, PlaceRef] = {}
        for chunk in _chunks(sorted(values)):
            rows = model.objects.filter(Q(code__in=chunk) | Q(name__in=chunk)).values_list(
                "pk", "code", "name", "district_id", *up
            )
            for pk, code, name, district_id, *ids in rows:
                street_id = ids[0] if up else pk
                community_id = ids[1] if len(up) > 1 else (pk if model is Community else None)
                found[pk] = PlaceRef(pk, code, name, district_id, street_id, community_id)
        return list(found.values())

    # Pass 2: references, duplicates and scope -------------------------------------------------

    def _covers(self, place: PlaceRef) -> bool:
        if place.community_id is None and place.street_id is not None:  # a street
            return self.scope.touches_street(
                district_id=place.district_id, street_id=place.street_id
            )
        return self.scope.covers(
            district_id=place.district_id,
            street_id=place.street_id,
            community_id=place.community_id,
        )

    def _resolve(
        self,
        row: CompoundRow,
        key: str,
        places: list[PlaceRef],
        within: Callable[[PlaceRef], bool],
        unknown: str,
        mismatch: str,
    ) -> PlaceRef | None:
        """The place a cell names (by code, else by name) or None after reporting why not."""
        value: str = getattr(row, key)
        named = [p for p in places if p.code == value] or [p for p in places if p.name == value]
        candidates = [p for p in named if within(p)]
        message = unknown
        if not named:
            pass
        elif not candidates:
            message = mismatch
        else:
            mine = [p for p in candidates if self._covers(p)]
            if not mine:
                message = _("Not in your scope.")
            elif len(mine) > 1:
                message = _("Several places have this name; write the code.")
            else:
                return mine[0]
        self._fail(row, COMPOUNDS.key, key, value, message)
        return None

    def _check_compounds(self) -> None:
        seen: dict[str, int] = {}
        for row in self.plan.compounds:
            if row.code in seen:
                message = _("Compound code repeats row %(row)s.") % {"row": seen[row.code]}
                self._fail(row, COMPOUNDS.key, "code", row.code, message)
            elif row.code:
                seen[row.code] = row.row
                if row.code in self.plan.existing_compounds:
                    message = _("This compound code is already registered.")
                    self._fail(row, COMPOUNDS.key, "code", row.code, message)
            if row.grid:
                row.grid_obj = self._compound_grid(row)

    def _compound_grid(self, row: CompoundRow) -> PlaceRef | None:
        street = community = None
        if row.street:
            street = self._resolve(
                row,
                "street",
                self.streets,
                lambda p: True,
                _("No street with this code or name."),
                "",
            )
            if street is None:
                return None
        if row.community:
            community = self._resolve(
                row,
                "community",
                self.communities,
                lambda p: street is None or p.street_id == street.id,
                _("No community with this code or name."),
                _("This community is not in the street given."),
            )
            if community is None:
                return None
        return self._resolve(
            row,
            "grid",
            self.grids,
            lambda p: (
                (street is None or p.street_id == street.id)
                and (community is None or p.community_id == community.id)
            ),
            _("No grid with this code or name."),
            _("This grid is not in the community or street given."),
        )

    def _fail(self, row: Any, sheet: str, key: str, value: Any, message: str) -> None:
        row.ok = False
        self._row_error(sheet, row.row, key, value, message)

    def _dupe(self, sheet: str, row: Any, key: str, value: Any, message: str, other: int) -> None:
        self._fail(row, sheet, key, value, message % {"row": other})

    def _compound_known(
        self, sheet: str, row: BuildingRow | HouseRow | ResidentRow, new: set[str]
    ) -> bool:
        if not row.compound:
            return False
        if row.compound in new or row.compound in self.usable:
            return True
        self._fail(
            row,
            sheet,
            "compound",
            row.compound,
            _("No compound with this code in this workbook or in your scope."),
        )
        return False

    def _check_buildings(self) -> None:
        new_compounds = {row.code for row in self.plan.compounds if row.code}
        self.new_buildings: dict[tuple[str, str], int] = {}
        for row in self.plan.buildings:
            if not self._compound_known(BUILDINGS.key, row, new_compounds) or not row.number:
                continue
            key = (row.compound, row.number)
            if key in self.new_buildings:
                self._dupe(
                    BUILDINGS.key,
                    row,
                    "number",
                    row.number,
                    _("Same building as row %(row)s."),
                    self.new_buildings[key],
                )
            elif key in self.plan.existing_buildings:
                self._fail(
                    row,
                    BUILDINGS.key,
                    "number",
                    row.number,
                    _("This building is already registered."),
                )
            else:
                self.new_buildings[key] = row.row

    def _building_known(self, sheet: str, row: _HouseRef) -> bool:
        key = (row.compound, row.building)
        if key in self.new_buildings or key in self.plan.existing_buildings:
            return True
        self._fail(
            row,
            sheet,
            "building",
            row.building,
            _("No building %(building)s in compound %(compound)s.")
            % {"building": row.building, "compound": row.compound},
        )
        return False

    def _check_houses(self) -> None:
        new_compounds = {row.code for row in self.plan.compounds if row.code}
        self.new_houses: dict[HouseKey, int] = {}
        existing = self.plan.existing_houses
        for row in self.plan.houses:
            if not self._compound_known(HOUSES.key, row, new_compounds) or not row.building:
                continue
            if not self._building_known(HOUSES.key, row) or not row.room:
                continue
            key = row.house_key
            if key in self.new_houses:
                self._dupe(
                    HOUSES.key,
                    row,
                    "room",
                    row.room,
                    _("Same house as row %(row)s."),
                    self.new_houses[key],
                )
            elif key in existing:
                self._fail(
                    row, HOUSES.key, "room", row.room, _("This house is already registered.")
                )
            else:
                self.new_houses[key] = row.row

    def _check_residents(self) -> None:
        new_compounds = {row.code for row in self.plan.compounds if row.code}
        existing = self.plan.existing_houses
        # ID hash -> the rows carrying it, the first one first.
        with_id: dict[str, list[ResidentRow]] = {}
        # Rows already seen in each house: by ID hash, and by name and phone (with the ID hash).
        seen_ids: dict[tuple[HouseKey, str], int] = {}
        seen_names: dict[tuple[HouseKey, str, str], list[tuple[int, str]]] = {}
        for row in self.plan.residents:
            named_apart = bool(row.id_hash) and not self._check_same_id(
                row, with_id.setdefault(row.id_hash, [])
            )
            if not self._compound_known(RESIDENTS.key, row, new_compounds) or not row.building:
                continue
            if not self._building_known(RESIDENTS.key, row) or not row.room:
                continue
            key = row.house_key
            house = existing.get(key)
            if house is None and key not in self.new_houses:
                self._fail(
                    row,
                    RESIDENTS.key,
                    "room",
                    row.room,
                    _("No house %(house)s in compound %(compound)s.")
                    % {"house": "-".join(p for p in key[1:] if p), "compound": row.compound},
                )
                continue
            if not row.name or named_apart:
                continue
            other = seen_ids.get((key, row.id_hash)) if row.id_hash else None
            by_name = seen_names.setdefault((key, row.name, row.phone), [])
            if other is None:
                other = next((r for r, h in by_name if _same_person(h, row.id_hash)), None)
            if other is not None:
                self._dupe(
                    RESIDENTS.key,
                    row,
                    "name",
                    row.name,
                    _("Same resident as row %(row)s."),
                    other,
                )
                continue
            by_name.append((row.row, row.id_hash))
            if row.id_hash:
                seen_ids[(key, row.id_hash)] = row.row
            if house is not None and self._lives_there(row, house.id):
                self._fail(
                    row,
                    RESIDENTS.key,
                    "name",
                    row.name,
                    _("This resident is already registered at this house."),
                )
        self._refuse_registered_names(with_id)

    def _check_same_id(self, row: ResidentRow, rows: list[ResidentRow]) -> bool:
        """Rows with one ID number are one person: their names must agree. False (reported)
        when this row names them otherwise than the first row with the number."""
        rows.append(row)
        first = rows[0]
        if first is not row and row.name and first.name and not same_name(row.name, first.name):
            self._fail(
                row,
                RESIDENTS.key,
                "name",
                row.name,
                _(
                    "Row %(row)s has the same ID number with another name; "
                    "correct one of the two rows."
                )
                % {"row": first.row},
            )
            return False
        return True

    def _lives_there(self, row: ResidentRow, house_id: int) -> bool:
        """Whether this row's resident is already registered at this (existing) house."""
        person_id = self.plan.existing_people.get(row.id_hash) if row.id_hash else None
        if person_id is not None and (house_id, person_id) in self.registered_links:
            return True
        registered = self.registered_residents.get((house_id, row.name, row.phone), ())
        return any(_same_person(id_hash, row.id_hash) for id_hash in registered)

    def _refuse_registered_names(self, with_id: dict[str, list[ResidentRow]]) -> None:
        """An ID number already registered is that person only under the registered name; rows
        naming them otherwise are errors (adding the house would put the registered resident, and
        their record, in the importer's scope). The error never shows the registered name."""
        for id_hash, rows in with_id.items():
            registered = self.registered_names.get(id_hash)
            if registered is None:
                continue
            for row in rows:
                if row.name and not same_name(row.name, registered):
                    self._fail(
                        row,
                        RESIDENTS.key,
                        "id_number",
                        row.id_number,
                        _(
                            "This ID number is registered under another name. Check the name "
                            "and the number; a correction goes through the office that "
                            "registered the resident."
                        ),
                    )


def _same_person(id_hash: str, other: str) -> bool:
    """Two residents of one house with the same name and phone are one person unless both
    carry ID numbers and those differ."""
    return not id_hash or not other or id_hash == other
