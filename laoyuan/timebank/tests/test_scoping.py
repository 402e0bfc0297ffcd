"""Who sees which time-bank rows through ``accounts.scoping.scoped``: every registered model for
every role of the cast, with exact ids. Offices see their places; compounds' roles see their
community's notice board and their compounds' personal rows; a resident sees the board of their
community and only their own household's volunteers, claims, redemptions and donations (those
given to them too); companies and inspectors see nothing."""

import datetime
from decimal import Decimal

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.accounts.scoping import scoped
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import HouseFactory, PersonFactory
from laoyuan.people.models import Person, Residency
from laoyuan.places.models import Building
from laoyuan.timebank.models import (
    Activity,
    Claim,
    Donation,
    Membership,
    Pool,
    Post,
    Redemption,
    Volunteer,
    VolunteerOrg,
)
from laoyuan.timebank.services import claims, exchange, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 10)
MODELS = {
    "org": VolunteerOrg,
    "post": Post,
    "act": Activity,
    "vol": Volunteer,
    "mem": Membership,
    "claim": Claim,
    "red": Redemption,
    "don": Donation,
    "pool": Pool,
}


def resident_of(house, name):
    person = PersonFactory(name=name)
    Residency.objects.create(person=person, house=house, compound=house.compound, role="owner")
    return person


def build_world(cast):
    """Time-bank rows in community A (compounds A1 and A2), street B and district C."""
    rows: dict[str, object] = {}
    community_a = cast.users[Role.COMMUNITY]
    community_b = h.community_user(cast, "b")
    community_c = h.community_user(cast, "c")
    a2_building = Building.objects.get(compound=cast.a.other_compound)
    from laoyuan.places.models import House

    a2_house = House.objects.get(building=a2_building)
    a2_other = HouseFactory(building=a2_building, room="102")

    rows["org_a"] = orgs.create_org(actor=community_a, community=cast.a.community, name="甲队")
    rows["org_b"] = orgs.create_org(actor=community_b, community=cast.b.community, name="乙队")
    rows["org_c"] = orgs.create_org(actor=community_c, community=cast.c.community, name="丙队")
    rows["post_a"] = orgs.create_post(
        actor=community_a, community=cast.a.community, name="东门巡逻", category="patrol"
    )
    rows["post_b"] = orgs.create_post(
        actor=community_b, community=cast.b.community, name="西门巡逻", category="patrol"
    )

    def activity(actor, compound, title):
        return orgs.create_activity(
            actor=actor,
            compound=compound,
            title=title,
            category="cleaning",
            start=h.at(MARCH, 9),
            end=h.at(MARCH, 12),
            capacity=10,
        )

    rows["act_a"] = activity(community_a, cast.a.compound, "甲一清扫")
    rows["act_a2"] = activity(community_a, cast.a.other_compound, "甲二清扫")
    rows["act_b"] = activity(community_b, cast.b.compound, "乙清扫")
    rows["act_c"] = activity(community_c, cast.c.compound, "丙清扫")

    def volunteer(actor, person, house):
        return orgs.register_volunteer(actor=actor, person=person, house=house, on=MARCH)

    rows["vol_a"] = volunteer(community_a, cast.a.resident_person, cast.a.house)
    rows["vol_n"] = volunteer(
        community_a, Person.objects.get(name="甲邻居"), cast.a.neighbour_house
    )
    rows["vol_a2"] = volunteer(community_a, resident_of(a2_house, "甲二居民"), a2_house)
    rows["vol_b"] = volunteer(community_b, cast.b.resident_person, cast.b.house)
    rows["vol_c"] = volunteer(community_c, cast.c.resident_person, cast.c.house)
    rows["mem_a"] = orgs.add_member(actor=community_a, org=rows["org_a"], volunteer=rows["vol_a"])
    rows["mem_a2"] = orgs.add_member(actor=community_a, org=rows["org_a"], volunteer=rows["vol_a2"])
    rows["mem_b"] = orgs.add_member(actor=community_b, org=rows["org_b"], volunteer=rows["vol_b"])

    def claim(actor, act, vol):
        made = claims.create_claim(
            actor=actor,
            activity=rows[act],
            volunteer=rows[vol],
            start=h.at(MARCH, 9),
            end=h.at(MARCH, 12),
        )
        return claims.verify_claim(actor=h.colleague(made), claim=made)

    rows["claim_a"] = claim(community_a, "act_a", "vol_a")
    rows["claim_n"] = claim(community_a, "act_a", "vol_n")
    rows["claim_a2"] = claim(community_a, "act_a2", "vol_a2")
    rows["claim_b"] = claim(community_b, "act_b", "vol_b")
    rows["claim_c"] = claim(community_c, "act_c", "vol_c")

    h.bills(cast)
    posted_scheme(cast.b.compound, rate="0.50")
    bill(cast.b.house, datetime.date(2026, 1, 1))
    h.rate(cast)
    rows["pool_a"] = h.pool(cast)
    outsider = cast.users["outsider"]
    rows["pool_b"] = exchange.create_pool(
        actor=outsider,
        name="乙街道公益金",
        source_kind="welfare",
        district_id=cast.district.pk,
        street_id=cast.b.street.pk,
    )
    exchange.contribute(
        actor=outsider, pool=rows["pool_b"], amount=Decimal("100.00"), reference="B-1"
    )
    rows["pool_d"] = exchange.create_pool(
        actor=cast.users[Role.DISTRICT],
        name="区商户赞助",
        source_kind="sponsor",
        district_id=cast.district.pk,
    )
    rows["pool_c"] = exchange.create_pool(
        actor=cast.users["other_district"],
        name="丙区公益金",
        source_kind="welfare",
        district_id=cast.c.street.district_id,
    )
    rows["red_a"] = exchange.redeem(actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=60)
    rows["red_b"] = exchange.redeem(actor=community_b, house=cast.b.house, minutes=60)

    def give(actor, house, to_house):
        return exchange.donate(actor=actor, house=house, to_house=to_house, minutes=10)

    rows["don_a_n"] = give(community_a, cast.a.house, cast.a.neighbour_house)
    rows["don_a2_a"] = give(community_a, a2_house, cast.a.house)
    rows["don_a2_x"] = give(community_a, a2_house, a2_other)
    rows["don_b"] = give(community_b, cast.b.house, cast.b.neighbour_house)
    return rows


