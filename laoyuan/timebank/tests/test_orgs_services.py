"""Organisations, volunteers, members, posts and activities: only the offices of the place
(district, street, community) manage them, and each refusal names its field and writes nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.people.models import Person
from laoyuan.timebank.models import Activity, Membership, Post, Volunteer, VolunteerOrg
from laoyuan.timebank.services import orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 10)
MANAGERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY]
NOT_MANAGERS = [
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.RESIDENT,
    Role.COMPANY,
    Role.INSPECTOR,
    "outsider",
    "other_district",
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(call, **kwargs):
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


def neighbour_person():
    return Person.objects.get(name="甲邻居")


def activity_kwargs(cast, **changes):
    kwargs = {
        "compound": cast.a.compound,
        "title": "楼道清扫",
        "category": "cleaning",
        "start": h.at(DAY, 9),
        "end": h.at(DAY, 12),
        "capacity": 10,
    }
    kwargs.update(changes)
    return kwargs


# --- Who may manage ------------------------------------------------------------------------


@pytest.mark.parametrize("who", MANAGERS)
def test_the_offices_of_the_place_manage_everything(cast, who):
    actor = cast.users[who]
    org = orgs.create_org(actor=actor, community=cast.a.community, name=" 红马甲 ")
    assert (org.name, org.district_id, org.street_id, org.community_id) == (
        "红马甲",
        cast.district.pk,
        cast.a.street.pk,
        cast.a.community.pk,
    )
    volunteer = orgs.register_volunteer(
        actor=actor, person=cast.a.resident_person, house=cast.a.house, on=DAY
    )
    assert (volunteer.compound_id, volunteer.community_id, volunteer.registered_on) == (
        cast.a.compound.pk,
        cast.a.community.pk,
        DAY,
    )
    member = orgs.add_member(actor=actor, org=org, volunteer=volunteer, role="leader", on=DAY)
    assert (member.role, member.joined_on) == ("leader", DAY)
    post = orgs.create_post(
        actor=actor, community=cast.a.community, name="东门巡逻", category="patrol", org=org
    )
    assert (post.org_id, post.category) == (org.pk, "patrol")
    activity = orgs.create_activity(actor=actor, org=org, post=post, **activity_kwargs(cast))
    assert (activity.organiser, activity.created_by, activity.minutes) == (actor, actor, 180)
    assert list(
        AuditEvent.objects.filter(action__startswith="timebank.")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "timebank.org",
        "timebank.volunteer",
        "timebank.member",
        "timebank.post",
        "timebank.activity",
    ]


@pytest.mark.parametrize("who", NOT_MANAGERS)
def test_no_one_else_manages_anything(cast, who):
    actor = cast.users[who]
    org = orgs.create_org(actor=cast.users[Role.COMMUNITY], community=cast.a.community, name="甲队")
    volunteer = h.volunteer(cast)
    calls = [
        lambda: orgs.create_org(actor=actor, community=cast.a.community, name="另一队"),
        lambda: orgs.register_volunteer(
            actor=actor, person=neighbour_person(), house=cast.a.neighbour_house
        ),
        lambda: orgs.add_member(actor=actor, org=org, volunteer=volunteer),
        lambda: orgs.create_post(
            actor=actor, community=cast.a.community, name="岗", category="patrol"
        ),
        lambda: orgs.create_activity(actor=actor, **activity_kwargs(cast)),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert (VolunteerOrg.objects.count(), Volunteer.objects.count()) == (1, 1)
    assert (Membership.objects.count(), Post.objects.count(), Activity.objects.count()) == (0, 0, 0)


def test_another_communitys_office_is_out_of_scope(cast):
    community_b = h.community_user(cast, "b")
    with pytest.raises(PermissionDenied):
        orgs.create_org(actor=community_b, community=cast.a.community, name="越界")
    with pytest.raises(PermissionDenied):
        orgs.create_activity(actor=community_b, **activity_kwargs(cast))
    with pytest.raises(PermissionDenied):
        orgs.register_volunteer(
            actor=community_b, person=cast.a.resident_person, house=cast.a.house
        )
    assert VolunteerOrg.objects.count() == 0


# --- Field errors --------------------------------------------------------------------------


def test_create_org_field_errors(cast):
    actor = cast.users[Role.COMMUNITY]
    call = orgs.create_org
    assert refused(call, actor=actor, community=cast.a.community, name="  ") == {
        "name": ["This field is required."]
    }
    assert refused(
        call,
        actor=actor,
        community=cast.a.community,
        name="队" * 101,
        description="述" * 301,
        compound=cast.b.compound,
    ) == {
        "name": ["At most 100 characters."],
        "description": ["At most 300 characters."],
        "compound": ["This compound is not in the community."],
    }
    orgs.create_org(actor=actor, community=cast.a.community, name="红马甲")
    assert refused(call, actor=actor, community=cast.a.community, name=" 红马甲") == {
        "name": ["The community has an organisation of this name already."]
    }
    # Another community may use the same name.
    orgs.create_org(actor=h.community_user(cast, "b"), community=cast.b.community, name="红马甲")
    assert VolunteerOrg.objects.count() == 2


def test_register_volunteer_field_errors(cast):
    actor = cast.users[Role.COMMUNITY]
    assert refused(
        orgs.register_volunteer, actor=actor, person=neighbour_person(), house=cast.a.house
    ) == {"person": ["This person does not live in the household."]}
    orgs.register_volunteer(actor=actor, person=cast.a.resident_person, house=cast.a.house)
    assert refused(
        orgs.register_volunteer, actor=actor, person=cast.a.resident_person, house=cast.a.house
    ) == {"person": ["This person is a registered volunteer already."]}
    assert Volunteer.objects.count() == 1


def test_add_member_field_errors(cast):
    actor = cast.users[Role.COMMUNITY]
    org = orgs.create_org(actor=actor, community=cast.a.community, name="甲队")
    volunteer = h.volunteer(cast)
    outsider = h.volunteer(cast, "b")
    assert refused(orgs.add_member, actor=actor, org=org, volunteer=outsider, role="boss") == {
        "volunteer": ["This volunteer lives in another community."],
        "role": ["Choose a role."],
    }
    orgs.add_member(actor=actor, org=org, volunteer=volunteer)
    assert refused(orgs.add_member, actor=actor, org=org, volunteer=volunteer) == {
        "volunteer": ["This volunteer is a member already."]
    }
    assert Membership.objects.count() == 1


def test_create_post_field_errors(cast):
    actor = cast.users[Role.COMMUNITY]
    org_b = orgs.create_org(
        actor=h.community_user(cast, "b"), community=cast.b.community, name="乙队"
    )
    assert refused(
        orgs.create_post,
        actor=actor,
        community=cast.a.community,
        name="",
        category="dancing",
        org=org_b,
        compound=cast.b.compound,
        description="述" * 301,
    ) == {
        "name": ["This field is required."],
        "description": ["At most 300 characters."],
        "category": ["Choose a category."],
        "compound": ["This compound is not in the community."],
        "org": ["This organisation is in another community."],
    }
    assert Post.objects.count() == 0


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"title": " "}, {"title": ["This field is required."]}),
        ({"title": "题" * 101}, {"title": ["At most 100 characters."]}),
        ({"place": "地" * 101}, {"place": ["At most 100 characters."]}),
        ({"category": "dancing"}, {"category": ["Choose a category."]}),
        ({"start": "09:00"}, {"start": ["Enter when it starts."]}),
        ({"end": None}, {"end": ["Enter when it ends."]}),
        (
            {"start": None, "end": None},
            {"start": ["Enter when it starts."], "end": ["Enter when it ends."]},
        ),
        ({"end": h.at(DAY, 9)}, {"end": ["It must end after it starts."]}),
        (
            {"end": h.at(DAY + datetime.timedelta(days=1), 9, 1)},
            {"end": ["An activity lasts at most 24 hours; make one per day."]},
        ),
        ({"capacity": 0}, {"capacity": ["Enter how many people, from 1 to 1000."]}),
        ({"capacity": 1001}, {"capacity": ["Enter how many people, from 1 to 1000."]}),
        ({"capacity": True}, {"capacity": ["Enter how many people, from 1 to 1000."]}),
        ({"capacity": "5"}, {"capacity": ["Enter how many people, from 1 to 1000."]}),
    ],
)
def test_create_activity_field_errors(cast, changes, errors):
    assert (
        refused(
            orgs.create_activity,
            actor=cast.users[Role.COMMUNITY],
            **activity_kwargs(cast, **changes),
        )
        == errors
    )
    assert Activity.objects.count() == 0


def test_an_activity_of_exactly_24_hours_and_1000_places_is_allowed(cast):
    activity = orgs.create_activity(
        actor=cast.users[Role.COMMUNITY],
        **activity_kwargs(cast, end=h.at(DAY + datetime.timedelta(days=1), 9), capacity=1000),
    )
    assert (activity.minutes, activity.capacity) == (1440, 1000)


def test_an_activity_refuses_another_communitys_org_and_post(cast):
    community_b = h.community_user(cast, "b")
    org_b = orgs.create_org(actor=community_b, community=cast.b.community, name="乙队")
    post_b = orgs.create_post(
        actor=community_b, community=cast.b.community, name="乙岗", category="patrol"
    )
    assert refused(
        orgs.create_activity,
        actor=cast.users[Role.COMMUNITY],
        **activity_kwargs(cast, org=org_b, post=post_b),
    ) == {
        "org": ["This organisation is in another community."],
        "post": ["This post is in another community."],
    }
    assert Activity.objects.count() == 0


def test_the_organiser_must_belong_to_the_activitys_place(cast):
    assert "organiser" in refused(
        orgs.create_activity,
        actor=cast.users[Role.COMMUNITY],
        **activity_kwargs(cast, organiser=cast.users["other_district"]),
    )
    assert Activity.objects.count() == 0
