"""The overview's ``stars`` and ``subsidies``: the same figures in ``dashboard.queries.overview``,
the ``overview`` command and the API, scoped like everything else."""

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.queries import overview
from laoyuan.factories import Cast
from laoyuan.places.models import Compound
from laoyuan.ratings.services import subsidies
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db

NO_STARS = {"0": 0, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}
FOUR = {**NO_STARS, "4": 1}
FEBRUARY = {"period": "2026-02", "amount": "2500.00", "compounds": 1}


@pytest.fixture
def rated(cast: Cast) -> Any:
    """Side A's compound (10,000 m²) final at four stars on 2026-01-20; February's subsidy
    posted."""
    Compound.objects.filter(pk=cast.a.compound.pk).update(area_m2="10000.00")
    h.final(
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
    subsidies.pay_into_fund(actor=district, district=cast.district, amount="5000.00", reference="F")
    subsidies.approve(
        actor=district,
        run=subsidies.compute(district=cast.district, period="2026-02", actor=district),
    )


@pytest.mark.parametrize(
    ("role", "stars", "paid"),
    [
        (Role.DISTRICT, FOUR, FEBRUARY),
        (Role.STREET, FOUR, FEBRUARY),
        (Role.COMMUNITY, FOUR, FEBRUARY),
        (Role.COMPANY, FOUR, FEBRUARY),
        (Role.COMMITTEE, FOUR, FEBRUARY),
        (Role.RESIDENT, FOUR, None),
        (Role.INSPECTOR, FOUR, None),
        ("outsider", NO_STARS, {"period": "2026-02", "amount": "0.00", "compounds": 0}),
    ],
)
def test_stars_and_subsidies_by_role(cast, rated, role, stars, paid):
    figures = overview(user=cast.users[role], period=datetime.date(2026, 2, 1))

    assert figures["stars"] == stars
    assert figures["subsidies"] == paid


def test_the_api_and_the_command_say_the_same(cast, rated):
    street = cast.users[Role.STREET]
    client = APIClient()
    client.force_authenticate(street)

    body = client.get("/api/v1/overview/", {"period": "2026-02"}).json()
    out = io.StringIO()
    call_command("overview", "--json", "--as", street.username, "--period", "2026-02", stdout=out)
    table = io.StringIO()
    call_command("overview", "--as", street.username, "--period", "2026-02", stdout=table)

    assert (body["stars"], body["subsidies"]) == (FOUR, FEBRUARY)
    figures = json.loads(out.getvalue())
    assert (figures["stars"], figures["subsidies"]) == (FOUR, FEBRUARY)
    lines = table.getvalue().splitlines()
    assert "compounds by stars (latest final rating): 5★ 0, 4★ 1, 3★ 0, 2★ 0, 1★ 0, 0★ 0" in lines
    assert "subsidies 2026-02: 2500.00 yuan to 1 compounds" in lines


def test_a_later_final_rating_replaces_the_earlier(cast, rated):
    later = h.scored_88_5(cast, veto="V3", period="2027")
    h.final(
        cast, later, published_on=datetime.date(2027, 1, 10), final_on=datetime.date(2027, 1, 20)
    )

    figures = overview(user=cast.users[Role.DISTRICT], period=datetime.date(2027, 2, 1))

    assert figures["stars"] == {**NO_STARS, "0": 1}
