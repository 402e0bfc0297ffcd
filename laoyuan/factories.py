"""Test factories and the standing cast (test-only; imported by conftest and tests).

The cast: street A (with community, grid, a public company and compound "A1" where the resident
lives) holds one user per role; street B is another street with its own compound, company and a
street officer, the outsider every access rule is tested against.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.conf import settings
from django.test import Client

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.accounts.queries import level_for
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, PropertyCompany
from laoyuan.people.models import Person, Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Building, Community, Compound, District, Grid, House, Street
from laoyuan.places.services import change_management_mode, refresh_compound_totals

PASSWORD = "test-pass-123"


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = "410104"
    name = "管城回族区"


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"S{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}街道")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    district = factory.SelfAttribute("street.district")
    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}社区")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    street = factory.SelfAttribute("community.street")
    district = factory.SelfAttribute("community.district")
    code = factory.Sequence(lambda n: f"G{n:04d}")
    name = factory.Sequence(lambda n: f"第{n}网格")


class CompoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Compound

    grid = factory.SubFactory(GridFactory)
    community = factory.SelfAttribute("grid.community")
    street = factory.SelfAttribute("grid.street")
    district = factory.SelfAttribute("grid.district")
    code = factory.Sequence(lambda n: f"K{n:05d}")
    name = factory.Sequence(lambda n: f"测试{n}号院")
    build_year = 1992


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    compound = factory.SubFactory(CompoundFactory)
    number = factory.Sequence(lambda n: f"{n + 1}号楼")
    floors = 6
    units = 2


class HouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = House

    building = factory.SubFactory(BuildingFactory)
    compound = factory.SelfAttribute("building.compound")
    street = factory.SelfAttribute("building.compound.street")
    unit = "1"
    floor = 3
    room = factory.Sequence(lambda n: f"{301 + n}")
    area = Decimal("86.40")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"居民{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PropertyCompany

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"P{n:03d}")
    name = factory.Sequence(lambda n: f"测试物业{n}")
    kind = CompanyKind.PROFESSIONAL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


def grant(user: User, role: str, scope: Any) -> RoleAssignment:
    level = level_for(scope)
    return RoleAssignment.objects.create(user=user, role=role, level=level, **{level: scope})


def user_with(role: str, scope: Any, username: str | None = None) -> User:
    user = UserFactory(username=username) if username else UserFactory()
    grant(user, role, scope)
    return user


def public_takeover(compound: Compound, company: PropertyCompany, actor: Any = None) -> None:
    change_management_mode(
        compound=compound,
        mode=ManagementMode.UNMANAGED,
        company=None,
        effective_on=datetime.date(2015, 1, 1),
        reason="registered",
        actor=actor,
    )
    change_management_mode(
        compound=compound,
        mode=ManagementMode.PUBLIC,
        company=company,
        effective_on=datetime.date(2021, 3, 1),
        reason="public takeover",
        actor=actor,
        takeover={"trial_months": 3, "entrustment_signed_on": datetime.date(2021, 2, 20)},
    )


@dataclass
class Side:
    """One street's places, organisations and users."""

    street: Street
    community: Community
    grid: Grid
    compound: Compound
    other_compound: Compound
    building: Building
    house: House
    neighbour_house: House
    company: PropertyCompany
    resident_person: Person


@dataclass
class Cast:
    district: District
    a: Side
    b: Side
    c: Side  # in another district
    users: dict[str, User]  # one per role, all covering a.compound; plus "outsider" (street B)
    # and "other_district" (the district office of side C's district)


