import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.api.tests.conftest import ROLES
from laoyuan.factories import (
    BuildingFactory,
    Cast,
    CompanyFactory,
    CompoundFactory,
    GridFactory,
    HouseFactory,
    StreetFactory,
    public_takeover,
    user_with,
)
from laoyuan.orgs.enums import CompanyKind
from laoyuan.places.enums import ManagementMode
from laoyuan.places.services import change_management_mode, refresh_compound_totals

A_ALL = ["甲一号院", "甲二号院"]
A_ONE = ["甲一号院"]
B_ALL = ["乙一号院", "乙二号院"]
VISIBLE = {
    "district": A_ALL + B_ALL,
    "street": A_ALL,
    "community": A_ALL,
    "grid": A_ALL,
    "branch": A_ONE,
    "company": A_ONE,
    "committee": A_ONE,
    "resident": A_ONE,
    "inspector": A_ALL,
    "outsider": B_ALL,
}

Client = Callable[[str], APIClient]


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.parametrize("role", ROLES)
def test_compound_list_shows_exactly_the_roles_compounds(as_role: Client, role: str) -> None:
    response = as_role(role).get("/api/v1/compounds/")

    assert names(response) == VISIBLE[role]
    assert response.json()["count"] == len(VISIBLE[role])


def test_compound_list_row_fields(cast: Cast, as_role: Client) -> None:
    a = cast.a

    response = as_role("street").get("/api/v1/compounds/", {"q": "甲一"})

    assert response.json()["results"] == [
        {
            "id": a.compound.id,
            "code": a.compound.code,
            "name": "甲一号院",
            "address": "",
            "street": {"id": a.street.id, "code": a.street.code, "name": "甲街道"},
            "community": {"id": a.community.id, "code": a.community.code, "name": "甲社区"},
            "grid": {"id": a.grid.id, "code": a.grid.code, "name": "甲网格"},
            "management_mode": "public",
            "company": {
                "id": a.company.id,
                "code": a.company.code,
                "name": "甲公办物业",
                "kind": "public",
            },
            "area_m2": "146.40",
            "households": 2,
            "residents": 2,
            "renovated": True,
            "build_year": 1992,
            "latitude": None,
            "longitude": None,
        }
    ]


def test_compound_list_unmanaged_compound_has_no_company(cast: Cast, as_role: Client) -> None:
    response = as_role("street").get("/api/v1/compounds/", {"q": "甲二"})

    [row] = response.json()["results"]
    assert row["management_mode"] == "unmanaged"
    assert row["company"] is None
    assert row["area_m2"] == "86.40"


def by_district(as_role: Client, params: dict[str, Any]) -> list[str]:
    return names(as_role("district").get("/api/v1/compounds/", params))


def test_compound_filter_mode(as_role: Client) -> None:
    assert by_district(as_role, {"mode": "public"}) == ["甲一号院", "乙一号院"]
    assert by_district(as_role, {"mode": "unmanaged"}) == ["甲二号院", "乙二号院"]
    assert by_district(as_role, {"mode": "professional"}) == []


def test_compound_filter_places_and_company(cast: Cast, as_role: Client) -> None:
    assert by_district(as_role, {"street": cast.a.street.id}) == A_ALL
    assert by_district(as_role, {"community": cast.b.community.id}) == B_ALL
    assert by_district(as_role, {"grid": cast.a.grid.id}) == A_ALL
    assert by_district(as_role, {"company": cast.b.company.id}) == ["乙一号院"]
    assert by_district(as_role, {"street": cast.a.street.id, "mode": "public"}) == A_ONE


def test_compound_filter_renovated(as_role: Client) -> None:
    assert by_district(as_role, {"renovated": "true"}) == ["甲一号院", "乙一号院"]
    assert by_district(as_role, {"renovated": "false"}) == ["甲二号院", "乙二号院"]
    assert by_district(as_role, {"renovated": "1"}) == ["甲一号院", "乙一号院"]


def test_compound_filter_search(cast: Cast, as_role: Client) -> None:
    assert by_district(as_role, {"q": "二号"}) == ["甲二号院", "乙二号院"]
    assert by_district(as_role, {"q": cast.b.compound.code}) == ["乙一号院"]
    assert by_district(as_role, {"q": "no such place"}) == []


def test_compound_ordering(as_role: Client) -> None:
    assert by_district(as_role, {}) == ["甲一号院", "甲二号院", "乙一号院", "乙二号院"]
    assert by_district(as_role, {"ordering": "-code"}) == [
        "乙二号院",
        "乙一号院",
        "甲二号院",
        "甲一号院",
    ]
    # Areas 146.40 / 86.40 and households 2 / 1; ties fall back to the code.
    assert by_district(as_role, {"ordering": "-area"}) == [
        "甲一号院",
        "乙一号院",
        "甲二号院",
        "乙二号院",
    ]
    assert by_district(as_role, {"ordering": "households"}) == [
        "甲二号院",
        "乙二号院",
        "甲一号院",
        "乙一号院",
    ]


def test_compound_filters_never_reach_another_scope(cast: Cast, as_role: Client) -> None:
    outsider = as_role("outsider")

    assert names(outsider.get("/api/v1/compounds/", {"street": cast.a.street.id})) == []
    assert names(outsider.get("/api/v1/compounds/", {"company": cast.a.company.id})) == []
    assert names(outsider.get("/api/v1/compounds/", {"q": "甲"})) == []
    assert names(outsider.get("/api/v1/compounds/", {"mode": "public"})) == ["乙一号院"]


