import json
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from laoyuan.api.tests.conftest import ROLES
from laoyuan.dashboard.queries import overview
from laoyuan.dashboard.tests.billing import JAN, two_billed_months
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


def test_overview_collection_and_arrears_default_to_the_latest_billed_month(
    cast: Cast, as_role: Client
) -> None:
    two_billed_months(cast)

    body = as_role("company").get("/api/v1/overview/").json()

    assert body["collection"] == {
        "period": "2026-02",
        "billed": "73.20",
        "paid": "6.80",
        "rate": "0.0929",
    }
    assert body["arrears_by_age"] == {
        "1-3": {"households": 1, "amount": "30.00"},
        "4-6": {"households": 0, "amount": "0.00"},
        "7-12": {"households": 0, "amount": "0.00"},
        "13+": {"households": 0, "amount": "0.00"},
    }


def test_overview_of_a_given_period_matches_the_command(cast: Cast, as_role: Client) -> None:
    two_billed_months(cast)

    response = as_role("street").get("/api/v1/overview/", {"period": "2026-01"})

    assert response.status_code == 200
    body = response.json()
    assert body == json.loads(json.dumps(overview(user=cast.users["street"], period=JAN)))
    assert body["collection"] == {
        "period": "2026-01",
        "billed": "73.20",
        "paid": "43.20",
        "rate": "0.5902",
    }
    assert as_role("street").get("/api/v1/overview/", {"period": ""}).json() == json.loads(
        json.dumps(overview(user=cast.users["street"]))
    )


def test_overview_collection_of_a_scope_with_nothing_billed(cast: Cast, as_role: Client) -> None:
    two_billed_months(cast)

    body = as_role("outsider").get("/api/v1/overview/").json()

    assert body["collection"] == {"period": None, "billed": "0.00", "paid": "0.00", "rate": None}
    assert {row["households"] for row in body["arrears_by_age"].values()} == {0}


@pytest.mark.parametrize("role", ["grid", "inspector"])
def test_overview_collection_of_roles_without_collection_figures(
    cast: Cast, as_role: Client, role: str
) -> None:
    # Roles that read no collection figures get null, not a row of zeros.
    two_billed_months(cast)

    body = as_role(role).get("/api/v1/overview/").json()

    assert body["collection"] is None
    assert body["arrears_by_age"] is None
    assert body["trends"]["collection"] is None


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "26-01", "2026-01-01", "x"])
def test_overview_bad_period_is_400(cast: Cast, as_role: Client, period: str) -> None:
    response = as_role("street").get("/api/v1/overview/", {"period": period})

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid input.",
        "errors": {"period": ["Enter a month as YYYY-MM, for example 2025-03."]},
    }
