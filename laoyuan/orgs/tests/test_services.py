"""The organisation services as the offices that may use them, as the outsider (a street office
of street B), as another district's office and with bad input: exact rows and audit events, or
nothing written at all."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.accounts.queries import audit_visibility
from laoyuan.core.models import AuditEvent
from laoyuan.factories import (
    BuildingFactory,
    Cast,
    CommunityFactory,
    CompanyFactory,
    StreetFactory,
)
from laoyuan.orgs import services
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.orgs.services import NewPerson
from laoyuan.people.models import Person

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def written() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            PropertyCompany,
            Committee,
            Post,
            PartyOrg,
            Cadre,
            AgencyBranch,
            Person,
            AuditEvent,
        )
    )


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-pk").first()


def committee_of(cast: Cast) -> Committee:
    return Committee.objects.get(compound=cast.a.compound)


def branch_of(cast: Cast) -> PartyOrg:
    return PartyOrg.objects.get(level=PartyLevel.COMPOUND_BRANCH, compound=cast.a.compound)


def refused(call, **kwargs) -> None:
    """The call is denied and writes nothing."""
    before = written()
    with pytest.raises(PermissionDenied):
        call(**kwargs)
    assert written() == before


def invalid(call, errors: dict[str, list[str]], **kwargs) -> None:
    """The call is refused with exactly these field errors and writes nothing."""
    before = written()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert caught.value.message_dict == errors
    assert written() == before


# --- Companies --------------------------------------------------------------------------------


def test_company_create_professional_by_district(cast: Cast) -> None:
    actor = cast.users[Role.DISTRICT]
    company = services.company_create(
        actor=actor, code=" P-NEW ", name=" 新物业 ", kind=CompanyKind.PROFESSIONAL, phone="0371-1"
    )
    company.refresh_from_db()
    assert (company.code, company.name, company.kind, company.street_id, company.district_id) == (
        "P-NEW",
        "新物业",
        "professional",
        None,
        cast.district.pk,
    )
    event = last_event()
    assert (event.action, event.actor_id, event.target_id) == (
        "company.created",
        actor.pk,
        company.pk,
    )
    assert (event.district_id, event.street_id) == (cast.district.pk, None)
    assert event.changes == {
        "code": "P-NEW",
        "name": "新物业",
        "kind": "professional",
        "street": None,
        "phone": "0371-1",
    }


def test_company_create_public_by_its_street(cast: Cast) -> None:
    company = services.company_create(
        actor=cast.users[Role.STREET],
        code="P-A2",
        name="甲第二公办物业",
        kind=CompanyKind.PUBLIC,
        street=cast.a.street,
    )
    assert (company.kind, company.street_id, company.district_id) == (
        "public",
        cast.a.street.pk,
        cast.district.pk,
    )
    event = last_event()
    assert (event.action, event.district_id, event.street_id) == (
        "company.created",
        cast.district.pk,
        cast.a.street.pk,
    )


@pytest.mark.parametrize(
    ("who", "kind", "street"),
    [
        (Role.STREET, CompanyKind.PROFESSIONAL, None),
        ("outsider", CompanyKind.PUBLIC, "a"),
        ("outsider", CompanyKind.PROFESSIONAL, None),
        ("other_district", CompanyKind.PUBLIC, "a"),
        (Role.COMMUNITY, CompanyKind.PUBLIC, "a"),
        (Role.GRID, CompanyKind.PUBLIC, "a"),
        (Role.COMPANY, CompanyKind.PUBLIC, "a"),
        (Role.RESIDENT, CompanyKind.PUBLIC, "a"),
    ],
)
def test_company_create_denied(cast: Cast, who, kind, street) -> None:
    refused(
        services.company_create,
        actor=cast.users[who],
        code="X1",
        name="x",
        kind=kind,
        street=cast.a.street if street else None,
    )


def test_company_create_other_district_cannot_register_in_ours(cast: Cast) -> None:
    refused(
        services.company_create,
        actor=cast.users["other_district"],
        code="X1",
        name="x",
        kind=CompanyKind.PROFESSIONAL,
        district=cast.district,
    )


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        (
            {"code": "p000", "kind": CompanyKind.PROFESSIONAL},
            {"code": ["Another record already has this code."]},
        ),
        (
            {"code": " ", "name": ""},
            {"code": ["This field is required."], "name": ["This field is required."]},
        ),
        (
            {"kind": CompanyKind.PUBLIC},
            {"street": ["A public company is owned by a street: choose it."]},
        ),
        (
            {"kind": CompanyKind.PROFESSIONAL, "street": "a"},
            {"street": ["Only a public company is owned by a street."]},
        ),
        (
            {"phone": "call us"},
            {"phone": ["Enter a phone number (digits, spaces, + - and brackets)."]},
        ),
        ({"kind": "royal"}, {"kind": ["Choose the kind of company."]}),
    ],
)
def test_company_create_bad_input(cast: Cast, arguments, errors) -> None:
    CompanyFactory(code="P000")
    kwargs = {"code": "NEW", "name": "新", "kind": CompanyKind.PROFESSIONAL, **arguments}
    if kwargs.get("street") == "a":
        kwargs["street"] = cast.a.street
    invalid(services.company_create, errors, actor=cast.users[Role.DISTRICT], **kwargs)


def test_company_update_by_owning_street_records_changes(cast: Cast) -> None:
    company = cast.a.company
    services.company_update(
        actor=cast.users[Role.STREET],
        company=company,
        code=company.code,
        name="甲红色物业",
        kind=CompanyKind.PUBLIC,
        street=cast.a.street,
        phone="0371-66668888",
    )
    company.refresh_from_db()
    assert (company.name, company.phone) == ("甲红色物业", "0371-66668888")
    event = last_event()
    assert (event.action, event.target_id, event.district_id, event.street_id) == (
        "company.updated",
        company.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes == {
        "before": {"name": "甲公办物业", "phone": ""},
        "after": {"name": "甲红色物业", "phone": "0371-66668888"},
    }


def test_company_update_new_owner_street_recorded_in_both_streets_trails(cast: Cast) -> None:
    company = CompanyFactory(
        kind=CompanyKind.PUBLIC, street=cast.a.street, district=cast.district, code="P-MOVE"
    )
    services.company_update(
        actor=cast.users[Role.DISTRICT],
        company=company,
        code=company.code,
        name=company.name,
        kind=CompanyKind.PUBLIC,
        street=cast.b.street,
    )
    events = AuditEvent.objects.filter(action="company.updated", target_id=company.pk)
    assert sorted(events.values_list("district_id", "street_id")) == sorted(
        [(cast.district.pk, cast.a.street.pk), (cast.district.pk, cast.b.street.pk)]
    )
    for who in (Role.STREET, "outsider", Role.DISTRICT):
        visible = audit_visibility(cast.users[who])
        assert visible is not None
        change = {
            "before": {"street": {"id": cast.a.street.pk, "str": str(cast.a.street)}},
            "after": {"street": {"id": cast.b.street.pk, "str": str(cast.b.street)}},
        }
        assert [event.changes for event in events.filter(visible)][:1] == [change], who
    assert not events.filter(audit_visibility(cast.users["other_district"])).exists()


def test_company_update_public_to_professional_recorded_for_the_old_street(cast: Cast) -> None:
    company = CompanyFactory(
        kind=CompanyKind.PUBLIC, street=cast.a.street, district=cast.district, code="P-FREE"
    )
    services.company_update(
        actor=cast.users[Role.DISTRICT],
        company=company,
        code=company.code,
        name=company.name,
        kind=CompanyKind.PROFESSIONAL,
    )
    events = AuditEvent.objects.filter(action="company.updated", target_id=company.pk)
    assert sorted(events.values_list("street_id", flat=True), key=str) == sorted(
        [None, cast.a.street.pk], key=str
    )
    assert set(events.values_list("district_id", flat=True)) == {cast.district.pk}
    visible = audit_visibility(cast.users[Role.STREET])
    assert visible is not None and events.filter(visible).count() == 1


def test_company_update_without_change_writes_no_event(cast: Cast) -> None:
    company = cast.a.company
    before = written()
    services.company_update(
        actor=cast.users[Role.DISTRICT],
        company=company,
        code=company.code,
        name=company.name,
        kind=company.kind,
        street=cast.a.street,
    )
    assert written() == before


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.COMMUNITY, Role.COMPANY])
def test_company_update_denied(cast: Cast, who) -> None:
    company = cast.a.company
    refused(
        services.company_update,
        actor=cast.users[who],
        company=company,
        code=company.code,
        name="改名",
        kind=CompanyKind.PUBLIC,
        street=cast.a.street,
    )
    company.refresh_from_db()
    assert company.name == "甲公办物业"


def test_company_update_street_may_not_make_it_professional(cast: Cast) -> None:
    company = cast.a.company
    refused(
        services.company_update,
        actor=cast.users[Role.STREET],
        company=company,
        code=company.code,
        name=company.name,
        kind=CompanyKind.PROFESSIONAL,
    )


def test_company_update_kind_and_street_stay_while_serving(cast: Cast) -> None:
    company = cast.a.company
    invalid(
        services.company_update,
        {"kind": ["The company serves compounds; change their management mode before its kind."]},
        actor=cast.users[Role.DISTRICT],
        company=company,
        code=company.code,
        name=company.name,
        kind=CompanyKind.PROFESSIONAL,
    )
    invalid(
        services.company_update,
        {
            "street": [
                "The company runs public compounds of its street; a new owner must be their street."
            ]
        },
        actor=cast.users[Role.DISTRICT],
        company=company,
        code=company.code,
        name=company.name,
        kind=CompanyKind.PUBLIC,
        street=cast.b.street,
    )


# --- Committees -------------------------------------------------------------------------------


def test_committee_create_by_community(cast: Cast) -> None:
    actor = cast.users[Role.COMMUNITY]
    committee = services.committee_create(
        actor=actor,
        compound=cast.a.other_compound,
        kind=CommitteeKind.OWNERS,
        name=" 甲二号院业委会 ",
        term_start=datetime.date(2025, 1, 1),
        term_end=datetime.date(2030, 1, 1),
    )
    committee.refresh_from_db()
    assert (
        committee.compound_id,
        committee.street_id,
        committee.kind,
        committee.name,
        committee.term_start,
        committee.term_end,
    ) == (
        cast.a.other_compound.pk,
        cast.a.street.pk,
        "owners",
        "甲二号院业委会",
        datetime.date(2025, 1, 1),
        datetime.date(2030, 1, 1),
    )
    event = last_event()
    assert (event.action, event.actor_id, event.district_id, event.street_id) == (
        "committee.created",
        actor.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes["compound"] == {"id": cast.a.other_compound.pk, "str": "甲二号院"}
    assert event.changes["term_end"] == "2030-01-01"


@pytest.mark.parametrize(
    "who", ["outsider", "other_district", Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.COMPANY]
)
def test_committee_create_denied(cast: Cast, who) -> None:
    refused(
        services.committee_create,
        actor=cast.users[who],
        compound=cast.a.other_compound,
        kind=CommitteeKind.OWNERS,
        name="x",
        term_start=datetime.date(2025, 1, 1),
        term_end=datetime.date(2030, 1, 1),
    )


def test_committee_create_bad_input(cast: Cast) -> None:
    invalid(
        services.committee_create,
        {
            "kind": ["Choose the kind of committee."],
            "name": ["This field is required."],
            "term_end": ["The term must end after it starts."],
        },
        actor=cast.users[Role.STREET],
        compound=cast.a.other_compound,
        kind="club",
        name="  ",
        term_start=datetime.date(2025, 1, 1),
        term_end=datetime.date(2025, 1, 1),
    )


def test_committee_update_records_changes(cast: Cast) -> None:
    committee = committee_of(cast)
    services.committee_update(
        actor=cast.users[Role.STREET],
        committee=committee,
        kind=committee.kind,
        name=committee.name,
        term_start=committee.term_start,
        term_end=datetime.date(2027, 6, 30),
    )
    committee.refresh_from_db()
    assert committee.term_end == datetime.date(2027, 6, 30)
    event = last_event()
    assert (event.action, event.district_id, event.street_id) == (
        "committee.updated",
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes == {
        "before": {"term_end": "2036-12-31"},
        "after": {"term_end": "2027-06-30"},
    }


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.COMMITTEE])
def test_committee_update_denied(cast: Cast, who) -> None:
    committee = committee_of(cast)
    refused(
        services.committee_update,
        actor=cast.users[who],
        committee=committee,
        kind=committee.kind,
        name="改名",
        term_start=committee.term_start,
        term_end=committee.term_end,
    )


# --- Posts ------------------------------------------------------------------------------------


def test_committee_member_add_new_person(cast: Cast) -> None:
    actor = cast.users[Role.COMMUNITY]
    committee = committee_of(cast)
    post = services.committee_member_add(
        actor=actor,
        committee=committee,
        person=NewPerson(name=" 张三 ", phone="138 0000 9999"),
        title=" 主任 ",
        term_start=datetime.date(2023, 1, 1),
    )
    post.refresh_from_db()
    person = post.person
    assert (person.name, person.phone, person.street_id) == (
        "张三",
        "13800009999",
        cast.a.street.pk,
    )
    assert (post.title, post.committee_id, post.street_id, post.term_start, post.term_end) == (
        "主任",
        committee.pk,
        cast.a.street.pk,
        datetime.date(2023, 1, 1),
        None,
    )
    event = last_event()
    assert (event.action, event.target_id, event.district_id, event.street_id) == (
        "post.added",
        post.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes == {
        "person": {"id": person.pk, "str": "张三"},
        "title": "主任",
        "committee": {"id": committee.pk, "str": "甲物管会"},
        "term_start": "2023-01-01",
        "term_end": None,
    }


def test_post_add_resident_cross_appointed_to_branch(cast: Cast) -> None:
    """A resident of the compound on the committee and in the party branch (交叉任职)."""
    actor = cast.users[Role.STREET]
    resident = cast.a.resident_person
    services.committee_member_add(
        actor=actor,
        committee=committee_of(cast),
        person=resident,
        title="委员",
        term_start=datetime.date(2023, 1, 1),
    )
    services.post_add(
        actor=actor,
        party_org=branch_of(cast),
        person=resident,
        title="书记",
        term_start=datetime.date(2023, 1, 1),
        term_end=datetime.date(2028, 1, 1),
    )
    assert sorted(Post.objects.filter(person=resident).values_list("title", flat=True)) == [
        "书记",
        "委员",
    ]


def test_post_add_new_person_matching_one_on_record_reuses_them(cast: Cast) -> None:
    resident = cast.a.resident_person
    people = Person.objects.count()
    post = services.post_add(
        actor=cast.users[Role.STREET],
        party_org=branch_of(cast),
        person=NewPerson(name=resident.name, phone=resident.phone),
        title="书记",
        term_start=datetime.date(2023, 1, 1),
    )
    assert post.person_id == resident.pk
    assert Person.objects.count() == people


def test_post_add_company_staff(cast: Cast) -> None:
    professional = CompanyFactory(kind=CompanyKind.PROFESSIONAL, district=cast.district)
    actor = cast.users[Role.DISTRICT]
    invalid(
        services.post_add,
        {"street": ["Choose the street where this post works."]},
        actor=actor,
        company=professional,
        person=NewPerson(name="经理"),
        title="项目经理",
        term_start=datetime.date(2024, 1, 1),
    )
    post = services.post_add(
        actor=actor,
        company=professional,
        street=cast.b.street,
        person=NewPerson(name="经理"),
        title="项目经理",
        term_start=datetime.date(2024, 1, 1),
    )
    assert (post.company_id, post.street_id) == (professional.pk, cast.b.street.pk)
    event = last_event()
    assert (event.district_id, event.street_id) == (cast.district.pk, cast.b.street.pk)
    # The street office runs its own public company's staff, not a professional company's.
    post = services.post_add(
        actor=cast.users[Role.STREET],
        company=cast.a.company,
        person=NewPerson(name="总经理"),
        title="总经理",
        term_start=datetime.date(2024, 1, 1),
    )
    assert post.street_id == cast.a.street.pk
    refused(
        services.post_add,
        actor=cast.users[Role.STREET],
        company=professional,
        street=cast.a.street,
        person=NewPerson(name="x"),
        title="x",
        term_start=datetime.date(2024, 1, 1),
    )


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.GRID, Role.COMMITTEE])
def test_committee_member_add_denied(cast: Cast, who) -> None:
    refused(
        services.committee_member_add,
        actor=cast.users[who],
        committee=committee_of(cast),
        person=NewPerson(name="李四"),
        title="委员",
        term_start=datetime.date(2024, 1, 1),
    )


def test_post_add_person_out_of_reach_is_denied(cast: Cast) -> None:
    """Street A's office may not appoint street B's resident by choosing them."""
    refused(
        services.committee_member_add,
        actor=cast.users[Role.STREET],
        committee=committee_of(cast),
        person=cast.b.resident_person,
        title="委员",
        term_start=datetime.date(2024, 1, 1),
    )


def test_post_add_bad_input(cast: Cast) -> None:
    invalid(
        services.committee_member_add,
        {
            "name": ["This field is required."],
            "phone": ["Enter an 11-digit mobile number."],
            "title": ["This field is required."],
            "term_end": ["The term cannot end before it starts."],
        },
        actor=cast.users[Role.STREET],
        committee=committee_of(cast),
        person=NewPerson(name=" ", phone="12345"),
        title="",
        term_start=datetime.date(2024, 1, 1),
        term_end=datetime.date(2023, 1, 1),
    )


def test_post_add_same_post_twice_is_refused(cast: Cast) -> None:
    kwargs = {
        "actor": cast.users[Role.STREET],
        "committee": committee_of(cast),
        "person": cast.a.resident_person,
        "title": "委员",
        "term_start": datetime.date(2024, 1, 1),
    }
    services.committee_member_add(**kwargs)
    invalid(
        services.committee_member_add, {"person": ["甲居民 already holds this post."]}, **kwargs
    )


def member(cast: Cast, start: datetime.date = datetime.date(2023, 1, 1)) -> Post:
    return services.committee_member_add(
        actor=cast.users[Role.STREET],
        committee=committee_of(cast),
        person=cast.a.resident_person,
        title="委员",
        term_start=start,
    )


def test_post_end_sets_term_end_and_keeps_the_post(cast: Cast) -> None:
    post = member(cast)
    actor = cast.users[Role.COMMUNITY]
    services.post_end(actor=actor, post=post, ended_on=TODAY - DAY)
    post.refresh_from_db()
    assert post.term_end == TODAY - DAY
    event = last_event()
    assert (event.action, event.actor_id, event.target_id) == ("post.ended", actor.pk, post.pk)
    assert (event.district_id, event.street_id) == (cast.district.pk, cast.a.street.pk)
    assert event.changes == {
        "before": {"term_end": None},
        "after": {"term_end": (TODAY - DAY).isoformat()},
    }
    invalid(
        services.post_end,
        {"ended_on": [f"This post already ended on {(TODAY - DAY).isoformat()}."]},
        actor=actor,
        post=post,
        ended_on=TODAY,
    )


def test_post_end_bad_dates(cast: Cast) -> None:
    post = member(cast)
    actor = cast.users[Role.STREET]
    invalid(
        services.post_end,
        {"ended_on": ["The post cannot end before it started (2023-01-01)."]},
        actor=actor,
        post=post,
        ended_on=datetime.date(2022, 12, 31),
    )
    invalid(
        services.post_end,
        {"ended_on": ["Record the end once it has happened; the date is in the future."]},
        actor=actor,
        post=post,
        ended_on=TODAY + DAY,
    )


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.GRID, Role.BRANCH])
def test_post_end_denied(cast: Cast, who) -> None:
    post = member(cast)
    refused(services.post_end, actor=cast.users[who], post=post, ended_on=TODAY)
    post.refresh_from_db()
    assert post.term_end is None


# --- The party structure ----------------------------------------------------------------------


def test_party_org_create_building_group_and_central_household(cast: Cast) -> None:
    actor = cast.users[Role.COMMUNITY]
    group = services.party_org_create(
        actor=actor,
        level=PartyLevel.BUILDING_GROUP,
        name="甲一号院1号楼党小组",
        parent=branch_of(cast),
        building=cast.a.building,
    )
    assert (
        group.level,
        group.parent_id,
        group.street_id,
        group.community_id,
        group.compound_id,
        group.building_id,
        group.house_id,
    ) == (
        4,
        branch_of(cast).pk,
        cast.a.street.pk,
        cast.a.community.pk,
        cast.a.compound.pk,
        cast.a.building.pk,
        None,
    )
    event = last_event()
    assert (event.action, event.target_id, event.district_id, event.street_id) == (
        "party_org.created",
        group.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    household = services.party_org_create(
        actor=actor,
        level=PartyLevel.CENTRAL_HOUSEHOLD,
        name="101党群中心户",
        parent=group,
        house=cast.a.house,
    )
    assert (household.parent_id, household.building_id, household.house_id) == (
        group.pk,
        cast.a.building.pk,
        cast.a.house.pk,
    )


def test_party_org_create_street_committee_and_community_committee(cast: Cast) -> None:
    street = StreetFactory(district=cast.district)
    actor = cast.users[Role.DISTRICT]
    top = services.party_org_create(
        actor=actor, level=PartyLevel.STREET_COMMITTEE, name="新街道党工委", street=street
    )
    assert (top.parent_id, top.street_id, top.community_id) == (None, street.pk, None)
    assert (last_event().district_id, last_event().street_id) == (cast.district.pk, street.pk)
    community = CommunityFactory(street=street)
    mid = services.party_org_create(
        actor=actor,
        level=PartyLevel.COMMUNITY_COMMITTEE,
        name="新社区党委",
        parent=top,
        community=community,
    )
    assert (mid.parent_id, mid.street_id, mid.community_id) == (top.pk, street.pk, community.pk)


def test_party_org_create_bad_structure(cast: Cast) -> None:
    actor = cast.users[Role.STREET]
    branch = branch_of(cast)
    top = PartyOrg.objects.get(level=PartyLevel.STREET_COMMITTEE, street=cast.a.street)
    other_building = BuildingFactory(compound=cast.a.other_compound)
    invalid(
        services.party_org_create,
        {"parent": ["Choose a parent body one level up."], "name": ["This field is required."]},
        actor=actor,
        level=PartyLevel.BUILDING_GROUP,
        name="",
        parent=top,
        building=cast.a.building,
    )
    invalid(
        services.party_org_create,
        {"building": ["Choose a place within the parent body's place."]},
        actor=actor,
        level=PartyLevel.BUILDING_GROUP,
        name="x",
        parent=branch,
        building=other_building,
    )
    invalid(
        services.party_org_create,
        {"compound": ["This place already has a body of this level."]},
        actor=actor,
        level=PartyLevel.COMPOUND_BRANCH,
        name="x",
        parent=branch.parent,
        compound=cast.a.compound,
    )
    invalid(
        services.party_org_create,
        {"street": ["This place already has a body of this level."]},
        actor=actor,
        level=PartyLevel.STREET_COMMITTEE,
        name="x",
        street=cast.a.street,
    )
    invalid(
        services.party_org_create,
        {"level": ["Choose a level from 1 to 5."]},
        actor=actor,
        level=6,
        name="x",
    )


@pytest.mark.parametrize(
    "who", ["outsider", "other_district", Role.GRID, Role.BRANCH, Role.COMMITTEE]
)
def test_party_org_create_denied(cast: Cast, who) -> None:
    refused(
        services.party_org_create,
        actor=cast.users[who],
        level=PartyLevel.BUILDING_GROUP,
        name="x",
        parent=branch_of(cast),
        building=cast.a.building,
    )


def test_party_org_create_community_office_not_for_the_street(cast: Cast) -> None:
    refused(
        services.party_org_create,
        actor=cast.users[Role.COMMUNITY],
        level=PartyLevel.STREET_COMMITTEE,
        name="x",
        street=StreetFactory(district=cast.district),
    )


# --- Agency branches and cadres ---------------------------------------------------------------


def test_agency_branch_create_by_district(cast: Cast) -> None:
    branch = services.agency_branch_create(
        actor=cast.users[Role.DISTRICT], code="JG9", name="区财政局机关支部", agency="区财政局"
    )
    assert (branch.district_id, branch.code, branch.agency) == (cast.district.pk, "JG9", "区财政局")
    event = last_event()
    assert (event.action, event.district_id, event.street_id) == (
        "agency_branch.created",
        cast.district.pk,
        None,
    )
    invalid(
        services.agency_branch_create,
        {"code": ["Another record already has this code."], "agency": ["This field is required."]},
        actor=cast.users[Role.DISTRICT],
        code="jg9",
        name="x",
        agency="",
    )


@pytest.mark.parametrize("who", [Role.STREET, Role.COMMUNITY, "outsider"])
def test_agency_branch_create_denied(cast: Cast, who) -> None:
    refused(services.agency_branch_create, actor=cast.users[who], code="JG9", name="x", agency="y")


def test_agency_branch_create_other_district_not_in_ours(cast: Cast) -> None:
    refused(
        services.agency_branch_create,
        actor=cast.users["other_district"],
        code="JG9",
        name="x",
        agency="y",
        district=cast.district,
    )


def test_cadre_assign_by_street(cast: Cast) -> None:
    actor = cast.users[Role.STREET]
    branch = AgencyBranch.objects.get(code="AB-甲")
    cadre = services.cadre_assign(
        actor=actor,
        branch=branch,
        grid=cast.a.grid,
        person=NewPerson(name="王干部", phone="13700001111"),
        since=datetime.date(2024, 3, 1),
    )
    cadre.refresh_from_db()
    assert (cadre.branch_id, cadre.grid_id, cadre.street_id, cadre.since) == (
        branch.pk,
        cast.a.grid.pk,
        cast.a.street.pk,
        datetime.date(2024, 3, 1),
    )
    assert (cadre.person.name, cadre.person.phone, cadre.person.street_id) == (
        "王干部",
        "13700001111",
        cast.a.street.pk,
    )
    event = last_event()
    assert (event.action, event.target_id, event.district_id, event.street_id) == (
        "cadre.assigned",
        cadre.pk,
        cast.district.pk,
        cast.a.street.pk,
    )


def test_cadre_assign_bad_input(cast: Cast) -> None:
    invalid(
        services.cadre_assign,
        {
            "branch": ["Choose an agency branch of the grid's district."],
            "since": ["Record the cadre once they have started; the date is in the future."],
        },
        actor=cast.users[Role.STREET],
        branch=AgencyBranch.objects.get(code="AB-丙"),
        grid=cast.a.grid,
        person=NewPerson(name="王干部"),
        since=TODAY + DAY,
    )
    existing = Cadre.objects.get(grid=cast.a.grid)
    invalid(
        services.cadre_assign,
        {"person": ["甲干部 is already a cadre in this grid."]},
        actor=cast.users[Role.STREET],
        branch=existing.branch,
        grid=cast.a.grid,
        person=existing.person,
        since=datetime.date(2024, 1, 1),
    )


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.COMMUNITY, Role.GRID])
def test_cadre_assign_denied(cast: Cast, who) -> None:
    refused(
        services.cadre_assign,
        actor=cast.users[who],
        branch=AgencyBranch.objects.get(code="AB-甲"),
        grid=cast.a.grid,
        person=NewPerson(name="王干部"),
        since=datetime.date(2024, 1, 1),
    )


def test_cadre_end_removes_the_cadre_and_audits_the_record(cast: Cast) -> None:
    cadre = Cadre.objects.select_related("person", "branch").get(grid=cast.a.grid)
    person = cadre.person
    services.cadre_end(actor=cast.users[Role.DISTRICT], cadre=cadre, ended_on=TODAY)
    assert not Cadre.objects.filter(pk=cadre.pk).exists()
    assert Person.objects.filter(pk=person.pk).exists()
    event = last_event()
    assert (event.action, event.target_id, event.district_id, event.street_id) == (
        "cadre.ended",
        cadre.pk,
        cast.district.pk,
        cast.a.street.pk,
    )
    assert event.changes == {
        "person": {"id": person.pk, "str": "甲干部"},
        "branch": {"id": cadre.branch_id, "str": "甲机关支部"},
        "grid": {"id": cast.a.grid.pk, "str": "甲网格"},
        "since": "2022-01-01",
        "ended_on": TODAY.isoformat(),
    }


def test_cadre_end_bad_date(cast: Cast) -> None:
    cadre = Cadre.objects.get(grid=cast.a.grid)
    invalid(
        services.cadre_end,
        {"ended_on": ["The cadre cannot leave before they started (2022-01-01)."]},
        actor=cast.users[Role.STREET],
        cadre=cadre,
        ended_on=datetime.date(2021, 1, 1),
    )


@pytest.mark.parametrize("who", ["outsider", "other_district", Role.COMMUNITY, Role.GRID])
def test_cadre_end_denied(cast: Cast, who) -> None:
    cadre = Cadre.objects.get(grid=cast.a.grid)
    refused(services.cadre_end, actor=cast.users[who], cadre=cadre, ended_on=TODAY)


def test_services_deny_anonymous_and_nobody(cast: Cast) -> None:
    refused(
        services.committee_create,
        actor=AnonymousUser(),
        compound=cast.a.compound,
        kind=CommitteeKind.OWNERS,
        name="x",
        term_start=datetime.date(2025, 1, 1),
        term_end=datetime.date(2026, 1, 1),
    )
