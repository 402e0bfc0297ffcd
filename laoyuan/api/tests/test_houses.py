from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.api.tests.conftest import ROLES
from laoyuan.api.tests.test_compounds import count_queries
from laoyuan.factories import BuildingFactory, Cast, CompoundFactory, HouseFactory, user_with

A1 = ["甲一号院 1号楼 101", "甲一号院 1号楼 102"]
A_ALL = [*A1, "甲二号院 1号楼 101"]
B_ALL = ["乙一号院 1号楼 101", "乙一号院 1号楼 102", "乙二号院 1号楼 101"]
VISIBLE = {
    "district": A_ALL + B_ALL,
    "street": A_ALL,
    "community": A_ALL,
    "grid": A_ALL,
    "branch": A1,
    "company": A1,
    "committee": A1,
    "resident": ["甲一号院 1号楼 101"],
    "inspector": A_ALL,
    "outsider": B_ALL,
}

Client = Callable[[str], APIClient]


def labels(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [
        f"{row['compound']['name']} {row['building']} {row['room']}"
        for row in response.json()["results"]
    ]


@pytest.mark.parametrize("role", ROLES)
def test_house_list_shows_exactly_the_roles_houses(as_role: Client, role: str) -> None:
    assert labels(as_role(role).get("/api/v1/houses/")) == VISIBLE[role]


def test_house_list_row_fields(cast: Cast, as_role: Client) -> None:
    a = cast.a

    response = as_role("resident").get("/api/v1/houses/")

    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": a.house.id,
                "compound": {"id": a.compound.id, "code": a.compound.code, "name": "甲一号院"},
                "building": "1号楼",
                "unit": "1",
                "floor": 3,
                "room": "101",
                "area_m2": "86.40",
                "status": "occupied",
            }
        ],
    }


def test_house_list_of_one_compound(cast: Cast, as_role: Client) -> None:
    compound = cast.a.compound.id

    assert labels(as_role("street").get("/api/v1/houses/", {"compound": compound})) == A1
    assert labels(as_role("resident").get("/api/v1/houses/", {"compound": compound})) == [
        "甲一号院 1号楼 101"
    ]
    assert labels(as_role("outsider").get("/api/v1/houses/", {"compound": compound})) == []


def test_house_list_bad_compound_is_400(as_role: Client) -> None:
    response = as_role("street").get("/api/v1/houses/", {"compound": "first"})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"compound": ["Enter a whole number."]},
    }


@pytest.mark.parametrize("role", ROLES)
def test_house_detail_as_each_role(cast: Cast, as_role: Client, role: str) -> None:
    client = as_role(role)
    houses = {
        "甲一号院 1号楼 101": cast.a.house,
        "甲一号院 1号楼 102": cast.a.neighbour_house,
        "乙一号院 1号楼 101": cast.b.house,
    }

    for label, house in houses.items():
        response = client.get(f"/api/v1/houses/{house.id}/")
        if label in VISIBLE[role]:
            assert response.status_code == 200
            assert response.json()["id"] == house.id
            assert response.json()["area_m2"] == str(house.area)
        else:
            assert response.status_code == 404
            assert response.json() == {"detail": "Not found."}


def test_resident_gets_404_for_the_neighbours_house(cast: Cast, as_role: Client) -> None:
    response = as_role("resident").get(f"/api/v1/houses/{cast.a.neighbour_house.id}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_house_list_queries_do_not_grow_with_rows(
    db: None, client_for: Callable[[Any], APIClient]
) -> None:
    compound = CompoundFactory()
    client = client_for(user_with(Role.COMMUNITY, compound.community))
    HouseFactory(building=BuildingFactory(compound=compound), area=Decimal("70.00"))
    one, body_one = count_queries(client, "/api/v1/houses/")

    HouseFactory(building=BuildingFactory(compound=compound))
    HouseFactory(building=BuildingFactory(compound=CompoundFactory(grid=compound.grid)))
    three, body_three = count_queries(client, "/api/v1/houses/")

    assert (body_one["count"], body_three["count"]) == (1, 3)
    assert one == three