def build_side(label: str, district: District | None = None) -> Side:
    district = district or DistrictFactory()
    street = StreetFactory(district=district, name=f"{label}街道")
    community = CommunityFactory(street=street, name=f"{label}社区")
    grid = GridFactory(community=community, name=f"{label}网格")
    company = CompanyFactory(
        kind=CompanyKind.PUBLIC, street=street, district=district, name=f"{label}公办物业"
    )
    compound = CompoundFactory(grid=grid, name=f"{label}一号院", renovated=True)
    other = CompoundFactory(grid=grid, name=f"{label}二号院")
    public_takeover(compound, company)
    building = BuildingFactory(compound=compound, number="1号楼")
    house = HouseFactory(building=building, room="101", area=Decimal("86.40"))
    neighbour = HouseFactory(building=building, room="102", area=Decimal("60.00"))
    HouseFactory(building=BuildingFactory(compound=other, number="1号楼"), room="101")
    person = PersonFactory(name=f"{label}居民", phone="13812341234")
    Residency.objects.create(person=person, house=house, compound=compound, role="owner")
    neighbour_person = PersonFactory(name=f"{label}邻居", phone="13900001111")
    Residency.objects.create(
        person=neighbour_person, house=neighbour, compound=compound, role="owner"
    )
    Committee.objects.create(
        compound=compound,
        street=street,
        kind=CommitteeKind.PROPERTY_MANAGEMENT,
        name=f"{label}物管会",
        term_start=datetime.date(2023, 1, 1),
        term_end=datetime.date(2036, 12, 31),
    )
    top = PartyOrg.objects.create(
        level=PartyLevel.STREET_COMMITTEE, name=f"{label}街道党工委", street=street
    )
    mid = PartyOrg.objects.create(
        level=PartyLevel.COMMUNITY_COMMITTEE,
        parent=top,
        name=f"{label}社区党委",
        street=street,
        community=community,
    )
    PartyOrg.objects.create(
        level=PartyLevel.COMPOUND_BRANCH,
        parent=mid,
        name=f"{label}一号院党支部",
        street=street,
        community=community,
        compound=compound,
    )
    branch = AgencyBranch.objects.create(
        district=district, code=f"AB-{label}", name=f"{label}机关支部", agency=f"{label}局"
    )
    Cadre.objects.create(
        person=PersonFactory(name=f"{label}干部"),
        branch=branch,
        grid=grid,
        street=street,
        since=datetime.date(2022, 1, 1),
    )
    refresh_compound_totals()
    return Side(
        street=street,
        community=community,
        grid=grid,
        compound=compound,
        other_compound=other,
        building=building,
        house=house,
        neighbour_house=neighbour,
        company=company,
        resident_person=person,
    )


def build_cast() -> Cast:
    a = build_side("甲")
    b = build_side("乙")
    other = DistrictFactory(code="410102", name="中原区")
    c = build_side("丙", district=other)
    district = a.street.district
    users = {
        Role.DISTRICT: user_with(Role.DISTRICT, district, "district"),
        Role.STREET: user_with(Role.STREET, a.street, "street"),
        Role.COMMUNITY: user_with(Role.COMMUNITY, a.community, "community"),
        Role.GRID: user_with(Role.GRID, a.grid, "grid"),
        Role.BRANCH: user_with(Role.BRANCH, a.compound, "branch"),
        Role.COMPANY: user_with(Role.COMPANY, a.company, "company"),
        Role.COMMITTEE: user_with(Role.COMMITTEE, a.compound, "committee"),
        Role.RESIDENT: user_with(Role.RESIDENT, a.house, "resident"),
        Role.INSPECTOR: user_with(Role.INSPECTOR, a.street, "inspector"),
        "outsider": user_with(Role.STREET, b.street, "outsider"),
        "other_district": user_with(Role.DISTRICT, other, "other_district"),
    }
    users[Role.RESIDENT].person = a.resident_person
    users[Role.RESIDENT].save(update_fields=["person"])
    return Cast(district=district, a=a, b=b, c=c, users=users)


def anonymous() -> Client:
    """A client with no user that reads the pages in English (assertions stay readable)."""
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def as_user(user: User) -> Client:
    """A client signed in as ``user`` that reads the pages in English."""
    client = anonymous()
    client.force_login(user)
    return client
