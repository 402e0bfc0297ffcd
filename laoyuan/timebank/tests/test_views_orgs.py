"""The pages of volunteer organisations, their members and the register of volunteers: each role
in and out of scope, the create flows with their field errors, and constant queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.factories import BuildingFactory, HouseFactory, PersonFactory, anonymous, as_user
from laoyuan.people.models import Residency
from laoyuan.timebank.enums import MemberRole
from laoyuan.timebank.models import Membership, Volunteer, VolunteerOrg
from laoyuan.timebank.services import claims, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

ORGS = reverse("timebank:orgs")
ORG_NEW = reverse("timebank:org_new")
VOLUNTEERS = reverse("timebank:volunteers")
VOLUNTEER_NEW = reverse("timebank:volunteer_new")
BOARD_ROLES = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.RESIDENT,
]
OFFICES = [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.BRANCH, Role.COMMITTEE]
MANAGERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY]


def text(response):
    return response.content.decode()


def ids(response, attribute):
    return [int(x) for x in re.findall(rf'{attribute}="(\d+)"', text(response))]


def member(cast, org, role=MemberRole.MEMBER):
    volunteer = h.volunteer(cast)
    orgs.add_member(
        actor=cast.users[Role.COMMUNITY],
        org=org,
        volunteer=volunteer,
        role=role,
        on=datetime.date(2026, 2, 1),
    )
    return volunteer


def extra_volunteer(cast, name, *, low_income=False, compound=None):
    """Another volunteer of side A, in a new house of ``compound`` (A's first by default)."""
    compound = compound or cast.a.compound
    building = cast.a.building
    if compound != cast.a.compound:
        building = BuildingFactory(compound=compound, number=f"{Volunteer.objects.count() + 5}号楼")
    house = HouseFactory(building=building)
    person = PersonFactory(name=name, low_income=low_income, phone="13700002222")
    Residency.objects.create(person=person, house=house, compound=compound, role="owner")
    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY], person=person, house=house, on=datetime.date(2026, 3, 1)
    )


# Organisations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", BOARD_ROLES)
def test_org_list_shows_the_community_board_to_every_time_bank_role(cast, role):
    org = h.org(cast)
    org.founded_on = datetime.date(2019, 5, 4)
    org.save()
    member(cast, org)
    response = as_user(cast.users[role]).get(ORGS)
    assert response.status_code == 200
    assert ids(response, "data-org") == [org.pk]
    page = text(response)
    assert "红马甲志愿服务队" in page and "甲社区" in page and "2019-05-04" in page
    assert re.search(r"data-members>1<", page)
    assert ("data-new-org" in page) is (role in MANAGERS)


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_org_list_of_another_place_is_empty(cast, who):
    h.org(cast)
    response = as_user(cast.users[who]).get(ORGS)
    assert response.status_code == 200
    assert ids(response, "data-org") == []
    assert "data-empty" in text(response)


@pytest.mark.parametrize("role", [Role.COMPANY, Role.INSPECTOR])
def test_org_pages_are_not_found_for_roles_outside_the_time_bank(cast, role):
    org = h.org(cast)
    client = as_user(cast.users[role])
    for url in (ORGS, ORG_NEW, reverse("timebank:org_detail", args=[org.pk])):
        assert client.get(url).status_code == 404


def test_anonymous_is_sent_to_log_in(cast):
    org = h.org(cast)
    for url in (
        ORGS,
        ORG_NEW,
        reverse("timebank:org_detail", args=[org.pk]),
        VOLUNTEERS,
        VOLUNTEER_NEW,
    ):
        response = anonymous().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_org_list_filters_by_community_and_name_and_pages(cast):
    first = h.org(cast)
    second = orgs.create_org(
        actor=cast.users[Role.COMMUNITY], community=cast.a.community, name="护绿队"
    )
    other = orgs.create_org(
        actor=h.community_user(cast, "b"), community=cast.b.community, name="乙巡逻队"
    )
    client = as_user(cast.users[Role.DISTRICT])
    # By community name, then name (乙社区 before 甲社区; 护 before 红 by code point).
    assert ids(client.get(ORGS), "data-org") == [other.pk, second.pk, first.pk]
    assert ids(client.get(ORGS, {"community": cast.b.community.pk}), "data-org") == [other.pk]
    assert ids(client.get(ORGS, {"q": "红马甲"}), "data-org") == [first.pk]
    for n in range(25):
        VolunteerOrg.objects.create(
            name=f"队{n:02d}",
            district=cast.district,
            street=cast.a.street,
            community=cast.a.community,
        )
    page_two = client.get(ORGS, {"page": 2})
    assert len(ids(page_two, "data-org")) == 8
    assert "page 2 of 2" in text(page_two)


