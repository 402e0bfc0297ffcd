"""Each role's home page, the outsider's and a user without a role."""

import re

from django.test import Client
from django.urls import reverse

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast, UserFactory, as_user

EVERY_ROLE = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.RESIDENT,
    Role.INSPECTOR,
]


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', html)
    assert match, name
    return match.group(1)


def test_home_anonymous_redirects_to_login(db) -> None:
    response = Client().get(reverse("dashboard:home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def test_home_each_role_sees_its_scope_figures(cast: Cast) -> None:
    compounds = {
        Role.DISTRICT: "4",
        Role.STREET: "2",
        Role.COMMUNITY: "2",
        Role.GRID: "2",
        Role.BRANCH: "1",
        Role.COMPANY: "1",
        Role.COMMITTEE: "1",
        Role.RESIDENT: "1",
        Role.INSPECTOR: "2",
        "outsider": "2",
    }
    for role, expected in compounds.items():
        response = as_user(cast.users[role]).get(reverse("dashboard:home"))
        assert response.status_code == 200, role
        html = response.content.decode()
        assert f"Hello, {cast.users[role].username}" in html, role
        assert figure(html, "compounds") == expected, role
        assert f'href="{reverse("places:compound_list")}"' in html, role
        assert "data-no-role" not in html, role


def test_home_lists_roles_and_links_to_their_pages(cast: Cast) -> None:
    links = {
        Role.STREET: reverse("places:street_detail", args=[cast.a.street.pk]),
        Role.COMMUNITY: reverse("places:community_detail", args=[cast.a.community.pk]),
        Role.GRID: f"{reverse('places:compound_list')}?grid={cast.a.grid.pk}",
        Role.BRANCH: reverse("places:compound_detail", args=[cast.a.compound.pk]),
        Role.COMPANY: f"{reverse('places:compound_list')}?company={cast.a.company.pk}",
        Role.RESIDENT: reverse("places:house_detail", args=[cast.a.house.pk]),
    }
    for role, link in links.items():
        html = as_user(cast.users[role]).get(reverse("dashboard:home")).content.decode()
        assert f'data-role="{role}"' in html, role
        assert f'href="{link}"' in html, role


def test_home_resident_links_house_and_compound(cast: Cast) -> None:
    html = as_user(cast.users[Role.RESIDENT]).get(reverse("dashboard:home")).content.decode()
    assert reverse("places:house_detail", args=[cast.a.house.pk]) in html
    assert reverse("places:compound_detail", args=[cast.a.compound.pk]) in html
    assert "Resident (居民)" in html


def test_home_district_links_every_street(cast: Cast) -> None:
    html = as_user(cast.users[Role.DISTRICT]).get(reverse("dashboard:home")).content.decode()
    for side in (cast.a, cast.b):
        assert f'data-street="{side.street.code}"' in html
        assert reverse("places:street_detail", args=[side.street.pk]) in html


def test_home_outsider_sees_nothing_of_street_a(cast: Cast) -> None:
    html = as_user(cast.users["outsider"]).get(reverse("dashboard:home")).content.decode()
    assert figure(html, "households") == "3"
    assert "甲" not in html
    assert reverse("places:street_detail", args=[cast.a.street.pk]) not in html


def test_home_without_role_explains_and_shows_no_figures(db) -> None:
    html = as_user(UserFactory(username="newcomer")).get(reverse("dashboard:home")).content
    html = html.decode()
    assert "Hello, newcomer" in html
    assert "data-no-role" in html
    assert "Your account has no role yet" in html
    assert "data-figure" not in html


def test_home_revoked_role_counts_as_none(cast: Cast) -> None:
    from django.utils import timezone

    user = cast.users[Role.STREET]
    user.assignments.update(revoked_at=timezone.now())
    html = as_user(user).get(reverse("dashboard:home")).content.decode()
    assert "data-no-role" in html
    assert "data-figure" not in html
