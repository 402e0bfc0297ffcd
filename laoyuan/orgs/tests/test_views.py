"""The organisation pages as each role of the cast, as the outsider, as another district's office
and anonymously; the forms end to end; exports; and the query counts of the lists."""

import datetime
import re
from io import BytesIO

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import (
    BuildingFactory,
    Cast,
    CommunityFactory,
    CompanyFactory,
    CompoundFactory,
    GridFactory,
    HouseFactory,
    PersonFactory,
    StreetFactory,
    anonymous,
    as_user,
    user_with,
)
from laoyuan.orgs.enums import CommitteeKind, CompanyKind, PartyLevel
from laoyuan.orgs.models import AgencyBranch, Cadre, Committee, PartyOrg, Post, PropertyCompany
from laoyuan.people.models import Person
from laoyuan.places.services import refresh_compound_totals

TODAY = timezone.localdate()
READERS = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
]
LISTS = ["orgs:company_list", "orgs:committee_list", "orgs:party", "orgs:cadres"]
EXPORTS = ["orgs:company_export", "orgs:committee_export"]


def committee_of(cast: Cast) -> Committee:
    return Committee.objects.get(compound=cast.a.compound)


def branch_of(cast: Cast) -> PartyOrg:
    return PartyOrg.objects.get(level=PartyLevel.COMPOUND_BRANCH, compound=cast.a.compound)


def add_member(cast: Cast, person: Person | None = None, title: str = "委员") -> Post:
    return Post.objects.create(
        person=person or cast.a.resident_person,
        title=title,
        committee=committee_of(cast),
        street=cast.a.street,
        term_start=datetime.date(2023, 1, 1),
    )


def a_urls(cast: Cast) -> list[str]:
    """Every page that shows or changes something of street A."""
    post = add_member(cast)
    cadre = Cadre.objects.get(grid=cast.a.grid)
    return [
        reverse("orgs:company_detail", args=[cast.a.company.pk]),
        reverse("orgs:company_edit", args=[cast.a.company.pk]),
        reverse("orgs:company_post_add", args=[cast.a.company.pk]),
        reverse("orgs:committee_detail", args=[committee_of(cast).pk]),
        reverse("orgs:committee_edit", args=[committee_of(cast).pk]),
        reverse("orgs:committee_member_add", args=[committee_of(cast).pk]),
        f"{reverse('orgs:committee_create')}?compound={cast.a.compound.pk}",
        reverse("orgs:post_end", args=[post.pk]),
        f"{reverse('orgs:party_create')}?parent={branch_of(cast).pk}",
        reverse("orgs:party_post_add", args=[branch_of(cast).pk]),
        f"{reverse('orgs:cadre_assign')}?street={cast.a.street.pk}",
        reverse("orgs:cadre_end", args=[cadre.pk]),
    ]


def rows(response, name: str) -> list[str]:
    return re.findall(rf'data-{name}="([^"]+)"', response.content.decode())


def written() -> list[int]:
    models = (PropertyCompany, Committee, Post, PartyOrg, Cadre, AgencyBranch, Person, AuditEvent)
    return [model.objects.count() for model in models]


def changes(url: str) -> bool:
    return any(part in url for part in ("/edit/", "/new/", "/end/"))


# --- Who may open what ------------------------------------------------------------------------


def test_pages_anonymous_redirect_to_login(cast: Cast) -> None:
    login = reverse("accounts:login")
    for url in [
        *(reverse(name) for name in LISTS + EXPORTS),
        reverse("orgs:company_create"),
        reverse("orgs:agency_branch_create"),
        *a_urls(cast),
    ]:
        response = anonymous().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url


def test_lists_open_for_readers_and_404_for_others(cast: Cast) -> None:
    for role in READERS:
        client = as_user(cast.users[role])
        for name in LISTS + EXPORTS:
            assert client.get(reverse(name)).status_code == 200, (role, name)
    for role in (Role.RESIDENT, Role.INSPECTOR):
        client = as_user(cast.users[role])
        for name in LISTS + EXPORTS:
            assert client.get(reverse(name)).status_code == 404, (role, name)