def test_org_list_queries_do_not_grow_with_rows(cast):
    client = as_user(cast.users[Role.STREET])

    def make(n):
        for i in range(n):
            VolunteerOrg.objects.create(
                name=f"队{VolunteerOrg.objects.count()}-{i}",
                district=cast.district,
                street=cast.a.street,
                community=cast.a.community,
                compound=cast.a.compound,
            )

    make(2)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(ORGS), "data-org")) == 2
    make(8)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(ORGS), "data-org")) == 10
    assert len(many) == len(few)


@pytest.mark.parametrize("role", MANAGERS)
def test_a_manager_creates_an_organisation(cast, role):
    client = as_user(cast.users[role])
    assert client.get(ORG_NEW).status_code == 200
    response = client.post(
        ORG_NEW,
        {
            "community": cast.a.community.pk,
            "compound": cast.a.compound.pk,
            "name": " 银发互助队 ",
            "founded_on": "2024-03-05",
            "description": "探访独居老人",
        },
    )
    org = VolunteerOrg.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("timebank:org_detail", args=[org.pk])
    assert (org.name, org.community, org.compound, org.founded_on, org.description) == (
        "银发互助队",
        cast.a.community,
        cast.a.compound,
        datetime.date(2024, 3, 5),
        "探访独居老人",
    )
    assert (org.district_id, org.street_id) == (cast.district.pk, cast.a.street.pk)


@pytest.mark.parametrize("role", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT])
def test_org_new_is_not_found_for_roles_that_do_not_manage(cast, role):
    client = as_user(cast.users[role])
    assert client.get(ORG_NEW).status_code == 404
    assert client.post(ORG_NEW, {"community": cast.a.community.pk, "name": "x"}).status_code == 404
    assert VolunteerOrg.objects.count() == 0


def test_org_new_shows_errors_on_the_fields(cast):
    h.org(cast)
    client = as_user(cast.users[Role.STREET])
    response = client.post(
        ORG_NEW,
        {
            "community": cast.a.community.pk,
            "compound": cast.b.compound.pk,
            "name": "红马甲志愿服务队",
        },
    )
    assert response.status_code == 200
    page = text(response)
    # Side B's compound is not in the street's scope: the form refuses it before the service.
    assert 'data-error="compound"' in page
    response = client.post(ORG_NEW, {"community": cast.a.community.pk, "name": "红马甲志愿服务队"})
    assert 'data-error="name"' in text(response)
    assert "The community has an organisation of this name already." in text(response)
    response = client.post(ORG_NEW, {"community": cast.b.community.pk, "name": "新队"})
    assert 'data-error="community"' in text(response)
    response = client.post(
        ORG_NEW,
        {
            "community": cast.a.community.pk,
            "compound": cast.a.other_compound.pk,
            "name": "新队",
        },
    )
    assert response.status_code == 302
    assert VolunteerOrg.objects.count() == 2
    # A compound of another community of the scope is refused by the service, on the field.
    response = as_user(cast.users[Role.DISTRICT]).post(
        ORG_NEW,
        {"community": cast.a.community.pk, "compound": cast.b.compound.pk, "name": "再一队"},
    )
    assert 'data-error="compound"' in text(response)
    assert "This compound is not in the community." in text(response)
    assert VolunteerOrg.objects.count() == 2


@pytest.mark.parametrize("role", OFFICES)
def test_org_detail_shows_members_to_the_offices(cast, role):
    org = h.org(cast)
    cast.a.resident_person.low_income = True
    cast.a.resident_person.save()
    volunteer = member(cast, org, MemberRole.LEADER)
    response = as_user(cast.users[role]).get(reverse("timebank:org_detail", args=[org.pk]))
    assert response.status_code == 200
    page = text(response)
    assert ids(response, "data-member") == [volunteer.pk]
    assert "甲居民" in page and "1号楼-1-101" in page and "data-low-income" in page
    assert "Leader (队长)" in page and "2026-02-01" in page
    assert re.search(r"data-member-count>1<", page)
    assert ("data-add-member" in page) is (role in MANAGERS)