def test_compound_blank_filters_mean_any(as_role: Client) -> None:
    blank = {"street": "", "mode": "", "renovated": "", "ordering": "", "q": "", "company": ""}

    assert by_district(as_role, blank) == ["甲一号院", "甲二号院", "乙一号院", "乙二号院"]


def test_compound_bad_filters_are_400_by_field(as_role: Client) -> None:
    response = as_role("district").get(
        "/api/v1/compounds/",
        {
            "mode": "bogus",
            "street": "abc",
            "renovated": "maybe",
            "ordering": "size",
            "q": "x" * 101,
        },
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {
            "street": ["Enter a whole number."],
            "mode": ['"bogus" is not a valid choice.'],
            "renovated": ["Enter true or false."],
            "q": ["Ensure this field has no more than 100 characters."],
            "ordering": ['"size" is not a valid choice.'],
        },
    }


def test_compound_list_pages(as_role: Client) -> None:
    client = as_role("district")

    first = client.get("/api/v1/compounds/", {"page_size": 3})
    second = client.get("/api/v1/compounds/", {"page_size": 3, "page": 2})
    beyond = client.get("/api/v1/compounds/", {"page_size": 3, "page": 3})

    assert first.json()["count"] == 4
    assert names(first) == ["甲一号院", "甲二号院", "乙一号院"]
    assert first.json()["next"] == "http://testserver/api/v1/compounds/?page=2&page_size=3"
    assert first.json()["previous"] is None
    assert names(second) == ["乙二号院"]
    assert beyond.status_code == 404
    assert beyond.json() == {"detail": "Invalid page."}


@pytest.mark.parametrize("role", ROLES)
def test_compound_detail_as_each_role(cast: Cast, as_role: Client, role: str) -> None:
    client = as_role(role)

    for compound in (cast.a.compound, cast.a.other_compound, cast.b.compound):
        response = client.get(f"/api/v1/compounds/{compound.id}/")
        if compound.name in VISIBLE[role]:
            assert response.status_code == 200
            assert response.json()["id"] == compound.id
        else:
            assert response.status_code == 404
            assert response.json() == {"detail": "Not found."}


def test_compound_detail_fields(cast: Cast, as_role: Client) -> None:
    a = cast.a

    response = as_role("resident").get(f"/api/v1/compounds/{a.compound.id}/")

    body = response.json()
    assert body["name"] == "甲一号院"
    assert body["buildings"] == 1
    assert body["mode_history"] == [
        {
            "mode": "unmanaged",
            "company": None,
            "started_on": "2015-01-01",
            "ended_on": "2021-02-28",
            "reason": "registered",
        },
        {
            "mode": "public",
            "company": {
                "id": a.company.id,
                "code": a.company.code,
                "name": "甲公办物业",
                "kind": "public",
            },
            "started_on": "2021-03-01",
            "ended_on": None,
            "reason": "public takeover",
        },
    ]


def test_compound_detail_of_another_scope_reads_like_a_missing_one(
    cast: Cast, as_role: Client
) -> None:
    outsider = as_role("outsider")

    theirs = outsider.get(f"/api/v1/compounds/{cast.a.compound.id}/")
    missing = outsider.get("/api/v1/compounds/999999999/")
    not_a_number = outsider.get("/api/v1/compounds/abc/")

    assert theirs.status_code == missing.status_code == not_a_number.status_code == 404
    assert theirs.json() == missing.json() == not_a_number.json() == {"detail": "Not found."}


def make_street_compounds(count: int, street: Any = None) -> Any:
    """A street whose compounds each have a company, two periods and houses."""
    street = street or StreetFactory()
    grid = GridFactory(community__street=street)
    company = CompanyFactory(kind=CompanyKind.PUBLIC, street=street)
    for _ in range(count):
        compound = CompoundFactory(grid=grid)
        public_takeover(compound, company)
        building = BuildingFactory(compound=compound)
        HouseFactory(building=building, area=Decimal("50.00"))
    refresh_compound_totals()
    return street


def count_queries(client: APIClient, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


def test_compound_list_queries_do_not_grow_with_rows(
    db: None, client_for: Callable[[Any], APIClient]
) -> None:
    street = make_street_compounds(1)
    client = client_for(user_with(Role.STREET, street))
    one, body_one = count_queries(client, "/api/v1/compounds/")

    make_street_compounds(2, street=street)
    three, body_three = count_queries(client, "/api/v1/compounds/")

    assert (body_one["count"], body_three["count"]) == (1, 3)
    assert one == three


def test_compound_detail_queries_do_not_grow_with_history(
    db: None, client_for: Callable[[Any], APIClient]
) -> None:
    street = make_street_compounds(1)
    client = client_for(user_with(Role.STREET, street))
    compound = street.compounds.get()
    url = f"/api/v1/compounds/{compound.id}/"
    two, body_two = count_queries(client, url)

    other = CompanyFactory(kind=CompanyKind.PROFESSIONAL)
    change_management_mode(
        compound=compound,
        mode=ManagementMode.PROFESSIONAL,
        company=other,
        effective_on=datetime.date(2024, 1, 1),
        reason="owners chose a company",
        actor=None,
    )
    three, body_three = count_queries(client, url)

    assert (len(body_two["mode_history"]), len(body_three["mode_history"])) == (2, 3)
    assert two == three