@pytest.mark.parametrize("who", ["outsider", "other_district"])
def test_street_a_pages_are_404_outside(cast: Cast, who) -> None:
    client = as_user(cast.users[who])
    urls = a_urls(cast)
    before = written()
    for url in urls:
        assert client.get(url).status_code == 404, url
        if changes(url):
            data = {"name": "x", "title": "x", "ended_on": "2024-01-01", "place": "1"}
            assert client.post(url, data).status_code == 404, url
    assert written() == before


def test_manage_pages_404_for_reading_roles(cast: Cast) -> None:
    urls = a_urls(cast)
    for role in (Role.GRID, Role.BRANCH, Role.COMPANY, Role.COMMITTEE):
        client = as_user(cast.users[role])
        for url in urls:
            if changes(url):
                assert client.get(url).status_code == 404, (role, url)
        for name in ("orgs:company_create", "orgs:agency_branch_create", "orgs:cadre_assign"):
            assert client.get(reverse(name)).status_code == 404, (role, name)


def test_lists_show_only_the_users_scope(cast: Cast) -> None:
    district = as_user(cast.users[Role.DISTRICT])
    outsider = as_user(cast.users["outsider"])
    other = as_user(cast.users["other_district"])
    companies = reverse("orgs:company_list")
    assert sorted(rows(district.get(companies), "company")) == sorted(
        [cast.a.company.code, cast.b.company.code]
    )
    assert rows(outsider.get(companies), "company") == [cast.b.company.code]
    assert rows(other.get(companies), "company") == [cast.c.company.code]
    committees = reverse("orgs:committee_list")
    assert rows(outsider.get(committees), "committee") == [
        str(Committee.objects.get(compound=cast.b.compound).pk)
    ]
    assert len(rows(district.get(committees), "committee")) == 2
    cadres = reverse("orgs:cadres")
    assert rows(outsider.get(cadres), "cadre") == [str(Cadre.objects.get(grid=cast.b.grid).pk)]
    assert rows(outsider.get(cadres), "branch") == ["AB-乙"]
    party = outsider.get(reverse("orgs:party"), {"street": cast.a.street.pk}).content.decode()
    assert "甲" not in party.split('<main id="main"', 1)[1]


def test_nav_link_shown_to_readers_only(cast: Cast) -> None:
    url = reverse("dashboard:home")
    link = f'href="{reverse("orgs:company_list")}">Organisations</a>'
    assert link in as_user(cast.users[Role.STREET]).get(url).content.decode()
    assert link in as_user(cast.users[Role.COMMITTEE]).get(url).content.decode()
    assert link not in as_user(cast.users[Role.RESIDENT]).get(url).content.decode()


# --- Companies --------------------------------------------------------------------------------


