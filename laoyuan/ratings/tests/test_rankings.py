"""Rankings by the latest final rating, for the district and by street, with ties, vetoes last,
the Excel export, and the roles that see them."""

import datetime
import io
import re

import pytest
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user, user_with
from laoyuan.places.models import Compound
from laoyuan.ratings.services import evaluations
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db
PAGE = "/ratings/rankings/"


def rate(cast, compound, inspector, *, veto=None, bonus=None):
    Compound.objects.filter(pk=compound.pk).update(renovated=True)
    evaluation = h.declared(cast, compound=compound, inspector=inspector)
    h.score_all(
        evaluation, cast, less={"M3": "5", "C1": "10"}, veto=veto, bonus=bonus, inspector=inspector
    )
    h.answer_all(evaluation, cast, actor=cast.users[Role.DISTRICT])
    evaluations.complete_scoring(actor=inspector, evaluation=evaluation)
    evaluations.street_review(
        actor=user_with(Role.STREET, compound.street, f"street-{compound.pk}"),
        evaluation=evaluation,
        approve=True,
    )
    return h.final(
        cast,
        evaluations.Evaluation.objects.get(pk=evaluation.pk),
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
        reviewed=True,
    )


@pytest.fixture
def three(cast):
    """A: 88.50 (4★); A's other compound: 88.50 vetoed (0★); B: 91.50 (5★)."""
    inspector_a = cast.users[Role.INSPECTOR]
    inspector_b = user_with(Role.INSPECTOR, cast.b.street, "inspector-b")
    rate(cast, cast.a.compound, inspector_a)
    rate(cast, cast.a.other_compound, inspector_a, veto="V1")
    rate(cast, cast.b.compound, inspector_b, bonus={"B1": "2", "B2": "1"})


def ranked(response):
    return re.findall(
        r'data-ranked="([^"]+)"><td class="text-end" data-rank>(\d+)</td>'
        r'<td class="text-end" data-street-rank>(\d+)</td>',
        response.content.decode(),
    )


def test_the_district_ranking(cast, three):
    rows = ranked(as_user(cast.users[Role.DISTRICT]).get(PAGE))

    assert rows == [
        (cast.b.compound.code, "1", "1"),
        (cast.a.compound.code, "2", "1"),
        (cast.a.other_compound.code, "3", "2"),
    ]


def test_a_streets_ranking_and_the_street_filter(cast, three):
    street = as_user(cast.users[Role.STREET])
    assert ranked(street.get(PAGE)) == [
        (cast.a.compound.code, "1", "1"),
        (cast.a.other_compound.code, "2", "2"),
    ]
    district = as_user(cast.users[Role.DISTRICT])
    assert ranked(district.get(PAGE, {"street": cast.b.street.pk})) == [
        (cast.b.compound.code, "1", "1")
    ]
    assert street.get(PAGE, {"street": cast.b.street.pk}).status_code == 404
    assert street.get(PAGE, {"street": "²"}).status_code == 404


def test_the_ranking_exports_its_scores(cast, three):
    client = as_user(cast.users[Role.DISTRICT])
    client.cookies["django_language"] = "en"
    response = client.get("/ratings/rankings/export.xlsx")

    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [
        cast.b.compound.code,
        cast.a.compound.code,
        cast.a.other_compound.code,
    ]
    assert rows[0][5:8] == ("S", "M", "C")
    assert rows[2][5:] == (85, 90, 90, 88.5, "no", 4)
    assert rows[3][5:] == (85, 90, 90, 88.5, "yes", 0)


@pytest.mark.parametrize("role", [Role.COMPANY, Role.RESIDENT, Role.COMMITTEE, Role.GRID])
def test_rankings_are_for_the_offices_and_inspectors(cast, role):
    assert as_user(cast.users[role]).get(PAGE).status_code == 404


def test_the_empty_ranking(cast):
    page = as_user(cast.users[Role.STREET]).get(PAGE).content.decode()
    assert "data-empty" in page