def test_a_resident_sees_the_org_and_the_member_count_not_the_names(cast):
    org = h.org(cast)
    member(cast, org)
    activity = h.activity(cast, datetime.date(2026, 3, 10))
    activity.org = org
    activity.save()
    response = as_user(cast.users[Role.RESIDENT]).get(reverse("timebank:org_detail", args=[org.pk]))
    assert response.status_code == 200
    page = text(response)
    assert "红马甲志愿服务队" in page and re.search(r"data-member-count>1<", page)
    assert "甲居民" not in page and "1号楼-1-101" not in page and "data-members" not in page
    assert ids(response, "data-activity") == [activity.pk]
    assert "data-add-member" not in page
    response = as_user(cast.users[Role.RESIDENT]).post(
        reverse("timebank:org_detail", args=[org.pk]), {"role": "member"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_org_detail_out_of_scope_is_not_found(cast, who):
    org = h.org(cast)
    url = reverse("timebank:org_detail", args=[org.pk])
    assert as_user(cast.users[who]).get(url).status_code == 404
    assert as_user(cast.users[who]).post(url, {"role": "member"}).status_code == 404


def test_a_manager_adds_a_member_and_errors_show_on_the_fields(cast):
    org = h.org(cast)
    volunteer = h.volunteer(cast)
    other = orgs.register_volunteer(
        actor=h.community_user(cast, "b"),
        person=cast.b.resident_person,
        house=cast.b.house,
    )
    url = reverse("timebank:org_detail", args=[org.pk])
    client = as_user(cast.users[Role.COMMUNITY])
    page = text(client.get(url))
    assert f'value="{volunteer.pk}"' in page and f'value="{other.pk}"' not in page
    response = client.post(url, {"volunteer": other.pk, "role": "member"})
    assert 'data-error="volunteer"' in text(response)
    response = client.post(url, {"volunteer": volunteer.pk, "role": "boss"})
    assert 'data-error="role"' in text(response)
    assert Membership.objects.count() == 0
    response = client.post(url, {"volunteer": volunteer.pk, "role": "leader"})
    assert response.status_code == 302 and response["Location"] == url
    assert list(Membership.objects.values_list("org_id", "volunteer_id", "role")) == [
        (org.pk, volunteer.pk, "leader")
    ]
    # A member already is no longer offered.
    response = client.post(url, {"volunteer": volunteer.pk, "role": "member"})
    assert 'data-error="volunteer"' in text(response)
    assert Membership.objects.count() == 1


def test_a_compound_role_posting_a_member_is_not_found(cast):
    org = h.org(cast)
    volunteer = h.volunteer(cast)
    response = as_user(cast.users[Role.BRANCH]).post(
        reverse("timebank:org_detail", args=[org.pk]), {"volunteer": volunteer.pk, "role": "member"}
    )
    assert response.status_code == 404
    assert Membership.objects.count() == 0


# Volunteers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MANAGERS)
def test_volunteer_list_for_the_offices(cast, role):
    org = h.org(cast)
    volunteer = member(cast, org)
    today = timezone.localdate()
    day = today - datetime.timedelta(days=3)
    activity = h.activity(cast, day, 9, 11)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
    pending = h.activity(cast, day, 14, 15, title="捡垃圾")
    claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=pending, start=pending.start, end=pending.end
    )
    response = as_user(cast.users[role]).get(VOLUNTEERS)
    assert response.status_code == 200
    page = text(response)
    assert ids(response, "data-volunteer") == [volunteer.pk]
    row = page[page.index(f'data-volunteer="{volunteer.pk}"') :]
    assert "甲居民" in row and "138****1234" in row and "13812341234" not in page
    assert "1号楼-1-101" in row and "甲一号院" in row and "2026-01-05" in row
    assert 'data-low-income="0"' in row and "红马甲志愿服务队" in row
    expected = "2:00" if day.year == today.year else "0:00"
    assert re.search(rf"data-hours>{expected}<", row)
    assert ("data-new-volunteer" in page) is (role in MANAGERS)


@pytest.mark.parametrize(
    "who",
    # The register carries the low-income mark: the compound's roles do not get it either.
    [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.COMPANY, Role.INSPECTOR],
)
def test_volunteer_list_is_not_found_for_residents_and_outside_roles(cast, who):
    h.volunteer(cast)
    assert as_user(cast.users[who]).get(VOLUNTEERS).status_code == 404


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_volunteer_list_of_another_place_is_empty(cast, who):
    h.volunteer(cast)
    response = as_user(cast.users[who]).get(VOLUNTEERS)
    assert response.status_code == 200
    assert ids(response, "data-volunteer") == [] and "data-empty" in text(response)


def test_volunteer_list_filters(cast):
    first = h.volunteer(cast)
    poor = extra_volunteer(cast, "困难户张三", low_income=True)
    elsewhere = extra_volunteer(cast, "二号院李四", compound=cast.a.other_compound)
    client = as_user(cast.users[Role.COMMUNITY])
    response = client.get(VOLUNTEERS)
    assert sorted(ids(response, "data-volunteer")) == sorted([first.pk, poor.pk, elsewhere.pk])
    assert re.search(
        r'<input type="checkbox" name="low_income"[^>]*form-check-input', text(response)
    )
    assert re.findall(r'data-low-income="(\d)"', text(response)).count("1") == 1
    assert ids(client.get(VOLUNTEERS, {"low_income": "on"}), "data-volunteer") == [poor.pk]
    response = client.get(VOLUNTEERS, {"compound": cast.a.other_compound.pk})
    assert ids(response, "data-volunteer") == [elsewhere.pk]
    assert ids(client.get(VOLUNTEERS, {"q": "张三"}), "data-volunteer") == [poor.pk]
    # A street office of street A sees them all; one of street B none.
    street = as_user(cast.users[Role.STREET])
    assert sorted(ids(street.get(VOLUNTEERS), "data-volunteer")) == sorted(
        [first.pk, poor.pk, elsewhere.pk]
    )


def test_volunteer_list_queries_do_not_grow_with_rows(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    org = h.org(cast)

    def make(n, start):
        for i in range(n):
            volunteer = extra_volunteer(cast, f"志愿者{start + i}")
            orgs.add_member(actor=cast.users[Role.COMMUNITY], org=org, volunteer=volunteer)

    make(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert len(ids(client.get(VOLUNTEERS), "data-volunteer")) == 2
    make(8, 2)
    with CaptureQueriesContext(connection) as many:
        assert len(ids(client.get(VOLUNTEERS), "data-volunteer")) == 10
    assert len(many) == len(few)


def test_a_manager_registers_a_volunteer_choosing_house_and_resident(cast):
    cast.a.resident_person.low_income = True
    cast.a.resident_person.save()
    client = as_user(cast.users[Role.COMMUNITY])
    response = client.get(VOLUNTEER_NEW, {"compound": cast.a.compound.pk, "q": "1-1-101"})
    assert ids(response, "data-pick") == [cast.a.house.pk]
    response = client.get(VOLUNTEER_NEW, {"house": cast.a.house.pk})
    page = text(response)
    assert ids(response, "data-resident") == [cast.a.resident_person.pk]
    assert "甲居民" in page and "data-low-income" in page
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.a.house.pk, "person": cast.a.resident_person.pk}
    )
    assert response.status_code == 302 and response["Location"] == VOLUNTEERS
    volunteer = Volunteer.objects.get()
    assert (volunteer.person, volunteer.house, volunteer.compound, volunteer.community) == (
        cast.a.resident_person,
        cast.a.house,
        cast.a.compound,
        cast.a.community,
    )
    assert volunteer.registered_on == timezone.localdate()
    # Registered once: shown as such, and refused on the field when sent again.
    assert "data-registered" in text(client.get(VOLUNTEER_NEW, {"house": cast.a.house.pk}))
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.a.house.pk, "person": cast.a.resident_person.pk}
    )
    assert response.status_code == 200
    assert 'data-error="person"' in text(response)
    assert "This person is a registered volunteer already." in text(response)
    assert Volunteer.objects.count() == 1


