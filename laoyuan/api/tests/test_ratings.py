"""The ratings API: star ratings with their scores by section, and subsidies, each as every role
and as an outsider; filters and their errors."""

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.factories import Cast, user_with
from laoyuan.places.models import Compound
from laoyuan.ratings.services import evaluations, subsidies
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

RATINGS = "/api/v1/ratings/"
SUBSIDIES = "/api/v1/subsidies/"
SECTIONS = [
    {"code": "S", "name": "满意度测评", "weight": "30.00", "score": "85.00", "weighted": "25.50"},
    {"code": "M", "name": "管理考评", "weight": "40.00", "score": "90.00", "weighted": "36.00"},
    {"code": "C", "name": "综合评价", "weight": "30.00", "score": "90.00", "weighted": "27.00"},
]
# Who sees side A's final rating: its offices, the inspector of its street, its compound's roles,
# its company and its residents.
RATING_ROLES = {
    "district",
    "street",
    "community",
    "grid",
    "branch",
    "committee",
    "company",
    "resident",
    "inspector",
}
SUBSIDY_ROLES = {"district", "street", "community", "grid", "branch", "committee", "company"}
ALL = [*sorted(RATING_ROLES), "merchant", "outsider", "other_district"]


@pytest.fixture
def as_any(cast: Cast, client_for: Callable[[Any], APIClient]) -> Callable[[str], APIClient]:
    merchant = user_with(Role.MERCHANT, cast.a.community, "merchant")

    def make(role: str) -> APIClient:
        return client_for(merchant if role == "merchant" else cast.users[role])

    return make


def rated(cast: Cast) -> Any:
    """Side A's compound (10,000 m²) rated 88.50, four stars, final on 2026-01-20, and its
    February subsidy posted."""
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2="10000.00")
    evaluation = h.final(
        cast,
        h.scored_88_5(cast),
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
    )
    district = cast.users[Role.DISTRICT]
    subsidies.set_rates(
        actor=district,
        district=cast.district,
        effective_from="2026-01",
        rates={1: "0.10", 2: "0.15", 3: "0.20", 4: "0.25", 5: "0.30"},
    )
    subsidies.pay_into_fund(
        actor=district, district=cast.district, amount="100000.00", reference="F1"
    )
    run = subsidies.compute(district=cast.district, period="2026-02", actor=district)
    subsidies.approve(actor=district, run=run)
    return evaluation


def rating_body(cast: Cast, evaluation: Any) -> dict[str, Any]:
    compound = cast.a.compound
    return {
        "id": evaluation.pk,
        "compound": {"id": compound.pk, "code": compound.code, "name": compound.name},
        "period": "2026",
        "state": "final",
        "total_score": "88.50",
        "vetoed": False,
        "stars": 4,
        "final_on": "2026-01-20",
        "sections": SECTIONS,
    }


@pytest.mark.parametrize("role", ALL)
def test_ratings_as_each_role(cast, as_any, role):
    evaluation = rated(cast)
    client = as_any(role)

    listed = client.get(RATINGS)
    one = client.get(f"{RATINGS}{evaluation.pk}/")

    assert listed.status_code == 200
    if role in RATING_ROLES:
        assert listed.json()["results"] == [rating_body(cast, evaluation)]
        assert one.json() == rating_body(cast, evaluation)
    else:
        assert listed.json()["results"] == []
        assert one.status_code == 404
        assert one.json() == {"detail": "Not found."}


def test_residents_do_not_see_a_rating_before_it_is_published(cast, as_any):
    evaluation = h.scored_88_5(cast)

    assert as_any("resident").get(RATINGS).json()["results"] == []
    assert as_any("resident").get(f"{RATINGS}{evaluation.pk}/").status_code == 404
    body = as_any("street").get(f"{RATINGS}{evaluation.pk}/").json()
    assert (body["state"], body["total_score"], body["stars"]) == ("scored", "88.50", 4)


def test_a_declared_rating_has_no_score_yet(cast, as_any):
    evaluation = h.declared(cast)

    body = as_any("street").get(f"{RATINGS}{evaluation.pk}/").json()

    assert (
        body["state"],
        body["total_score"],
        body["vetoed"],
        body["stars"],
        body["sections"],
    ) == (
        "declared",
        None,
        False,
        None,
        [],
    )


def test_a_street_sees_its_own_compounds_ratings_only(cast, as_any):
    rated(cast)
    Compound.objects.filter(pk=cast.b.compound.pk).update(renovated=True)
    other = evaluations.declare(
        actor=cast.users["outsider"], compound=cast.b.compound, period="2026", seed="b"
    )

    mine = [row["id"] for row in as_any("street").get(RATINGS).json()["results"]]
    theirs = [row["id"] for row in as_any("outsider").get(RATINGS).json()["results"]]
    everything = [row["id"] for row in as_any("district").get(RATINGS).json()["results"]]

    assert other.pk not in mine and len(mine) == 1
    assert theirs == [other.pk]
    assert sorted(everything) == sorted([*mine, other.pk])


def test_ratings_filter_by_compound(cast, as_any):
    evaluation = rated(cast)
    client = as_any("district")

    assert [
        row["id"] for row in client.get(RATINGS, {"compound": cast.a.compound.pk}).json()["results"]
    ] == [evaluation.pk]
    assert client.get(RATINGS, {"compound": cast.b.compound.pk}).json()["results"] == []
    bad = client.get(RATINGS, {"compound": "²"})
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "Invalid input.",
        "errors": {"compound": ["Enter a whole number."]},
    }


@pytest.mark.parametrize("role", ALL)
def test_subsidies_as_each_role(cast, as_any, role):
    rated(cast)
    compound = cast.a.compound

    response = as_any(role).get(SUBSIDIES, {"period": "2026-02"})

    assert response.status_code == 200
    rows = response.json()["results"]
    if role in SUBSIDY_ROLES:
        assert [{k: v for k, v in row.items() if k != "id"} for row in rows] == [
            {
                "compound": {"id": compound.pk, "code": compound.code, "name": compound.name},
                "period": "2026-02",
                "area_m2": "10000.00",
                "stars": 4,
                "rate": "0.25",
                "amount": "2500.00",
                "state": "posted",
                "month": 2,
            }
        ]
    else:
        assert rows == []


def test_subsidies_filter_by_month(cast, as_any):
    rated(cast)
    client = as_any("district")

    assert client.get(SUBSIDIES, {"period": "2026-03"}).json()["results"] == []
    assert len(client.get(SUBSIDIES).json()["results"]) == 1
    bad = client.get(SUBSIDIES, {"period": "2026/02"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"period": ["Enter a month as YYYY-MM, for example 2025-03."]}


@pytest.mark.parametrize("url", [RATINGS, SUBSIDIES, f"{RATINGS}1/"])
def test_without_credentials_401(api_client, url):
    assert api_client.get(url).status_code == 401