def test_company_list_counts_only_compounds_in_scope(cast: Cast) -> None:
    professional = CompanyFactory(kind=CompanyKind.PROFESSIONAL, code="P-SHARED", name="共享物业")
    for compound in (cast.a.other_compound, cast.b.other_compound):
        compound.company = professional
        compound.save(update_fields=["company"])
    html = as_user(cast.users[Role.STREET]).get(reverse("orgs:company_list")).content.decode()
    row = html.split('data-company="P-SHARED"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"data-compounds>1<", row)
    assert re.search(r"data-households>1<", row)
    html = as_user(cast.users[Role.DISTRICT]).get(reverse("orgs:company_list")).content.decode()
    row = html.split('data-company="P-SHARED"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r"data-compounds>2<", row)


def test_company_list_filters(cast: Cast) -> None:
    CompanyFactory(kind=CompanyKind.PROFESSIONAL, code="P-PRO", name="专业物业")
    client = as_user(cast.users[Role.DISTRICT])
    url = reverse("orgs:company_list")
    assert rows(client.get(url, {"kind": "professional"}), "company") == ["P-PRO"]
    assert rows(client.get(url, {"street": cast.b.street.pk}), "company") == [cast.b.company.code]
    assert rows(client.get(url, {"q": "专业"}), "company") == ["P-PRO"]


def test_company_detail_shows_compounds_and_masked_staff(cast: Cast) -> None:
    Post.objects.create(
        person=PersonFactory(name="周经理", phone="13912345678"),
        title="总经理",
        company=cast.a.company,
        street=cast.a.street,
        term_start=datetime.date(2022, 1, 1),
    )
    for role in (Role.DISTRICT, Role.STREET, Role.COMPANY):
        response = as_user(cast.users[role]).get(
            reverse("orgs:company_detail", args=[cast.a.company.pk])
        )
        html = response.content.decode()
        assert rows(response, "compound") == [cast.a.compound.code], role
        assert "周经理" in html and "139****5678" in html
        assert "13912345678" not in html
    html = (
        as_user(cast.users[Role.COMPANY])
        .get(reverse("orgs:company_detail", args=[cast.a.company.pk]))
        .content.decode()
    )
    assert reverse("orgs:company_edit", args=[cast.a.company.pk]) not in html


def test_company_detail_shows_only_staff_in_the_readers_scope(cast: Cast) -> None:
    shared = CompanyFactory(
        kind=CompanyKind.PROFESSIONAL, district=cast.district, code="P-WIDE", name="跨区物业"
    )
    for compound in (cast.a.other_compound, cast.b.other_compound, cast.c.other_compound):
        compound.company = shared
        compound.save(update_fields=["company"])
    manager = PersonFactory(name="甲项目经理")
    Post.objects.create(
        person=manager,
        title="项目经理",
        company=shared,
        street=cast.a.street,
        term_start=datetime.date(2023, 1, 1),
    )
    Post.objects.create(
        person=PersonFactory(name="乙项目经理"),
        title="项目经理",
        company=shared,
        street=cast.b.street,
        term_start=datetime.date(2023, 1, 1),
    )
    # The street A manager also sits on street A's committee: a cross-appointment only those
    # who see both posts are told of.
    add_member(cast, manager)
    url = reverse("orgs:company_detail", args=[shared.pk])
    response = as_user(cast.users["outsider"]).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "甲项目经理" not in html and "乙项目经理" in html
    assert "data-cross" not in html
    response = as_user(cast.users["other_district"]).get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert rows(response, "compound") == [cast.c.other_compound.code]
    assert "甲项目经理" not in html and "乙项目经理" not in html
    html = as_user(user_with(Role.COMPANY, shared)).get(url).content.decode()
    assert "甲项目经理" in html and "乙项目经理" in html
    html = as_user(cast.users[Role.STREET]).get(url).content.decode()
    assert "甲项目经理" in html and "乙项目经理" not in html
    assert "data-cross" in html


def test_company_create_and_edit_through_the_pages(cast: Cast) -> None:
    client = as_user(cast.users[Role.STREET])
    html = client.get(reverse("orgs:company_create")).content.decode()
    assert 'value="professional"' not in html
    response = client.post(
        reverse("orgs:company_create"),
        {"code": "P-A9", "name": "甲新公办物业", "kind": "public", "street": cast.a.street.pk},
    )
    company = PropertyCompany.objects.get(code="P-A9")
    assert response.status_code == 302
    assert response["Location"] == reverse("orgs:company_detail", args=[company.pk])
    assert (company.kind, company.street_id, company.district_id) == (
        "public",
        cast.a.street.pk,
        cast.district.pk,
    )
    response = client.post(
        reverse("orgs:company_edit", args=[company.pk]),
        {"code": "P-A9", "name": "甲红色物业", "kind": "public", "street": cast.a.street.pk},
    )
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.name == "甲红色物业"
    assert list(
        AuditEvent.objects.filter(target_id=company.pk, target_type="orgs.propertycompany")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["company.created", "company.updated"]


def test_company_create_errors_on_the_form_write_nothing(cast: Cast) -> None:
    client = as_user(cast.users[Role.DISTRICT])
    before = written()
    response = client.post(
        reverse("orgs:company_create"),
        {"code": cast.a.company.code.lower(), "name": "x", "kind": "public", "street": ""},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "code": ["Another record already has this code."],
        "street": ["A public company is owned by a street: choose it."],
    }
    assert "Nothing was saved." in response.content.decode()
    assert written() == before


def test_company_create_street_cannot_choose_another_street(cast: Cast) -> None:
    before = written()
    response = as_user(cast.users[Role.STREET]).post(
        reverse("orgs:company_create"),
        {"code": "P-X", "name": "x", "kind": "public", "street": cast.b.street.pk},
    )
    assert response.status_code == 200
    assert "street" in response.context["form"].errors
    assert written() == before


# --- Committees -------------------------------------------------------------------------------


def test_committee_list_highlights_terms_ending(cast: Cast) -> None:
    soon = Committee.objects.create(
        compound=cast.a.other_compound,
        street=cast.a.street,
        kind=CommitteeKind.OWNERS,
        name="将到期业委会",
        term_start=datetime.date(2020, 1, 1),
        term_end=TODAY + datetime.timedelta(days=30),
    )
    ended = Committee.objects.create(
        compound=cast.a.other_compound,
        street=cast.a.street,
        kind=CommitteeKind.SELF_MANAGEMENT,
        name="已到期自管会",
        term_start=datetime.date(2019, 1, 1),
        term_end=TODAY - datetime.timedelta(days=1),
    )
    committee_of(cast).term_end = TODAY + datetime.timedelta(days=400)
    committee_of(cast).save()
    Committee.objects.filter(pk=committee_of(cast).pk).update(
        term_end=TODAY + datetime.timedelta(days=400)
    )
    client = as_user(cast.users[Role.COMMUNITY])
    html = client.get(reverse("orgs:committee_list")).content.decode()
    assert re.search(rf'data-committee="{soon.pk}" class="table-warning"', html)
    assert re.search(rf'data-committee="{ended.pk}" class="table-danger"', html)
    assert f'data-committee="{committee_of(cast).pk}">' in html
    response = client.get(reverse("orgs:committee_list"), {"ending": "on"})
    assert sorted(rows(response, "committee")) == sorted([str(soon.pk), str(ended.pk)])
    response = client.get(reverse("orgs:committee_list"), {"kind": "self_management"})
    assert rows(response, "committee") == [str(ended.pk)]


def test_committee_detail_members_masked_with_cross_appointment(cast: Cast) -> None:
    person = cast.a.resident_person
    add_member(cast, person, "主任")
    Post.objects.create(
        person=person,
        title="书记",
        party_org=branch_of(cast),
        street=cast.a.street,
        term_start=datetime.date(2023, 1, 1),
    )
    for role in (Role.STREET, Role.COMMITTEE, Role.BRANCH):
        html = (
            as_user(cast.users[role])
            .get(reverse("orgs:committee_detail", args=[committee_of(cast).pk]))
            .content.decode()
        )
        assert "甲居民" in html and "138****1234" in html, role
        assert "13812341234" not in html
        assert "Cross-appointed (交叉任职)" in html


def test_committee_create_picks_a_compound_then_forms_it(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMMUNITY])
    url = reverse("orgs:committee_create")
    html = client.get(url, {"q": "二号院"}).content.decode()
    assert f"?compound={cast.a.other_compound.pk}" in html
    assert f"?compound={cast.b.other_compound.pk}" not in html
    response = client.post(
        f"{url}?compound={cast.a.other_compound.pk}",
        {
            "kind": "owners",
            "name": "二号院业委会",
            "term_start": "2025-01-01",
            "term_end": "2030-01-01",
        },
    )
    committee = Committee.objects.get(name="二号院业委会")
    assert response["Location"] == reverse("orgs:committee_detail", args=[committee.pk])
    assert committee.compound_id == cast.a.other_compound.pk


def test_committee_member_add_and_end_through_the_pages(cast: Cast) -> None:
    committee = committee_of(cast)
    client = as_user(cast.users[Role.COMMUNITY])
    url = reverse("orgs:committee_member_add", args=[committee.pk])
    html = client.get(url).content.decode()
    assert f'<option value="{cast.a.resident_person.pk}">甲居民 · 138****1234</option>' in html
    assert "乙居民" not in html
    before = written()
    response = client.post(url, {"title": "委员", "term_start": "2024-01-01"})
    assert response.context["form"].errors == {
        "name": ["Choose someone on record, or give the new person's name."]
    }
    response = client.post(
        url, {"name": "赵六", "phone": "12", "title": "委员", "term_start": "2024-01-01"}
    )
    assert response.context["form"].errors == {"phone": ["Enter an 11-digit mobile number."]}
    assert written() == before
    response = client.post(
        url,
        {"person": cast.a.resident_person.pk, "title": "委员", "term_start": "2024-01-01"},
    )
    assert response["Location"] == reverse("orgs:committee_detail", args=[committee.pk])
    post = Post.objects.get(committee=committee, person=cast.a.resident_person)
    response = client.post(
        reverse("orgs:post_end", args=[post.pk]), {"ended_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.term_end == TODAY


def test_committee_member_add_refuses_someone_out_of_reach(cast: Cast) -> None:
    before = written()
    response = as_user(cast.users[Role.STREET]).post(
        reverse("orgs:committee_member_add", args=[committee_of(cast).pk]),
        {"person": cast.b.resident_person.pk, "title": "委员", "term_start": "2024-01-01"},
    )
    assert response.status_code == 200
    assert "person" in response.context["form"].errors
    assert written() == before


def test_committee_export_has_exact_rows(cast: Cast) -> None:
    add_member(cast)
    response = as_user(cast.users[Role.STREET]).get(reverse("orgs:committee_export"))
    assert response["Content-Disposition"].startswith('attachment; filename="committees-')
    sheet = load_workbook(BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Compound code"
    assert values[1:] == [
        [
            cast.a.compound.code,
            "甲一号院",
            "甲社区",
            "甲街道",
            "Property management committee (物业管理委员会)",
            "甲物管会",
            datetime.datetime(2023, 1, 1),
            datetime.datetime(2036, 12, 31),
            1,
        ]
    ]
    response = as_user(cast.users["outsider"]).get(reverse("orgs:committee_export"))
    sheet = load_workbook(BytesIO(response.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        cast.b.compound.code
    ]


def test_company_export_has_exact_rows(cast: Cast) -> None:
    response = as_user(cast.users["outsider"]).get(reverse("orgs:company_export"))
    sheet = load_workbook(BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == [
        [
            cast.b.company.code,
            "乙公办物业",
            "Public, street-led (街道公办)",
            "乙街道",
            None,
            1,
            2,
            146.4,
        ]
    ]


# --- The party structure ----------------------------------------------------------------------


def test_party_tree_street_and_community_views(cast: Cast) -> None:
    group = PartyOrg.objects.create(
        level=PartyLevel.BUILDING_GROUP,
        parent=branch_of(cast),
        name="甲1号楼党小组",
        street=cast.a.street,
        community=cast.a.community,
        compound=cast.a.compound,
        building=cast.a.building,
    )
    person = cast.a.resident_person
    Post.objects.create(
        person=person,
        title="组长",
        party_org=group,
        street=cast.a.street,
        term_start=datetime.date(2023, 1, 1),
    )
    add_member(cast, person)
    client = as_user(cast.users[Role.DISTRICT])
    # A second community: the street's tree stops at the compound branches.
    CommunityFactory(street=cast.a.street)
    PartyOrg.objects.create(
        level=PartyLevel.COMMUNITY_COMMITTEE,
        parent=PartyOrg.objects.get(level=1, street=cast.a.street),
        name="甲二社区党委",
        street=cast.a.street,
        community=cast.a.community.__class__.objects.exclude(pk=cast.a.community.pk)
        .filter(street=cast.a.street)
        .get(),
    )
    response = client.get(reverse("orgs:party"), {"street": cast.a.street.pk})
    # Children in name order: 甲二社区党委 before 甲社区党委.
    assert rows(response, "level") == ["1", "2", "2", "3"]
    assert "1 building group or central household below" in response.content.decode()
    response = client.get(
        reverse("orgs:party"), {"street": cast.a.street.pk, "community": cast.a.community.pk}
    )
    html = response.content.decode()
    assert rows(response, "level") == ["1", "2", "3", "4"]
    assert "组长: 甲居民" in html
    assert "138****1234" in html and "13812341234" not in html
    assert "Cross-appointed (交叉任职)" in html


def test_party_tree_community_sees_its_community(cast: Cast) -> None:
    response = as_user(cast.users[Role.COMMUNITY]).get(reverse("orgs:party"))
    assert rows(response, "level") == ["2", "3"]
    assert f"?parent={branch_of(cast).pk}" in response.content.decode()
    response = as_user(cast.users[Role.BRANCH]).get(reverse("orgs:party"))
    assert rows(response, "level") == ["3"]
    assert "?parent=" not in response.content.decode()


def test_party_create_and_post_add_through_the_pages(cast: Cast) -> None:
    client = as_user(cast.users[Role.COMMUNITY])
    url = f"{reverse('orgs:party_create')}?parent={branch_of(cast).pk}"
    html = client.get(url).content.decode()
    assert f'<option value="{cast.a.building.pk}" selected>' in html
    response = client.post(url, {"place": cast.a.building.pk, "name": "甲1号楼党小组"})
    group = PartyOrg.objects.get(name="甲1号楼党小组")
    assert response.status_code == 302
    assert (group.level, group.parent_id, group.building_id) == (
        4,
        branch_of(cast).pk,
        cast.a.building.pk,
    )
    # The building now has its group: nothing left to set up below the branch.
    assert client.get(url).status_code == 404
    response = client.post(
        reverse("orgs:party_post_add", args=[group.pk]),
        {"name": "钱七", "phone": "13600001111", "title": "组长", "term_start": "2024-01-01"},
    )
    assert response.status_code == 302
    assert Post.objects.get(party_org=group).person.name == "钱七"


def test_party_create_community_office_sets_up_its_community_committee(cast: Cast) -> None:
    community = CommunityFactory(street=cast.a.street, name="甲新社区")
    client = as_user(user_with(Role.COMMUNITY, community))
    top = PartyOrg.objects.get(level=PartyLevel.STREET_COMMITTEE, street=cast.a.street)
    url = f"{reverse('orgs:party_create')}?parent={top.pk}"
    response = client.get(reverse("orgs:party"))
    assert rows(response, "setup-community") == [str(community.pk)]
    assert url in response.content.decode()
    # The cast's community office has its committee: no link; nor for a street office.
    for role in (Role.COMMUNITY, Role.STREET):
        response = as_user(cast.users[role]).get(reverse("orgs:party"))
        assert rows(response, "setup-community") == [], role
    html = client.get(url).content.decode()
    assert f'<option value="{community.pk}" selected>' in html
    assert f'<option value="{cast.a.community.pk}"' not in html
    response = client.post(url, {"place": community.pk, "name": "甲新社区党委"})
    assert response.status_code == 302
    org = PartyOrg.objects.get(name="甲新社区党委")
    assert (org.level, org.parent_id, org.street_id, org.community_id) == (
        PartyLevel.COMMUNITY_COMMITTEE,
        top.pk,
        cast.a.street.pk,
        community.pk,
    )
    assert rows(client.get(reverse("orgs:party")), "setup-community") == []
    assert client.get(url).status_code == 404


def test_party_create_community_office_not_under_another_streets_committee(cast: Cast) -> None:
    top = PartyOrg.objects.get(level=PartyLevel.STREET_COMMITTEE, street=cast.a.street)
    url = f"{reverse('orgs:party_create')}?parent={top.pk}"
    elsewhere = as_user(user_with(Role.COMMUNITY, CommunityFactory(street=cast.b.street)))
    before = written()
    for client in (elsewhere, as_user(cast.users["outsider"]), as_user(cast.users[Role.GRID])):
        assert client.get(url).status_code == 404
        assert client.post(url, {"place": cast.a.community.pk, "name": "x"}).status_code == 404
    assert written() == before


def test_party_create_street_committee_for_a_new_street(cast: Cast) -> None:
    street = StreetFactory(district=cast.district, name="新街道")
    client = as_user(cast.users[Role.DISTRICT])
    html = client.get(reverse("orgs:party")).content.decode()
    assert f"?street={street.pk}" in html
    response = client.post(
        f"{reverse('orgs:party_create')}?street={street.pk}",
        {"place": street.pk, "name": "新街道党工委"},
    )
    assert response.status_code == 302
    assert PartyOrg.objects.get(street=street).level == PartyLevel.STREET_COMMITTEE
    assert (
        as_user(cast.users[Role.STREET])
        .get(f"{reverse('orgs:party_create')}?street={street.pk}")
        .status_code
        == 404
    )


# --- Cadres -----------------------------------------------------------------------------------


def test_cadres_page_shows_cadres_masked_and_branches(cast: Cast) -> None:
    cadre = Cadre.objects.select_related("person").get(grid=cast.a.grid)
    response = as_user(cast.users[Role.GRID]).get(reverse("orgs:cadres"))
    html = response.content.decode()
    assert rows(response, "cadre") == [str(cadre.pk)]
    assert cadre.person.masked_phone in html and cadre.person.phone not in html
    assert rows(response, "branch") == ["AB-甲"]
    assert reverse("orgs:cadre_end", args=[cadre.pk]) not in html
    response = as_user(cast.users[Role.DISTRICT]).get(reverse("orgs:cadres"))
    assert rows(response, "branch") == ["AB-乙", "AB-甲"]


def test_cadre_assign_and_end_through_the_pages(cast: Cast) -> None:
    client = as_user(cast.users[Role.STREET])
    url = reverse("orgs:cadre_assign")
    branch = AgencyBranch.objects.get(code="AB-甲")
    html = client.get(url).content.decode()
    assert "AB-丙" not in html and "丙机关支部" not in html
    response = client.post(
        url,
        {"branch": branch.pk, "grid": cast.a.grid.pk, "name": "孙干部", "since": "2024-05-01"},
    )
    assert response.status_code == 302
    cadre = Cadre.objects.get(person__name="孙干部")
    assert (cadre.grid_id, cadre.branch_id) == (cast.a.grid.pk, branch.pk)
    response = client.post(
        reverse("orgs:cadre_end", args=[cadre.pk]), {"ended_on": TODAY.isoformat()}
    )
    assert response.status_code == 302
    assert not Cadre.objects.filter(pk=cadre.pk).exists()


def test_cadre_assign_district_chooses_a_street_first(cast: Cast) -> None:
    response = as_user(cast.users[Role.DISTRICT]).get(reverse("orgs:cadre_assign"))
    html = response.content.decode()
    assert f"?street={cast.a.street.pk}" in html and f"?street={cast.b.street.pk}" in html
    assert f"?street={cast.c.street.pk}" not in html


def test_agency_branch_create_by_district_only(cast: Cast) -> None:
    url = reverse("orgs:agency_branch_create")
    assert as_user(cast.users[Role.STREET]).post(url, {"code": "J1"}).status_code == 404
    response = as_user(cast.users[Role.DISTRICT]).post(
        url, {"code": "JG77", "name": "区民政局机关支部", "agency": "区民政局"}
    )
    assert response.status_code == 302
    assert AgencyBranch.objects.get(code="JG77").district_id == cast.district.pk


# --- Query counts -----------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_company_list_queries_do_not_grow(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))
    url = reverse("orgs:company_list")
    grid = GridFactory(community__street=street)

    def company() -> None:
        owned = CompanyFactory(kind=CompanyKind.PUBLIC, street=street)
        CompoundFactory(grid=grid, company=owned)

    company()
    one = count_queries(client, url)
    company()
    company()
    three = count_queries(client, url)
    assert len(rows(client.get(url), "company")) == 3
    assert one == three


def committee_with_members(street, n: int) -> Committee:
    compound = CompoundFactory(grid=GridFactory(community__street=street))
    committee = Committee.objects.create(
        compound=compound,
        street=street,
        kind=CommitteeKind.OWNERS,
        name=f"委员会{compound.pk}",
        term_start=datetime.date(2023, 1, 1),
        term_end=datetime.date(2030, 1, 1),
    )
    for _ in range(n):
        Post.objects.create(
            person=PersonFactory(),
            title="委员",
            committee=committee,
            street=street,
            term_start=datetime.date(2023, 1, 1),
        )
    return committee


def test_committee_list_and_detail_queries_do_not_grow(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))
    url = reverse("orgs:committee_list")
    small = committee_with_members(street, 1)
    one = count_queries(client, url)
    large = committee_with_members(street, 3)
    committee_with_members(street, 0)
    three = count_queries(client, url)
    assert len(rows(client.get(url), "committee")) == 3
    assert one == three
    assert count_queries(
        client, reverse("orgs:committee_detail", args=[small.pk])
    ) == count_queries(client, reverse("orgs:committee_detail", args=[large.pk]))


def test_company_detail_queries_do_not_grow(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))

    def company(n: int) -> PropertyCompany:
        owned = CompanyFactory(kind=CompanyKind.PUBLIC, street=street)
        for _ in range(n):
            compound = CompoundFactory(grid=GridFactory(community__street=street), company=owned)
            HouseFactory(building=BuildingFactory(compound=compound))
            Post.objects.create(
                person=PersonFactory(),
                title="经理",
                company=owned,
                street=street,
                term_start=datetime.date(2023, 1, 1),
            )
        refresh_compound_totals()
        return owned

    small, large = company(1), company(3)
    assert count_queries(client, reverse("orgs:company_detail", args=[small.pk])) == count_queries(
        client, reverse("orgs:company_detail", args=[large.pk])
    )


def test_party_and_cadre_pages_queries_do_not_grow(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))
    top = PartyOrg.objects.create(level=1, name="党工委", street=street)
    grid = GridFactory(community__street=street)
    community = grid.community
    mid = PartyOrg.objects.create(
        level=2, parent=top, name="社区党委", street=street, community=community
    )
    branch = AgencyBranch.objects.create(
        district=street.district, code="J-1", name="支部", agency="局"
    )
    party_url = f"{reverse('orgs:party')}?street={street.pk}&community={community.pk}"

    def compound() -> None:
        compound = CompoundFactory(grid=grid)
        org = PartyOrg.objects.create(
            level=3,
            parent=mid,
            name=f"{compound.name}党支部",
            street=street,
            community=community,
            compound=compound,
        )
        Post.objects.create(
            person=PersonFactory(),
            title="书记",
            party_org=org,
            street=street,
            term_start=datetime.date(2023, 1, 1),
        )
        Cadre.objects.create(
            person=PersonFactory(),
            branch=branch,
            grid=grid,
            street=street,
            since=datetime.date(2023, 1, 1),
        )

    compound()
    party_one = count_queries(client, party_url)
    cadres_one = count_queries(client, reverse("orgs:cadres"))
    compound()
    compound()
    assert rows(client.get(party_url), "level") == ["1", "2", "3", "3", "3"]
    assert len(rows(client.get(reverse("orgs:cadres")), "cadre")) == 3
    assert count_queries(client, party_url) == party_one
    assert count_queries(client, reverse("orgs:cadres")) == cadres_one
