"""The demo district planned in memory, before anything is written.

Planning is pure Python driven by one ``random.Random`` seeded from the seed, so the same seed gives
the same plan: which compound has which history, company, street, grid, buildings, houses, house
areas and how many people live in each house. Exact totals (households, residents, areas) are
reached with integer apportioning, never by chance.
"""

import datetime
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from laoyuan.demo import names
from laoyuan.demo.geometry import Rect, district_rect
from laoyuan.demo.shape import Shape, apportion
from laoyuan.places.enums import ManagementMode, OpenSpace

# Everyone's first management period starts here: the register of the 2018 renovation drive.
HISTORY_START = datetime.date(2018, 1, 1)
CHANGES_FROM = datetime.date(2020, 1, 1)
CHANGES_UNTIL = datetime.date(2023, 6, 30)
TRIAL_MONTHS = 3

OCCUPIED, VACANT, UNSOLD = 0, 1, 2
MAX_PERSONS_IN_HOUSE = 9
# Household sizes of owner-occupied and rented houses: 1 to 6 people.
HOUSEHOLD_SIZES = (1, 2, 3, 4, 5, 6)
HOUSEHOLD_WEIGHTS = (10, 22, 28, 22, 12, 6)


@dataclass
class GridPlan:
    code: str
    name: str
    rect: Rect
    compounds: list["CompoundPlan"] = field(default_factory=list)


@dataclass
class CommunityPlan:
    code: str
    name: str
    rect: Rect
    grids: list[GridPlan] = field(default_factory=list)


@dataclass
class StreetPlan:
    index: int
    code: str
    name: str
    core: bool
    rect: Rect
    communities: list[CommunityPlan] = field(default_factory=list)
    compounds: list["CompoundPlan"] = field(default_factory=list)

    @property
    def grids(self) -> list[GridPlan]:
        return [grid for community in self.communities for grid in community.grids]


@dataclass
class CompanyPlan:
    code: str
    name: str
    brand: str
    public: bool
    street_index: int | None


@dataclass
class BuildingPlan:
    number: str
    floors: int
    units: int
    per_floor: int
    households: int
    # Raw floor area of each flat position (unit-major), in hundredths of a m², before scaling.
    position_areas: list[int]

    def houses(self) -> Iterator[tuple[int, int, int, int]]:
        """(unit, floor, position, raw area) of each house, unit by unit, floor by floor."""
        made = 0
        for unit in range(1, self.units + 1):
            for floor in range(1, self.floors + 1):
                for position in range(1, self.per_floor + 1):
                    if made == self.households:
                        return
                    made += 1
                    area = self.position_areas[(unit - 1) * self.per_floor + position - 1]
                    yield unit, floor, position, area


