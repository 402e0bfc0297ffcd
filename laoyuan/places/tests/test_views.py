"""The place registry pages as every role of the cast, as the outsider and anonymously."""

import datetime
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import (
    BuildingFactory,
    Cast,
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
from laoyuan.orgs.enums import CommitteeKind, CompanyKind
from laoyuan.orgs.models import Committee, Post
from laoyuan.people.models import Residency
from laoyuan.places.enums import ManagementMode
from laoyuan.places.models import Compound, ManagementPeriod, Takeover
from laoyuan.places.services import change_management_mode, refresh_compound_totals

STAFF = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.INSPECTOR,
]
EVERY_ROLE = [*STAFF, Role.RESIDENT]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def listed_codes(response) -> list[str]:
    return re.findall(r'data-compound="([^"]+)"', response.content.decode())


def codes(*compounds: Compound) -> list[str]:
    return sorted(c.code for c in compounds)


def a_urls(cast: Cast) -> list[str]:
    """Every page that shows something of street A."""
    takeover = Takeover.objects.get(compound=cast.a.compound)
    return [
        reverse("places:compound_detail", args=[cast.a.compound.pk]),
        reverse("places:compound_mode", args=[cast.a.compound.pk]),
        reverse("places:house_detail", args=[cast.a.house.pk]),
        reverse("places:street_detail", args=[cast.a.street.pk]),
        reverse("places:community_detail", args=[cast.a.community.pk]),
        reverse("places:takeover_file", args=[takeover.pk, "entrustment"]),
    ]


# --- Anonymous and outsider ------------------------------------------------------------------


def test_pages_anonymous_redirect_to_login(cast: Cast) -> None:
    client = anonymous()
    login = reverse("accounts:login")
    for url in [
        reverse("places:compound_list"),
        reverse("places:compound_export"),
        *a_urls(cast),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{login}?next="), url


def test_pages_outsider_gets_404_on_street_a(cast: Cast) -> None:
    client = as_user(cast.users["outsider"])
    for url in a_urls(cast):
        assert client.get(url).status_code == 404, url
    mode_url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    assert client.post(mode_url, {"mode": "owner_self"}).status_code == 404


def test_compound_list_outsider_sees_only_street_b(cast: Cast) -> None:
    response = as_user(cast.users["outsider"]).get(reverse("places:compound_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert listed_codes(response) == codes(cast.b.compound, cast.b.other_compound)
    assert 'data-total="2"' in html
    for name in ("甲街道", "甲社区", "甲网格", "甲公办物业", "甲一号院"):
        assert name not in html


def test_compound_list_outsider_cannot_filter_into_street_a(cast: Cast) -> None:
    client = as_user(cast.users["outsider"])
    response = client.get(reverse("places:compound_list"), {"street": cast.a.street.pk})
    assert listed_codes(response) == []
    assert 'data-total="0"' in response.content.decode()


# --- Compound list ---------------------------------------------------------------------------


def test_compound_list_each_role_sees_its_compounds(cast: Cast) -> None:
    a_both = codes(cast.a.compound, cast.a.other_compound)
    a_one = codes(cast.a.compound)
    expected = {
        Role.DISTRICT: codes(
            cast.a.compound, cast.a.other_compound, cast.b.compound, cast.b.other_compound
        ),
        Role.STREET: a_both,
        Role.COMMUNITY: a_both,
        Role.GRID: a_both,
        Role.BRANCH: a_one,
        Role.COMPANY: a_one,
        Role.COMMITTEE: a_one,
        Role.RESIDENT: a_one,
        Role.INSPECTOR: a_both,
    }
    for role, expected_codes in expected.items():
        response = as_user(cast.users[role]).get(reverse("places:compound_list"))
        assert response.status_code == 200, role
        assert listed_codes(response) == expected_codes, role


def test_compound_list_filter_options_are_limited_to_scope(cast: Cast) -> None:
    html = as_user(cast.users[Role.STREET]).get(reverse("places:compound_list")).content.decode()
    assert f'<option value="{cast.a.street.pk}">甲街道</option>' in html
    assert f'<option value="{cast.a.community.pk}">甲社区</option>' in html
    assert f'<option value="{cast.a.grid.pk}">甲网格</option>' in html
    assert f'<option value="{cast.a.company.pk}">甲公办物业</option>' in html
    for name in ("乙街道", "乙社区", "乙网格", "乙公办物业"):
        assert name not in html


def test_compound_list_district_chooses_a_street_before_communities_and_grids(
    cast: Cast,
) -> None:
    client = as_user(cast.users[Role.DISTRICT])
    html = client.get(reverse("places:compound_list")).content.decode()
    assert f'<option value="{cast.a.street.pk}">甲街道</option>' in html
    assert f'<option value="{cast.b.street.pk}">乙街道</option>' in html
    for name in ("甲社区", "乙社区", "甲网格", "乙网格"):
        assert f">{name}</option>" not in html
    html = client.get(
        reverse("places:compound_list"), {"street": cast.a.street.pk}
    ).content.decode()
    assert f'<option value="{cast.a.community.pk}">甲社区</option>' in html
    assert f'<option value="{cast.a.grid.pk}">甲网格</option>' in html
    assert ">乙社区</option>" not in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["a", "a2", "b", "b2"]),
        ({"street": "A"}, ["a", "a2"]),
        ({"community": "B"}, ["b", "b2"]),
        ({"grid": "A"}, ["a", "a2"]),
        ({"mode": "public"}, ["a", "b"]),
        ({"mode": "unmanaged"}, ["a2", "b2"]),
        ({"company": "B"}, ["b"]),
        ({"renovated": "true"}, ["a", "b"]),
        ({"renovated": "false"}, ["a2", "b2"]),
        ({"q": "二号"}, ["a2", "b2"]),
        ({"q": "甲一"}, ["a"]),
        ({"street": "A", "mode": "public", "renovated": "true"}, ["a"]),
        ({"taken_over": "true"}, ["a", "b"]),
        ({"taken_over": "false"}, ["a2", "b2"]),
        ({"taken_over": "true", "street": "B"}, ["b"]),
    ],
)
def test_compound_list_filters_give_exact_rows(cast: Cast, params, expected) -> None:
    sides = {"A": cast.a, "B": cast.b}
    query = {}
    for key, value in params.items():
        if key in {"street", "community", "grid", "company"}:
            value = getattr(sides[value], key).pk
        query[key] = value
    by_label = {
        "a": cast.a.compound,
        "a2": cast.a.other_compound,
        "b": cast.b.compound,
        "b2": cast.b.other_compound,
    }
    response = as_user(cast.users[Role.DISTRICT]).get(reverse("places:compound_list"), query)
    assert listed_codes(response) == codes(*[by_label[label] for label in expected])


