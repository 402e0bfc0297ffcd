"""One street of the demo district: buildings, houses, residents and their residencies, the
compounds' committees with members, and the party bodies from compound branch down to the central
household, with the posts that tie residents to them (including cross-appointments)."""

import datetime
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from laoyuan.demo.plan import HISTORY_START, OCCUPIED, VACANT, StreetPlan, add_years
from laoyuan.orgs.enums import CommitteeKind, PartyLevel
from laoyuan.orgs.models import Committee, PartyOrg, Post
from laoyuan.people.enums import HouseholdRole
from laoyuan.people.models import Person, Residency
from laoyuan.places.enums import HouseStatus, ManagementMode
from laoyuan.places.models import Building, House, Street

if TYPE_CHECKING:
    from laoyuan.demo.builder import Writer

BATCH = 2000
HOUSE_STATUSES = {0: HouseStatus.OCCUPIED, 1: HouseStatus.VACANT, 2: HouseStatus.UNSOLD}
COMMITTEE_KINDS = {
    ManagementMode.PROFESSIONAL: CommitteeKind.OWNERS,
    ManagementMode.OWNER_SELF: CommitteeKind.SELF_MANAGEMENT,
    ManagementMode.PUBLIC: CommitteeKind.PROPERTY_MANAGEMENT,
}
COMMITTEE_LABELS = {
    CommitteeKind.OWNERS: ("业主委员会", 5),
    CommitteeKind.SELF_MANAGEMENT: ("自管会", 5),
    CommitteeKind.PROPERTY_MANAGEMENT: ("物业管理委员会", 3),
}
COMMITTEE_TITLES = ("主任", "副主任", "委员", "委员", "委员", "委员", "委员")
BRANCH_TITLES = ("书记", "组织委员", "宣传委员")


def write_street(w: "Writer", street_plan: StreetPlan) -> None:
    """One street's buildings, houses, residents, committees and party bodies."""
    rng = w.rng(f"street:{street_plan.code}")
    street = w.streets[street_plan.index]
    buildings: list[Building] = []
    for plan in street_plan.compounds:
        compound = w.compounds[plan.code]
        for b in plan.buildings:
            buildings.append(
                Building(compound_id=compound.pk, number=b.number, floors=b.floors, units=b.units)
            )
    Building.objects.bulk_create(buildings, batch_size=BATCH)

    houses: list[House] = []
    compound_houses: list[list[House]] = []
    cursor = 0
    for plan in street_plan.compounds:
        compound = w.compounds[plan.code]
        mine: list[House] = []
        for b in plan.buildings:
            building = buildings[cursor]
            for unit, floor, position, raw in b.houses():
                mine.append(
                    House(
                        street_id=street.pk,
                        compound_id=compound.pk,
                        building_id=building.pk,
                        unit=str(unit),
                        floor=floor,
                        room=f"{floor}{position:02d}",
                        area=Decimal(w.plan.area_centi(plan, raw)).scaleb(-2),
                        status=HOUSE_STATUSES[plan.statuses[len(mine)]],
                    )
                )
            cursor += 1
        compound_houses.append(mine)
        houses.extend(mine)
    House.objects.bulk_create(houses, batch_size=BATCH)

    people: list[Person] = []
    links: list[tuple[int, House, str, datetime.date]] = []  # person index, house, role, since
    owner_of: dict[int, int] = {}  # id(house) → person index of its owner
    occupiers: list[list[tuple[int, House]]] = []  # per compound: (owner index, house)
    for plan, mine in zip(street_plan.compounds, compound_houses, strict=True):
        resident_owners: list[tuple[int, House]] = []
        first_year = datetime.date(min(plan.build_year + 1, w.today.year - 1), 1, 1)
        for index, house in enumerate(mine):
            status, rented = plan.statuses[index], plan.rented[index]
            n = plan.persons[index]
            if status == OCCUPIED:
                since = w.since(rng, first_year)
                if rented:
                    people.append(w.person(rng, street))
                    owner_of[id(house)] = len(people) - 1
                    links.append((len(people) - 1, house, HouseholdRole.OWNER, since))
                    tenant_since = w.since(rng, w.today - datetime.timedelta(days=1500))
                    _household(
                        w,
                        rng,
                        street,
                        house,
                        n - 1,
                        HouseholdRole.TENANT,
                        tenant_since,
                        people,
                        links,
                    )
                else:
                    head = _household(
                        w, rng, street, house, n, HouseholdRole.OWNER, since, people, links
                    )
                    owner_of[id(house)] = head
                    resident_owners.append((head, house))
            elif status == VACANT:
                since = w.since(rng, first_year)
                if n:
                    people.append(w.person(rng, street))
                    owner_of[id(house)] = len(people) - 1
                    links.append((len(people) - 1, house, HouseholdRole.OWNER, since))
                else:  # a neighbour in the same compound owns it too
                    owner = rng.choice(resident_owners)[0]
                    owner_of[id(house)] = owner
                    links.append((owner, house, HouseholdRole.OWNER, since))
        occupiers.append(resident_owners)
    Person.objects.bulk_create(people, batch_size=BATCH)
    Residency.objects.bulk_create(
        [
            Residency(
                person_id=people[p].pk,
                house_id=house.pk,
                compound_id=house.compound_id,
                role=role,
                since=since,
            )
            for p, house, role, since in links
        ],
        batch_size=BATCH,
    )
    w.count("buildings", len(buildings))
    w.count("houses", len(houses))
    w.count("people", len(people))
    w.count("residencies", len(links))

    _organise(w, rng, street_plan, street, buildings, compound_houses, people, owner_of, occupiers)
    w.stage(
        f"street {street_plan.index + 1}/{len(w.plan.streets)} {street.name}",
        f"{len(street_plan.compounds)} compounds, {len(buildings)} buildings, "
        f"{len(houses)} houses, {len(people)} residents",
    )