def test_volunteer_new_errors_and_scope(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    # No resident chosen, or one of another house: on the field.
    response = client.post(VOLUNTEER_NEW, {"house": cast.a.house.pk})
    assert 'data-error="person"' in text(response)
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.a.house.pk, "person": cast.b.resident_person.pk}
    )
    assert 'data-error="person"' in text(response)
    # A house out of scope is not found.
    assert client.get(VOLUNTEER_NEW, {"house": cast.b.house.pk}).status_code == 404
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.b.house.pk, "person": cast.b.resident_person.pk}
    )
    assert response.status_code == 404
    assert client.get(VOLUNTEER_NEW, {"house": "x"}).status_code == 404
    assert Volunteer.objects.count() == 0
    # A compound out of scope is refused on the search field.
    response = client.get(VOLUNTEER_NEW, {"compound": cast.b.compound.pk, "q": "101"})
    assert 'data-error="compound"' in text(response)


@pytest.mark.parametrize(
    "who", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.COMPANY, Role.INSPECTOR]
)
def test_volunteer_new_is_not_found_for_roles_that_do_not_manage(cast, who):
    client = as_user(cast.users[who])
    assert client.get(VOLUNTEER_NEW).status_code == 404
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.a.house.pk, "person": cast.a.resident_person.pk}
    )
    assert response.status_code == 404
    assert Volunteer.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_volunteer_new_of_another_place_is_not_found(cast, who):
    client = as_user(cast.users[who])
    assert client.get(VOLUNTEER_NEW, {"house": cast.a.house.pk}).status_code == 404
    response = client.post(
        VOLUNTEER_NEW, {"house": cast.a.house.pk, "person": cast.a.resident_person.pk}
    )
    assert response.status_code == 404
    assert Volunteer.objects.count() == 0