@dataclass
class CompoundPlan:
    before: str  # management mode in 2018
    after: str  # management mode today
    street_index: int
    company_index: int | None  # index into DistrictPlan.companies (today's company)
    households: int
    change_on: datetime.date | None = None
    code: str = ""
    name: str = ""
    address: str = ""
    rights_unit: str = ""  # the property-rights unit of a work-unit compound (产权单位)
    grid: GridPlan | None = None
    community: CommunityPlan | None = None
    rect: Rect | None = None
    build_year: int = 1990
    renovated_on: datetime.date | None = None
    open_space: str = OpenSpace.SMALL
    parking_motor: int = 0
    parking_non_motor: int = 0
    public: bool = False
    buildings: list[BuildingPlan] = field(default_factory=list)
    # Per house, in the order BuildingPlan.houses yields them across the buildings:
    statuses: list[int] = field(default_factory=list)
    rented: list[bool] = field(default_factory=list)
    # People first registered at the house: an occupied house's household (plus the absent
    # owner of a rented one); a vacant house's owner (0: owned by a neighbour in this compound).
    persons: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class DistrictPlan:
    shape: Shape
    streets: list[StreetPlan]
    companies: list[CompanyPlan]
    compounds: list[CompoundPlan]  # in code order
    # Per group (public, other): (target, raw sum) of house areas in hundredths of a m².
    area_targets: dict[bool, tuple[int, int]]
    second_committee_codes: frozenset[str]
    agency_branches: list[tuple[str, str]]

    def area_centi(self, compound: CompoundPlan, raw: int) -> int:
        """A house's area in hundredths of a m²: its raw area scaled to the group's target,
        rounded half up, so the group's total lands within a few m² of the target."""
        target, raw_sum = self.area_targets[compound.public]
        return max(1, (2 * raw * target + raw_sum) // (2 * raw_sum))


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _weights(rng: random.Random, count: int, low: int = 80, high: int = 120) -> list[int]:
    return [rng.randint(low, high) for _ in range(count)]


def _random_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def plan_district(*, seed: int, shape: Shape) -> DistrictPlan:
    rng = random.Random(f"laoyuan-demo:{seed}:plan")
    streets = _plan_streets(rng, shape)
    companies = _plan_companies(shape, streets)
    compounds = _plan_compounds(rng, shape, streets, companies)
    _place_compounds(rng, streets)
    for compound in compounds:
        _plan_houses(rng, compound)
    _fit_residents(rng, compounds, shape.residents)
    compounds.sort(key=lambda c: c.code)

    raw = {True: 0, False: 0}
    for compound in compounds:
        for building in compound.buildings:
            raw[compound.public] += sum(area for *_, area in building.houses())
    targets = {
        True: (shape.public_area_centi, raw[True]),
        False: (shape.area_centi - shape.public_area_centi, raw[False]),
    }
    public_codes = [c.code for c in compounds if c.public]
    second = frozenset(rng.sample(public_codes, shape.second_committees))
    return DistrictPlan(
        shape=shape,
        streets=streets,
        companies=companies,
        compounds=compounds,
        area_targets=targets,
        second_committee_codes=second,
        agency_branches=names.agency_branch_names(shape.agency_branches, rng),
    )


def _plan_streets(rng: random.Random, shape: Shape) -> list[StreetPlan]:
    street_names = names.street_names(shape.streets)
    rects = district_rect().split(shape.streets)
    per_street = apportion(shape.communities, [1] * shape.streets, minimum=1)
    community_names = names.UniqueNames()
    streets = []
    all_communities: list[CommunityPlan] = []
    for index, (name, rect, n_communities) in enumerate(
        zip(street_names, rects, per_street, strict=True)
    ):
        street = StreetPlan(
            index=index,
            code=f"{names.DISTRICT_CODE}{index + 1:03d}",
            name=name,
            core=index % len(names.STREETS) < names.CORE_STREETS,
            rect=rect.shrink(0.005),
        )
        for position, community_rect in enumerate(street.rect.split(n_communities)):
            community = CommunityPlan(
                code=f"{street.code}{position + 1:03d}",
                name=community_names.take(names.community_candidates(rng)),
                rect=community_rect.shrink(0.01),
            )
            street.communities.append(community)
            all_communities.append(community)
        streets.append(street)
    per_community = apportion(shape.grids, [1] * len(all_communities), minimum=1)
    for community, n_grids in zip(all_communities, per_community, strict=True):
        for position, grid_rect in enumerate(community.rect.split(n_grids)):
            community.grids.append(
                GridPlan(
                    code=f"{community.code}{position + 1:02d}",
                    name=f"{community.name}第{position + 1}网格",
                    rect=grid_rect.shrink(0.02),
                )
            )
    return streets


def _plan_companies(shape: Shape, streets: list[StreetPlan]) -> list[CompanyPlan]:
    """Public companies first, one per old-town street in order (隆美 is 北下街's), then the
    professional companies."""
    core = [street for street in streets if street.core] or streets[:1]
    companies = []
    for k in range(shape.public_companies):
        brand, name = names.public_company_name(k % len(names.PUBLIC_BRANDS), k // 8)
        street = core[k % len(core)]
        companies.append(
            CompanyPlan(
                code=f"PUB{k + 1:03d}",
                name=name,
                brand=brand,
                public=True,
                street_index=street.index,
            )
        )
    for k, name in enumerate(names.professional_company_names(shape.professional_companies)):
        companies.append(
            CompanyPlan(
                code=f"PRO{k + 1:03d}", name=name, brand="", public=False, street_index=None
            )
        )
    return companies


def _plan_compounds(
    rng: random.Random, shape: Shape, streets: list[StreetPlan], companies: list[CompanyPlan]
) -> list[CompoundPlan]:
    pro, own = ManagementMode.PROFESSIONAL, ManagementMode.OWNER_SELF
    public_companies = [i for i, c in enumerate(companies) if c.public]
    professional = [i for i, c in enumerate(companies) if not c.public]
    professional_weights = [rng.randint(1, 6) for _ in professional]

    # Public compounds: split among the public companies; each sits in its company's street.
    public_histories = [(own, ManagementMode.PUBLIC)] * shape.owner_self_to_public + [
        (ManagementMode.UNMANAGED, ManagementMode.PUBLIC)
    ] * shape.unmanaged_to_public
    rng.shuffle(public_histories)
    households = apportion(
        shape.public_households,
        [max(1, int(rng.lognormvariate(0, 0.7) * 1000)) for _ in public_histories],
        minimum=8,
    )
    per_company = apportion(len(public_histories), _weights(rng, len(public_companies)), minimum=1)
    compounds: list[CompoundPlan] = []
    cursor = 0
    for company_index, count in zip(public_companies, per_company, strict=True):
        for _ in range(count):
            before, after = public_histories[cursor]
            street_index = companies[company_index].street_index
            assert street_index is not None
            compounds.append(
                CompoundPlan(
                    before=before,
                    after=after,
                    street_index=street_index,
                    company_index=company_index,
                    households=households[cursor],
                    public=True,
                )
            )
            cursor += 1

    # The others (professional and owner-managed): spread over every street.
    other_histories = (
        [(pro, pro)] * shape.professional_kept
        + [(own, pro)] * shape.owner_self_to_professional
        + [(own, own)] * shape.owner_self_kept
    )
    rng.shuffle(other_histories)
    other_households = apportion(
        shape.households - shape.public_households,
        [
            max(1, int(rng.lognormvariate(0, 0.6) * (1500 if after == pro else 800)))
            for _, after in other_histories
        ],
        minimum=8,
    )
    per_street = apportion(
        len(other_histories), _weights(rng, len(streets)), minimum=min(1, len(other_histories))
    )
    cursor = 0
    for street, count in zip(streets, per_street, strict=True):
        for _ in range(count):
            before, after = other_histories[cursor]
            chosen = (
                rng.choices(professional, weights=professional_weights)[0] if after == pro else None
            )
            compounds.append(
                CompoundPlan(
                    before=before,
                    after=after,
                    street_index=street.index,
                    company_index=chosen,
                    households=other_households[cursor],
                )
            )
            cursor += 1

    for compound in compounds:
        if compound.changed:
            compound.change_on = _random_date(rng, CHANGES_FROM, CHANGES_UNTIL)
        compound.build_year = rng.randint(1978, 2001)
        compound.renovated_on = _random_date(
            rng, datetime.date(2019, 3, 1), datetime.date(2022, 10, 31)
        )
        h = compound.households
        compound.open_space = (
            OpenSpace.LARGE if h >= 300 else OpenSpace.MEDIUM if h >= 100 else OpenSpace.SMALL
        )
        compound.parking_motor = h // 4 if h >= 300 else h // 10 if h >= 100 else 0
        compound.parking_non_motor = h // 2
        streets[compound.street_index].compounds.append(compound)
    return compounds


def _place_compounds(rng: random.Random, streets: list[StreetPlan]) -> None:
    """Deal each street's compounds over its grids, then number, name and draw them."""
    compound_names = names.UniqueNames()
    for street in streets:
        rng.shuffle(street.compounds)
        grids = street.grids
        for position, compound in enumerate(street.compounds):
            grids[position % len(grids)].compounds.append(compound)
        number = 0
        for community in street.communities:
            for grid in community.grids:
                cells = grid.rect.split(len(grid.compounds)) if grid.compounds else []
                for compound, cell in zip(grid.compounds, cells, strict=True):
                    number += 1
                    compound.code = f"{street.code}-{number:03d}"
                    compound.grid = grid
                    compound.community = community
                    compound.rect = cell.shrink(0.15)
                    for name, address, unit in names.compound_candidates(rng):
                        if name not in compound_names.used:
                            compound_names.used.add(name)
                            compound.name, compound.address, compound.rights_unit = (
                                name,
                                address,
                                unit,
                            )
                            break
        street.compounds.sort(key=lambda c: c.code)


def _plan_houses(rng: random.Random, compound: CompoundPlan) -> None:
    h = compound.households
    small = h < 30
    floors = rng.choice((2, 3, 3, 4)) if small else rng.choice((5, 6, 6, 6, 7, 7))
    if not small and h > 400 and compound.after == ManagementMode.PROFESSIONAL:
        floors = rng.choice((6, 7, 11, 18))
    per_floor = 2 if rng.random() < 0.8 else 3
    mean = rng.randint(5500, 8500) if compound.public else rng.randint(6000, 9800)
    remaining = h
    number = 0
    while remaining:
        number += 1
        units = rng.choice((1, 1, 2)) if small else rng.choice((1, 2, 2, 3, 3, 4))
        take = min(units * floors * per_floor, remaining)
        used_units = math.ceil(take / (floors * per_floor))
        areas = [
            rng.randint(mean * 70 // 100, mean * 135 // 100) for _ in range(used_units * per_floor)
        ]
        compound.buildings.append(
            BuildingPlan(
                number=f"{number}号楼",
                floors=floors,
                units=used_units,
                per_floor=per_floor,
                households=take,
                position_areas=areas,
            )
        )
        remaining -= take

    for index in range(h):
        roll = rng.random()
        # The first house is always lived in by its owner: the compound's committees and party
        # branch need someone to hold their posts, and a neighbour may own a vacant flat.
        if index == 0 or roll >= 0.105:
            rented = index > 0 and rng.random() < 0.14
            size = rng.choices(HOUSEHOLD_SIZES, weights=HOUSEHOLD_WEIGHTS)[0]
            compound.statuses.append(OCCUPIED)
            compound.rented.append(rented)
            compound.persons.append(size + rented)
        elif roll >= 0.015:
            compound.statuses.append(VACANT)
            compound.rented.append(False)
            compound.persons.append(1 if rng.random() < 0.7 else 0)
        else:
            compound.statuses.append(UNSOLD)
            compound.rented.append(False)
            compound.persons.append(0)


def _fit_residents(rng: random.Random, compounds: list[CompoundPlan], target: int) -> None:
    """Grow or shrink households one person at a time until the district has ``target``."""
    occupied = [
        (ci, hi)
        for ci, compound in enumerate(compounds)
        for hi, status in enumerate(compound.statuses)
        if status == OCCUPIED
    ]
    total = sum(sum(compound.persons) for compound in compounds)
    room = sum(
        MAX_PERSONS_IN_HOUSE - compound.persons[hi]
        if total < target
        else compound.persons[hi] - (2 if compound.rented[hi] else 1)
        for ci, hi in occupied
        for compound in (compounds[ci],)
    )
    if room < abs(target - total):
        raise ValueError(f"cannot fit {target} residents into the planned houses")
    step = 1 if total < target else -1
    while total != target:
        ci, hi = occupied[rng.randrange(len(occupied))]
        compound = compounds[ci]
        persons = compound.persons[hi]
        floor = 2 if compound.rented[hi] else 1
        if (step > 0 and persons < MAX_PERSONS_IN_HOUSE) or (step < 0 and persons > floor):
            compound.persons[hi] += step
            total += step
