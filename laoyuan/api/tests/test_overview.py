import json
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from laoyuan.api.tests.conftest import ROLES
from laoyuan.dashboard.queries import overview
from laoyuan.factories import Cast

Client = Callable[[str], APIClient]
COMPOUNDS = {
    "district": 4,
    "street": 2,
    "community": 2,
    "grid": 2,
    "branch": 1,
    "company": 1,
    "committee": 1,
    "resident": 1,
    "inspector": 2,
    "outsider": 2,
}


@pytest.mark.parametrize("role", ROLES)
def test_overview_is_the_callers_figures(cast: Cast, as_role: Client, role: str) -> None:
    response = as_role(role).get("/api/v1/overview/")

    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(overview(user=cast.users[role])))
    assert body["compounds"] == COMPOUNDS[role]


def test_overview_of_street_a(cast: Cast, as_role: Client) -> None:
    body = as_role("street").get("/api/v1/overview/").json()

    assert body["compounds"] == 2
    assert body["area_m2"] == 232.8
    assert body["households"] == 3
    assert body["residents"] == 2
    assert body["by_mode"]["public"] == {"compounds": 1, "area_m2": 146.4, "households": 2}
    assert body["by_mode"]["unmanaged"] == {"compounds": 1, "area_m2": 86.4, "households": 1}
    assert body["public_companies"] == {
        "count": 1,
        "compounds": 1,
        "area_m2": 146.4,
        "households": 2,
    }
    assert body["by_street"] == [
        {
            "code": cast.a.street.code,
            "name": "甲街道",
            "compounds": 2,
            "area_m2": 232.8,
            "households": 3,
        }
    ]


def test_overview_of_the_outsider_never_includes_street_a(cast: Cast, as_role: Client) -> None:
    response = as_role("outsider").get("/api/v1/overview/")

    body = response.json()
    assert [row["code"] for row in body["by_street"]] == [cast.b.street.code]
    assert body["households"] == 3
    assert "甲" not in response.content.decode()