def _household(
    w: "Writer",
    rng: random.Random,
    street: Street,
    house: House,
    size: int,
    role: str,
    since: datetime.date,
    people: list[Person],
    links: list[tuple[int, House, str, datetime.date]],
) -> int:
    """A household of ``size`` living in ``house``; returns the head's index in ``people``."""
    female_head = rng.random() < 0.35
    head = w.person(rng, street, female=female_head, low_income=rng.random() < 0.03)
    family = head.name[0]
    people.append(head)
    head_index = len(people) - 1
    links.append((head_index, house, role, since))
    for member in range(1, size):
        if member == 1:
            person = w.person(rng, street, female=not female_head)
        else:
            person = w.person(
                rng,
                street,
                family=family if rng.random() < 0.85 else None,
                phone=rng.random() < 0.5,
            )
        people.append(person)
        links.append((len(people) - 1, house, HouseholdRole.FAMILY, since))
    return head_index


def _organise(
    w: "Writer",
    rng: random.Random,
    street_plan: StreetPlan,
    street: Street,
    buildings: list[Building],
    compound_houses: list[list[House]],
    people: list[Person],
    owner_of: dict[int, int],
    occupiers: list[list[tuple[int, House]]],
) -> None:
    """Committees with members, the compound branch, a party group per building and a central
    household per group, and the posts that tie people to them."""
    committees: list[Committee] = []
    committee_members: list[list[int]] = []
    branches: list[PartyOrg] = []
    branch_members: list[list[int]] = []
    seen_community: set[str] = set()
    community_members: list[tuple[int, str]] = []  # branch secretary → community committee
    building_owners: dict[int, list[tuple[int, House]]] = {}  # building pk → owners
    for resident_owners in occupiers:
        for owner, house in resident_owners:
            building_owners.setdefault(house.building_id, []).append((owner, house))

    for plan, resident_owners in zip(street_plan.compounds, occupiers, strict=True):
        compound = w.compounds[plan.code]
        assert plan.community is not None
        candidates = [person for person, _ in resident_owners]
        secretaries = rng.sample(candidates, min(len(candidates), len(BRANCH_TITLES)))
        branches.append(
            PartyOrg(
                level=PartyLevel.COMPOUND_BRANCH,
                parent=w.community_orgs[plan.community.code],
                name=f"{plan.name}党支部",
                street_id=street.pk,
                community_id=compound.community_id,
                compound_id=compound.pk,
            )
        )
        branch_members.append(secretaries)
        if plan.community.code not in seen_community and secretaries:
            seen_community.add(plan.community.code)
            community_members.append((secretaries[0], plan.community.code))

        kinds = [COMMITTEE_KINDS[ManagementMode(plan.after)]]
        if plan.code in w.plan.second_committee_codes:
            kinds.append(CommitteeKind.OWNERS)
        period_start = plan.change_on or HISTORY_START
        for position, kind in enumerate(kinds):
            label, years = COMMITTEE_LABELS[kind]
            start = max(period_start, w.today - datetime.timedelta(rng.randint(30, 900)))
            committees.append(
                Committee(
                    compound_id=compound.pk,
                    street_id=street.pk,
                    kind=kind,
                    name=f"{plan.name}{label}",
                    term_start=start,
                    term_end=add_years(start, years),
                )
            )
            size = min(len(candidates), rng.randint(3, 7))
            members = rng.sample(candidates, size)
            # Cross-appointment (交叉任职): the branch secretary chairs the first committee
            # in about a third of the compounds, and always in the demo compound.
            cross = plan is w.demo_plan or rng.random() < 0.35
            if position == 0 and secretaries and cross:
                chair = secretaries[0]
                members = [chair, *(m for m in members if m != chair)][: max(size, 1)]
            committee_members.append(members)
    Committee.objects.bulk_create(committees, batch_size=BATCH)
    PartyOrg.objects.bulk_create(branches, batch_size=BATCH)

    groups: list[PartyOrg] = []
    group_leaders: list[int | None] = []
    centre_houses: list[House] = []
    cursor = 0
    for plan, mine, branch, resident_owners in zip(
        street_plan.compounds, compound_houses, branches, occupiers, strict=True
    ):
        for b in plan.buildings:
            building = buildings[cursor]
            owners = building_owners.get(building.pk, [])
            cursor += 1
            groups.append(
                PartyOrg(
                    level=PartyLevel.BUILDING_GROUP,
                    parent=branch,
                    name=f"{plan.name}{b.number}党小组",
                    street_id=street.pk,
                    community_id=branch.community_id,
                    compound_id=branch.compound_id,
                    building_id=building.pk,
                )
            )
            pool = owners or resident_owners
            leader = rng.choice(pool) if pool else None
            group_leaders.append(leader[0] if leader else None)
            others = [house for _, house in owners if leader is None or house is not leader[1]]
            if others:
                centre_house = rng.choice(others)
            elif owners:
                centre_house = owners[0][1]
            else:
                centre_house = next(h for h in mine if h.building_id == building.pk)
            centre_houses.append(centre_house)
    PartyOrg.objects.bulk_create(groups, batch_size=BATCH)
    centres = [
        PartyOrg(
            level=PartyLevel.CENTRAL_HOUSEHOLD,
            parent=group,
            name=f"{group.name.removesuffix('党小组')}{house.unit}单元{house.room}党群中心户",
            street_id=street.pk,
            community_id=group.community_id,
            compound_id=group.compound_id,
            building_id=group.building_id,
            house_id=house.pk,
        )
        for group, house in zip(groups, centre_houses, strict=True)
    ]
    PartyOrg.objects.bulk_create(centres, batch_size=BATCH)

    posts: list[Post] = []

    def post(person: int, title: str, start: datetime.date, end: Any, **body: Any) -> None:
        posts.append(
            Post(
                person_id=people[person].pk,
                title=title,
                street_id=street.pk,
                term_start=start,
                term_end=end,
                **body,
            )
        )

    for committee, members in zip(committees, committee_members, strict=True):
        for member, title in zip(members, COMMITTEE_TITLES, strict=False):
            post(member, title, committee.term_start, committee.term_end, committee=committee)
    party_start = w.since(rng, w.today - datetime.timedelta(days=4 * 365), 60)
    for branch, members in zip(branches, branch_members, strict=True):
        for member, title in zip(members, BRANCH_TITLES, strict=False):
            post(member, title, party_start, add_years(party_start, 5), party_org=branch)
    for community_member, code in community_members:
        org = w.community_orgs[code]
        post(community_member, "委员", party_start, add_years(party_start, 5), party_org=org)
    for group, group_leader in zip(groups, group_leaders, strict=True):
        if group_leader is not None:
            post(group_leader, "党小组长", party_start, None, party_org=group)
    for centre, centre_house in zip(centres, centre_houses, strict=True):
        if id(centre_house) in owner_of:
            post(owner_of[id(centre_house)], "中心户户长", party_start, None, party_org=centre)
    Post.objects.bulk_create(posts, batch_size=BATCH)

    if street_plan.index == w.demo_plan.street_index:
        index = next(i for i, c in enumerate(street_plan.compounds) if c is w.demo_plan)
        # The compound's first house is always lived in by its owner (see plan._plan_houses).
        owner, house = occupiers[index][0]
        w.demo_house = house
        w.demo_person = people[owner]
    w.count("committees", len(committees))
    w.count("party_orgs", len(branches) + len(groups) + len(centres))
    w.count("posts", len(posts))