def test_compound_list_taken_over_counts_a_takeover_whatever_manages_it_now(cast: Cast) -> None:
    """B's first compound, taken over in the cast, passes to its owners' own management: it is
    no longer public, but it was taken over, as the dashboard's takeovers panel counts it."""
    change_management_mode(
        compound=cast.b.compound,
        mode="owner_self",
        company=None,
        effective_on=datetime.date(2025, 1, 1),
        reason="the owners manage it themselves",
        actor=None,
    )
    client = as_user(cast.users[Role.DISTRICT])
    url = reverse("places:compound_list")
    assert listed_codes(client.get(url, {"mode": "public"})) == codes(cast.a.compound)
    assert listed_codes(client.get(url, {"taken_over": "true"})) == codes(
        cast.a.compound, cast.b.compound
    )
    html = client.get(url, {"taken_over": "true"}).content.decode()
    assert '<option value="true" selected>' in html


def test_compound_list_sorts_by_column(cast: Cast) -> None:
    client = as_user(cast.users[Role.DISTRICT])
    url = reverse("places:compound_list")
    a, a2, b, b2 = (
        cast.a.compound.code,
        cast.a.other_compound.code,
        cast.b.compound.code,
        cast.b.other_compound.code,
    )
    assert [a, a2, b, b2] == sorted([a, a2, b, b2])
    assert listed_codes(client.get(url, {"ordering": "-code"})) == [b2, b, a2, a]
    # The first compounds hold 146.40 m² and 2 households, the others 86.40 m² and 1 (ties
    # fall back to the code).
    assert listed_codes(client.get(url, {"ordering": "-area"})) == [a, b, a2, b2]
    assert listed_codes(client.get(url, {"ordering": "area"})) == [a2, b2, a, b]
    assert listed_codes(client.get(url, {"ordering": "-households"})) == [a, b, a2, b2]
    # 乙 sorts before 甲 by code point.
    assert listed_codes(client.get(url, {"ordering": "name"})) == [b, b2, a, a2]
    assert listed_codes(client.get(url, {"ordering": "mode"})) == [a, b, a2, b2]
    assert listed_codes(client.get(url, {"ordering": "nonsense"})) == [a, a2, b, b2]


def test_compound_list_sort_links_toggle_direction(cast: Cast) -> None:
    client = as_user(cast.users[Role.DISTRICT])
    html = client.get(reverse("places:compound_list"), {"ordering": "area"}).content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?ordering=-area"' in html
    html = client.get(reverse("places:compound_list"), {"ordering": "-area"}).content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?ordering=area"' in html