A_BOARD = {"org_a", "post_a", "act_a", "act_a2"}
A1_PERSONAL = {"vol_a", "vol_n", "mem_a", "claim_a", "claim_n", "red_a", "don_a_n", "don_a2_a"}
A2_PERSONAL = {"vol_a2", "mem_a2", "claim_a2", "don_a2_x"}
B_ALL = {"org_b", "post_b", "act_b", "vol_b", "mem_b", "claim_b", "red_b", "don_b"}
HOUSE_A = {"vol_a", "mem_a", "claim_a", "red_a", "don_a_n", "don_a2_a"}
EXPECTED = {
    Role.DISTRICT: A_BOARD | A1_PERSONAL | A2_PERSONAL | B_ALL | {"pool_a", "pool_b", "pool_d"},
    Role.STREET: A_BOARD | A1_PERSONAL | A2_PERSONAL | {"pool_a", "pool_d"},
    Role.COMMUNITY: A_BOARD | A1_PERSONAL | A2_PERSONAL | {"pool_a", "pool_d"},
    Role.GRID: A_BOARD | A1_PERSONAL | A2_PERSONAL,
    Role.BRANCH: A_BOARD | A1_PERSONAL,
    Role.COMMITTEE: A_BOARD | A1_PERSONAL,
    Role.RESIDENT: A_BOARD | HOUSE_A,
    Role.COMPANY: set(),
    Role.INSPECTOR: set(),
    "outsider": B_ALL | {"pool_b", "pool_d"},
    "other_district": {"org_c", "act_c", "vol_c", "claim_c", "pool_c"},
}


DONATION_ROLES = (Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT)


@pytest.fixture
def world(cast):
    return build_world(cast)


def visible_and_expected(cast, world, who, key):
    model = MODELS[key]
    names = {name: row.pk for name, row in world.items() if name.split("_")[0] == key}
    expected = sorted(names[name] for name in EXPECTED[who] if name in names)
    visible = sorted(scoped(model.objects.all(), cast.users[who]).values_list("pk", flat=True))
    return key, visible, expected


@pytest.mark.parametrize("who", list(EXPECTED))
def test_each_role_sees_exactly_its_rows(cast, world, who):
    keys = [k for k in MODELS if not (k == "don" and who in DONATION_ROLES)]
    found = [visible_and_expected(cast, world, who, key) for key in keys]
    assert [(key, visible) for key, visible, _ in found] == [
        (key, expected) for key, _, expected in found
    ]


@pytest.mark.parametrize("who", DONATION_ROLES)
def test_donations_for_compound_roles_and_residents(cast, world, who):
    _key, visible, expected = visible_and_expected(cast, world, who, "don")
    assert visible == expected


def test_the_world_is_built_as_described(cast, world):
    assert Claim.objects.count() == 5
    assert Donation.objects.count() == 4
    assert Redemption.objects.count() == 2
    assert Pool.objects.count() == 4
    assert world["don_a2_a"].to_house_id == cast.a.house.pk