def test_compound_list_paginates_fifty_per_page(cast: Cast) -> None:
    grid = GridFactory(community=cast.a.community)
    for _ in range(53):
        CompoundFactory(grid=grid)
    client = as_user(cast.users[Role.STREET])
    url = reverse("places:compound_list")
    first = client.get(url, {"grid": grid.pk})
    second = client.get(url, {"grid": grid.pk, "page": 2})
    assert len(listed_codes(first)) == 50
    assert len(listed_codes(second)) == 3
    assert set(listed_codes(first)).isdisjoint(listed_codes(second))
    html = first.content.decode()
    assert 'data-total="53"' in html
    assert "53 compounds" in html
    assert f'href="?grid={grid.pk}&amp;page=2"' in html


def test_compound_list_empty_state_offers_to_clear_filters(cast: Cast) -> None:
    response = as_user(cast.users[Role.STREET]).get(
        reverse("places:compound_list"), {"q": "no-such-compound"}
    )
    html = response.content.decode()
    assert listed_codes(response) == []
    assert "No compounds match these filters." in html
    assert f'href="{reverse("places:compound_list")}">Clear filters</a>' in html


# --- Export ----------------------------------------------------------------------------------


def exported_rows(response) -> list[tuple]:
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = load_workbook(BytesIO(response.content), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


HEADER = (
    "Code",
    "Compound name",
    "Street",
    "Community",
    "Grid",
    "Management mode",
    "Property company",
    "Floor area (m²)",
    "Households",
    "Renovated",
)


def test_compound_export_has_exact_filtered_rows(cast: Cast) -> None:
    response = as_user(cast.users[Role.DISTRICT]).get(
        reverse("places:compound_export"), {"street": cast.a.street.pk, "ordering": "-code"}
    )
    a, a2 = cast.a.compound, cast.a.other_compound
    assert exported_rows(response) == [
        HEADER,
        (
            a2.code,
            "甲二号院",
            "甲街道",
            "甲社区",
            "甲网格",
            "Unmanaged (无主管)",
            None,
            86.4,
            1,
            "No",
        ),
        (
            a.code,
            "甲一号院",
            "甲街道",
            "甲社区",
            "甲网格",
            "Street public company (街道公办物业托底)",
            "甲公办物业",
            146.4,
            2,
            "Yes",
        ),
    ]


def test_compound_export_area_is_a_two_decimal_number(cast: Cast) -> None:
    response = as_user(cast.users[Role.STREET]).get(reverse("places:compound_export"))
    sheet = load_workbook(BytesIO(response.content)).active
    area = sheet.cell(row=2, column=8)
    assert isinstance(area.value, float)
    assert area.number_format == "0.00"


def test_compound_export_outsider_gets_no_street_a_rows(cast: Cast) -> None:
    client = as_user(cast.users["outsider"])
    rows = exported_rows(client.get(reverse("places:compound_export")))
    assert [row[0] for row in rows[1:]] == codes(cast.b.compound, cast.b.other_compound)
    rows = exported_rows(
        client.get(reverse("places:compound_export"), {"street": cast.a.street.pk})
    )
    assert rows == [HEADER]


def test_compound_export_includes_every_page(cast: Cast) -> None:
    grid = GridFactory(community=cast.a.community)
    made = [CompoundFactory(grid=grid) for _ in range(55)]
    client = as_user(cast.users[Role.STREET])
    rows = exported_rows(client.get(reverse("places:compound_export"), {"grid": grid.pk}))
    page = client.get(reverse("places:compound_list"), {"grid": grid.pk})
    assert [row[0] for row in rows[1:]] == codes(*made)
    assert listed_codes(page) == codes(*made)[:50]


def test_compound_export_each_role_matches_its_list(cast: Cast) -> None:
    for role in [*EVERY_ROLE, "outsider"]:
        client = as_user(cast.users[role])
        listed = listed_codes(client.get(reverse("places:compound_list")))
        rows = exported_rows(client.get(reverse("places:compound_export")))
        assert [row[0] for row in rows[1:]] == listed, role


# --- Compound page ---------------------------------------------------------------------------


def test_compound_detail_every_role_of_street_a_sees_it(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    for role in EVERY_ROLE:
        response = as_user(cast.users[role]).get(url)
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "甲一号院" in html
        assert 'data-mode="public"' in html
        assert 'data-figure="area_m2">146.40<' in html


RESIDENT_DATA_STAFF = [role for role in STAFF if role != Role.INSPECTOR]


def test_compound_detail_staff_see_residents_masked(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    for role in RESIDENT_DATA_STAFF:
        html = as_user(cast.users[role]).get(url).content.decode()
        assert "甲居民" in html, role
        assert "甲邻居" in html, role
        assert "138****1234" in html, role
        assert "139****1111" in html, role
        assert "13812341234" not in html, role
        assert "13900001111" not in html, role


def test_compound_detail_resident_sees_no_other_resident(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    html = as_user(cast.users[Role.RESIDENT]).get(url).content.decode()
    assert "甲邻居" not in html
    assert "139****1111" not in html
    assert "甲干部" not in html
    assert "data-residency" not in html
    assert reverse("places:house_detail", args=[cast.a.house.pk]) in html
    assert reverse("places:house_detail", args=[cast.a.neighbour_house.pk]) not in html
    # The compound's public facts are there.
    assert "甲物管会" in html
    assert "甲公办物业" in html


def test_compound_detail_shows_history_takeover_and_organisations(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    html = as_user(cast.users[Role.STREET]).get(url).content.decode()
    assert html.count("data-period=") == 2
    assert "2021-03-01" in html
    assert "2021-02-20" in html
    assert "3 free trial months" in html
    assert "public takeover" in html
    assert "甲一号院党支部" in html
    assert "甲干部" in html
    assert "甲机关支部" in html
    assert 'data-building="' in html
    assert reverse("places:compound_mode", args=[cast.a.compound.pk]) in html


def test_compound_detail_change_mode_link_only_for_street_and_district(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    mode_url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    for role in EVERY_ROLE:
        html = as_user(cast.users[role]).get(url).content.decode()
        assert (mode_url in html) == (role in {Role.DISTRICT, Role.STREET}), role


def reveal_url(person) -> str | None:
    try:
        return reverse("accounts:reveal", args=[person.pk, "phone"])
    except NoReverseMatch:
        return None


def test_compound_detail_reveal_button_only_for_phone_roles(cast: Cast) -> None:
    url = reverse("places:compound_detail", args=[cast.a.compound.pk])
    target = reveal_url(cast.a.resident_person)
    for role in STAFF:
        html = as_user(cast.users[role]).get(url).content.decode()
        shown = role in {Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID, Role.COMPANY}
        if target is None:
            assert "hx-post" not in html, role
        else:
            assert (f'hx-post="{target}"' in html) == shown, role


def test_compound_detail_outsider_and_missing_get_404(cast: Cast) -> None:
    client = as_user(cast.users["outsider"])
    for compound in (cast.a.compound, cast.a.other_compound):
        assert client.get(reverse("places:compound_detail", args=[compound.pk])).status_code == 404
    assert client.get(reverse("places:compound_detail", args=[999999])).status_code == 404


def test_compound_detail_resident_of_a_gets_404_on_other_compound(cast: Cast) -> None:
    client = as_user(cast.users[Role.RESIDENT])
    url = reverse("places:compound_detail", args=[cast.a.other_compound.pk])
    assert client.get(url).status_code == 404


# --- House page ------------------------------------------------------------------------------


def test_house_detail_staff_see_it(cast: Cast) -> None:
    url = reverse("places:house_detail", args=[cast.a.house.pk])
    for role in RESIDENT_DATA_STAFF:
        response = as_user(cast.users[role]).get(url)
        assert response.status_code == 200, role
        html = response.content.decode()
        assert "甲居民" in html
        assert "138****1234" in html
        assert "13812341234" not in html
        assert 'data-figure="area">86.40<' in html


def test_inspector_sees_places_but_not_who_lives_there(cast: Cast) -> None:
    """PIPL's minimum necessary: a star-rating inspector scores places, not people."""
    client = as_user(cast.users[Role.INSPECTOR])
    compound = client.get(reverse("places:compound_detail", args=[cast.a.compound.pk]))
    house = client.get(reverse("places:house_detail", args=[cast.a.house.pk]))
    assert compound.status_code == 200
    assert house.status_code == 200
    for response in (compound, house):
        html = response.content.decode()
        assert "甲居民" not in html
        assert "138****1234" not in html
    assert 'data-figure="area">86.40<' in house.content.decode()
    # No "your home" list of every house for someone who lives elsewhere.
    assert reverse("places:house_detail", args=[cast.a.house.pk]) not in compound.content.decode()
    assert 'id="home-heading"' not in compound.content.decode()


def test_house_detail_resident_sees_only_own_house(cast: Cast) -> None:
    client = as_user(cast.users[Role.RESIDENT])
    own = client.get(reverse("places:house_detail", args=[cast.a.house.pk]))
    assert own.status_code == 200
    assert "甲居民" in own.content.decode()
    assert "甲邻居" not in own.content.decode()
    neighbour = client.get(reverse("places:house_detail", args=[cast.a.neighbour_house.pk]))
    assert neighbour.status_code == 404


# --- Street and community pages --------------------------------------------------------------


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def test_street_detail_access_by_role(cast: Cast) -> None:
    url = reverse("places:street_detail", args=[cast.a.street.pk])
    allowed = {Role.DISTRICT, Role.STREET, Role.INSPECTOR}
    for role in EVERY_ROLE:
        status = as_user(cast.users[role]).get(url).status_code
        assert status == (200 if role in allowed else 404), role


def test_street_detail_shows_the_streets_figures(cast: Cast) -> None:
    url = reverse("places:street_detail", args=[cast.a.street.pk])
    for role in (Role.DISTRICT, Role.STREET):
        html = as_user(cast.users[role]).get(url).content.decode()
        assert figure(html, "compounds") == "2"
        assert figure(html, "households") == "3"
        assert figure(html, "residents") == "2"
        assert figure(html, "area_m2") == "233"  # 232.80 m²
        assert figure(html, "public_companies.count") == "1"
        assert 'data-community="' in html
        assert "甲社区" in html
        assert "乙社区" not in html
        assert f"?community={cast.a.community.pk}" in html


def test_community_detail_access_by_role(cast: Cast) -> None:
    url = reverse("places:community_detail", args=[cast.a.community.pk])
    allowed = {Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.INSPECTOR}
    for role in EVERY_ROLE:
        status = as_user(cast.users[role]).get(url).status_code
        assert status == (200 if role in allowed else 404), role


def test_community_detail_shows_its_figures_and_grids(cast: Cast) -> None:
    html = (
        as_user(cast.users[Role.COMMUNITY])
        .get(reverse("places:community_detail", args=[cast.a.community.pk]))
        .content.decode()
    )
    assert figure(html, "compounds") == "2"
    assert f'data-grid="{cast.a.grid.code}"' in html
    assert f'href="{reverse("places:compound_list")}?grid={cast.a.grid.pk}"' in html


# --- Mode change -----------------------------------------------------------------------------


def written() -> tuple[int, int, int]:
    return (
        ManagementPeriod.objects.count(),
        AuditEvent.objects.count(),
        Takeover.objects.count(),
    )


def mode_post(**overrides):
    data = {
        "mode": ManagementMode.OWNER_SELF,
        "company": "",
        "effective_on": "2024-01-01",
        "reason": "The owners elected a self-management committee.",
        "trial_months": "3",
        "confirm": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_compound_mode_page_for_street_and_district(cast: Cast) -> None:
    url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    for role in (Role.DISTRICT, Role.STREET):
        response = as_user(cast.users[role]).get(url, {"mode": "public"})
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="entrustment_file"' in html
        assert 'name="trial_months" value="3"' in html
        assert "Street public company (街道公办物业托底) · 甲公办物业" in html
        assert 'data-kind="public">甲公办物业 · Public, street-led (街道公办)</option>' in html
        assert "乙公办物业" not in html


def test_compound_mode_takeover_fields_shown_for_public_mode_only(cast: Cast) -> None:
    client = as_user(cast.users[Role.STREET])
    # The other compound is unmanaged: the form opens on that mode, takeover fields hidden.
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    html = client.get(url).content.decode()
    assert 'class="border rounded p-3 mb-3 d-none" data-takeover-fields' in html
    html = client.get(url, {"mode": "public"}).content.decode()
    assert 'class="border rounded p-3 mb-3" data-takeover-fields' in html
    # The street's only public company is preselected for a takeover.
    assert f'<option value="{cast.a.company.pk}" selected data-kind="public">' in html
    html = client.post(url, mode_post(mode="public", company=cast.a.company.pk)).content.decode()
    assert 'class="border rounded p-3 mb-3" data-takeover-fields' in html
    assert "A public takeover needs the date of the entrustment agreement." in html


def test_compound_mode_other_roles_get_404_and_change_nothing(cast: Cast) -> None:
    url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    before = written()
    for role in [
        Role.COMMUNITY,
        Role.GRID,
        Role.BRANCH,
        Role.COMPANY,
        Role.COMMITTEE,
        Role.RESIDENT,
        Role.INSPECTOR,
        "outsider",
    ]:
        client = as_user(cast.users[role])
        assert client.get(url).status_code == 404, role
        assert client.post(url, mode_post()).status_code == 404, role
    assert written() == before
    compound = Compound.objects.get(pk=cast.a.compound.pk)
    assert compound.management_mode == ManagementMode.PUBLIC
    assert compound.company_id == cast.a.company.pk


def test_compound_mode_change_writes_period_audit_and_compound(cast: Cast) -> None:
    user = cast.users[Role.STREET]
    url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    old = ManagementPeriod.objects.get(compound=cast.a.compound, ended_on__isnull=True)
    response = as_user(user).post(url, mode_post(), follow=True)
    assert response.redirect_chain == [
        (reverse("places:compound_detail", args=[cast.a.compound.pk]), 302)
    ]
    assert "The management mode of 甲一号院 is now: Owner self-managed (业主自管)." in (
        response.content.decode()
    )
    old.refresh_from_db()
    assert old.ended_on == datetime.date(2023, 12, 31)
    new = ManagementPeriod.objects.get(compound=cast.a.compound, ended_on__isnull=True)
    assert (new.mode, new.company_id, new.started_on, new.recorded_by_id) == (
        ManagementMode.OWNER_SELF,
        None,
        datetime.date(2024, 1, 1),
        user.pk,
    )
    assert new.reason == "The owners elected a self-management committee."
    compound = Compound.objects.get(pk=cast.a.compound.pk)
    assert (compound.management_mode, compound.company_id) == (ManagementMode.OWNER_SELF, None)
    event = AuditEvent.objects.filter(action="compound.mode_changed", target_id=compound.pk).first()
    assert event.summary == f"{compound.code}: public → owner_self from 2024-01-01"
    assert event.actor_id == user.pk
    assert event.street_id == cast.a.street.pk
    assert event.changes["after"]["mode"] == ManagementMode.OWNER_SELF


def takeover_post(**overrides):
    data = {
        "mode": ManagementMode.PUBLIC,
        "effective_on": "2024-05-01",
        "reason": "Nobody manages the compound; the street takes it over.",
        "entrustment_signed_on": "2024-04-20",
        "entrustment_party": "甲社区居委会",
        "service_agreement_signed_on": "2024-04-28",
    }
    return mode_post(**{**data, **overrides})


def test_compound_mode_takeover_stores_files_served_only_in_scope(cast: Cast) -> None:
    compound = cast.a.other_compound
    url = reverse("places:compound_mode", args=[compound.pk])
    response = as_user(cast.users[Role.DISTRICT]).post(
        url,
        takeover_post(
            company=cast.a.company.pk,
            entrustment_file=SimpleUploadedFile("委托协议.pdf", PDF, "application/pdf"),
            service_agreement_file=SimpleUploadedFile("service.png", PNG, "image/png"),
        ),
    )
    assert response.status_code == 302
    takeover = Takeover.objects.get(compound=compound)
    assert takeover.trial_months == 3
    assert takeover.entrustment_signed_on == datetime.date(2024, 4, 20)
    assert takeover.entrustment_party == "甲社区居委会"
    assert takeover.service_agreement_signed_on == datetime.date(2024, 4, 28)
    assert takeover.entrustment_file.name.startswith(f"agreements/{compound.pk}/")
    compound.refresh_from_db()
    assert (compound.management_mode, compound.company_id) == ("public", cast.a.company.pk)

    entrustment = reverse("places:takeover_file", args=[takeover.pk, "entrustment"])
    service = reverse("places:takeover_file", args=[takeover.pk, "service-agreement"])
    # The company now manages the compound; the branch and committee of the other compound and
    # the resident of it do not cover this one.
    for role in [
        Role.DISTRICT,
        Role.STREET,
        Role.COMMUNITY,
        Role.GRID,
        Role.COMPANY,
    ]:
        client = as_user(cast.users[role])
        response = client.get(entrustment)
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        response = client.get(service)
        assert b"".join(response.streaming_content) == PNG
        assert response["Content-Type"] == "image/png"
    # The inspector covers the street but scores places: the signed agreements (owners' names
    # and signatures) are not theirs to read.
    for role in [Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.INSPECTOR, "outsider"]:
        assert as_user(cast.users[role]).get(entrustment).status_code == 404, role
    inspector_page = as_user(cast.users[Role.INSPECTOR]).get(
        reverse("places:compound_detail", args=[compound.pk])
    )
    assert entrustment not in inspector_page.content.decode()
    assert anonymous().get(entrustment).status_code == 302
    # The compound page links the files for users who can see it.
    page = as_user(cast.users[Role.STREET]).get(
        reverse("places:compound_detail", args=[compound.pk])
    )
    assert entrustment in page.content.decode()


def test_takeover_file_unknown_or_missing_file_is_404(cast: Cast) -> None:
    takeover = Takeover.objects.get(compound=cast.a.compound)
    client = as_user(cast.users[Role.DISTRICT])
    assert (
        client.get(reverse("places:takeover_file", args=[takeover.pk, "other"])).status_code == 404
    )
    # The cast's takeover was recorded without scans.
    url = reverse("places:takeover_file", args=[takeover.pk, "entrustment"])
    assert client.get(url).status_code == 404


def field_errors(response, name: str) -> list[str]:
    """The field's errors, read in English (the page was rendered in English)."""
    form = response.context["form"]
    with translation.override("en"):
        return [str(error) for error in form.errors.get(name, [])]


@pytest.mark.parametrize(
    ("role", "overrides", "field", "message"),
    [
        (Role.STREET, {"reason": ""}, "reason", "This field is required."),
        (
            Role.STREET,
            {"effective_on": "2021-01-01"},
            "effective_on",
            "The change must take effect after 2021-03-01.",
        ),
        (
            Role.STREET,
            {"effective_on": "2999-01-01"},
            "effective_on",
            "Record the change once it has taken effect; the date is in the future.",
        ),
        (Role.STREET, {"confirm": None}, "confirm", "Tick the box to confirm the change."),
        (
            Role.STREET,
            {"mode": ManagementMode.PUBLIC, "entrustment_signed_on": ""},
            "company",
            "This mode needs a property company.",
        ),
        (
            Role.STREET,
            {"mode": ManagementMode.PROFESSIONAL},
            "company",
            "This mode needs a property company.",
        ),
    ],
)
def test_compound_mode_bad_input_shows_error_and_writes_nothing(
    cast: Cast, role, overrides, field, message
) -> None:
    url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    before = written()
    response = as_user(cast.users[role]).post(url, mode_post(**overrides))
    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert message in response.content.decode()
    assert written() == before
    assert Compound.objects.get(pk=cast.a.compound.pk).management_mode == ManagementMode.PUBLIC


def test_compound_mode_company_of_wrong_kind_is_refused(cast: Cast) -> None:
    professional = CompanyFactory(kind=CompanyKind.PROFESSIONAL, name="社会物业")
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    before = written()
    response = as_user(cast.users[Role.DISTRICT]).post(url, takeover_post(company=professional.pk))
    assert field_errors(response, "company") == ["A public takeover needs a street public company."]
    response = as_user(cast.users[Role.DISTRICT]).post(
        url, mode_post(mode=ManagementMode.PROFESSIONAL, company=cast.a.company.pk)
    )
    assert field_errors(response, "company") == [
        "Professional management needs a professional company."
    ]
    assert written() == before


def test_compound_mode_street_cannot_pick_another_streets_company(cast: Cast) -> None:
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    before = written()
    response = as_user(cast.users[Role.STREET]).post(url, takeover_post(company=cast.b.company.pk))
    assert field_errors(response, "company") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert written() == before


def company_options(response) -> list[str]:
    """The names of the companies the mode form offers."""
    html = response.content.decode()
    select = html.split('name="company"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'data-kind="\w+">([^<·]+) ·', select)


def test_compound_mode_offers_every_company_that_may_manage_it(cast: Cast) -> None:
    """A street office may bring in a professional company it has never dealt with: every
    professional company of the district is offered, with the street's own public company."""
    CompanyFactory(kind=CompanyKind.PROFESSIONAL, code="P-NEW", name="新来物业")
    other_district = cast.c.street.district
    CompanyFactory(kind=CompanyKind.PROFESSIONAL, district=other_district, name="外区物业")
    serving = CompanyFactory(
        kind=CompanyKind.PROFESSIONAL, district=other_district, name="外区在管物业"
    )
    Compound.objects.filter(pk=cast.b.other_compound.pk).update(company=serving)
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    for role in (Role.STREET, Role.DISTRICT):
        response = as_user(cast.users[role]).get(url)
        assert sorted(company_options(response)) == sorted(
            ["新来物业", "外区在管物业", "甲公办物业"]
        ), role


def test_compound_mode_street_brings_in_a_new_professional_company(cast: Cast) -> None:
    company = CompanyFactory(kind=CompanyKind.PROFESSIONAL, code="P-NEW", name="新来物业")
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    response = as_user(cast.users[Role.STREET]).post(
        url, mode_post(mode=ManagementMode.PROFESSIONAL, company=company.pk)
    )
    assert response.status_code == 302
    compound = Compound.objects.get(pk=cast.a.other_compound.pk)
    assert (compound.management_mode, compound.company_id) == ("professional", company.pk)


def test_compound_mode_company_of_another_district_is_not_a_choice(cast: Cast) -> None:
    elsewhere = CompanyFactory(kind=CompanyKind.PROFESSIONAL, district=cast.c.street.district)
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    before = written()
    response = as_user(cast.users[Role.DISTRICT]).post(
        url, mode_post(mode=ManagementMode.PROFESSIONAL, company=elsewhere.pk)
    )
    assert field_errors(response, "company") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert written() == before


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("agreement.pdf", b"MZ\x90\x00not a pdf", "application/pdf"),
            "The file's content is not a PDF, JPEG or PNG.",
        ),
        (
            SimpleUploadedFile("agreement.docx", PDF, "application/pdf"),
            "Upload a PDF, JPEG or PNG file.",
        ),
        (
            SimpleUploadedFile("agreement.png", PDF, "image/png"),
            "The file's content does not match its name (agreement.png).",
        ),
        (
            SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf"),
            "The file is larger than 10 MB.",
        ),
    ],
)
def test_compound_mode_refuses_bad_agreement_files(cast: Cast, upload, message) -> None:
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    before = written()
    response = as_user(cast.users[Role.STREET]).post(
        url, takeover_post(company=cast.a.company.pk, entrustment_file=upload)
    )
    assert field_errors(response, "entrustment_file") == [message]
    assert written() == before
    assert not Takeover.objects.filter(compound=cast.a.other_compound).exists()


def test_compound_mode_takeover_needs_entrustment_date(cast: Cast) -> None:
    url = reverse("places:compound_mode", args=[cast.a.other_compound.pk])
    before = written()
    response = as_user(cast.users[Role.STREET]).post(
        url, takeover_post(company=cast.a.company.pk, entrustment_signed_on="")
    )
    assert field_errors(response, "entrustment_signed_on") == [
        "A public takeover needs the date of the entrustment agreement."
    ]
    assert written() == before


def test_compound_mode_summary_shows_from_and_to(cast: Cast) -> None:
    url = reverse("places:compound_mode", args=[cast.a.compound.pk])
    response = as_user(cast.users[Role.STREET]).post(url, mode_post(confirm=None))
    html = response.content.decode()
    assert "Street public company (街道公办物业托底) · 甲公办物业 (since 2021-03-01)" in html
    assert '<span data-summary="mode">Owner self-managed (业主自管)</span>' in html


# --- Query counts ----------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_compound_list_queries_do_not_grow_with_rows(db) -> None:
    street = StreetFactory()
    grid = GridFactory(community__street=street)
    client = as_user(user_with(Role.STREET, street))
    url = reverse("places:compound_list")
    CompoundFactory(grid=grid, company=CompanyFactory())
    one = count_queries(client, url)
    CompoundFactory(grid=GridFactory(community__street=street), company=CompanyFactory())
    CompoundFactory(grid=grid, company=CompanyFactory())
    three = count_queries(client, url)
    assert len(listed_codes(client.get(url))) == 3
    assert one == three


def populate(compound: Compound, street, n: int) -> None:
    """``n`` buildings, each with a house, a resident and a committee member."""
    committee = Committee.objects.create(
        compound=compound,
        street=street,
        kind=CommitteeKind.OWNERS,
        name=f"委员会{n}",
        term_start=datetime.date(2023, 1, 1),
        term_end=datetime.date(2026, 1, 1),
    )
    for _ in range(n):
        house = HouseFactory(building=BuildingFactory(compound=compound))
        person = PersonFactory()
        Residency.objects.create(person=person, house=house, compound=compound)
        Post.objects.create(
            person=person,
            title="委员",
            committee=committee,
            street=street,
            term_start=datetime.date(2023, 1, 1),
        )
    refresh_compound_totals(compound_ids=[compound.pk])


def test_compound_detail_queries_do_not_grow_with_residents(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))
    small = CompoundFactory(grid=GridFactory(community__street=street))
    large = CompoundFactory(grid=GridFactory(community__street=street))
    populate(small, street, 1)
    populate(large, street, 3)
    one = count_queries(client, reverse("places:compound_detail", args=[small.pk]))
    three = count_queries(client, reverse("places:compound_detail", args=[large.pk]))
    html = client.get(reverse("places:compound_detail", args=[large.pk])).content.decode()
    assert html.count("data-residency=") == 3
    assert one == three


def test_compound_detail_paginates_residents(db) -> None:
    street = StreetFactory()
    client = as_user(user_with(Role.STREET, street))
    compound = CompoundFactory(grid=GridFactory(community__street=street))
    building = BuildingFactory(compound=compound)
    for _ in range(52):
        house = HouseFactory(building=building, area=Decimal("50.00"))
        Residency.objects.create(person=PersonFactory(), house=house, compound=compound)
    url = reverse("places:compound_detail", args=[compound.pk])
    first = client.get(url).content.decode()
    second = client.get(url, {"residents_page": 2}).content.decode()
    assert first.count("data-residency=") == 50
    assert second.count("data-residency=") == 2
    assert 'href="?residents_page=2"' in first
