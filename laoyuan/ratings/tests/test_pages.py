"""The public star page and a compound's rating history: exact figures, the empty states, and
every role against an outsider."""

import datetime
import re

import pytest

from laoyuan.accounts.enums import Role
from laoyuan.factories import anonymous, as_user, user_with
from laoyuan.places.models import Compound
from laoyuan.ratings.services import subsidies
from laoyuan.ratings.tests import helpers as h

pytestmark = pytest.mark.django_db


def english(client):
    client.cookies["django_language"] = "en"
    return client


def text(response):
    return response.content.decode()


def rated(cast):
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
    subsidies.pay_into_fund(actor=district, district=cast.district, amount="5000.00", reference="F")
    subsidies.approve(
        actor=district,
        run=subsidies.compute(district=cast.district, period="2026-02", actor=district),
    )
    return evaluation


def public_url(cast):
    return f"/ratings/public/{cast.a.compound.code}/"


def test_the_public_star_page_shows_the_final_rating_by_section(cast):
    rated(cast)

    response = english(anonymous()).get(public_url(cast))

    assert response.status_code == 200
    page = text(response)
    assert 'data-stars="4"' in page and "★★★★<" in page
    assert "Rating 2026: 88.50 points, final on 2026-01-20." in page
    rows = re.findall(
        r'data-section="(\w)">\s*<th scope="row">([^<]+)</th>\s*<td class="text-end">(\d+)%</td>'
        r'\s*<td class="text-end" data-score>([\d.]+)</td>\s*<td class="text-end" data-weighted>'
        r"([\d.]+)</td>",
        page,
    )
    assert rows == [
        ("S", "满意度测评", "30", "85.00", "25.50"),
        ("M", "管理考评", "40", "90.00", "36.00"),
        ("C", "综合评价", "30", "90.00", "27.00"),
    ]
    assert "4 stars: 86 points or more" in page and "1 star: 60 points or more" in page
    assert "public" in response["Cache-Control"]
    # No personal data: no resident's name, no house number.
    assert "甲居民" not in page and "101" not in page


def test_the_public_star_page_before_any_final_rating(cast):
    h.scored_88_5(cast)  # scored, not final: not shown

    response = english(anonymous()).get(public_url(cast))

    assert response.status_code == 200
    assert "data-empty" in text(response) and "data-stars" not in text(response)
    assert anonymous().get("/ratings/public/NO-SUCH/").status_code == 404


def test_a_vetoed_final_rating_says_so(cast):
    evaluation = h.scored_88_5(cast, veto="V1")
    h.final(
        cast,
        evaluation,
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
    )

    page = text(english(anonymous()).get(public_url(cast)))

    assert 'data-stars="0"' in page and "data-vetoed" in page


HISTORY_ROLES = [
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.COMPANY,
    Role.RESIDENT,
    Role.INSPECTOR,
]
SUBSIDY_READERS = {
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY,
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.COMPANY,
}


@pytest.mark.parametrize("role", HISTORY_ROLES)
def test_the_rating_history_for_each_role(cast, role):
    evaluation = rated(cast)

    response = english(as_user(cast.users[role])).get(f"/ratings/compounds/{cast.a.compound.pk}/")

    assert response.status_code == 200
    page = text(response)
    assert f'data-rating="{evaluation.pk}" data-state="final"' in page
    assert "88.50 points" in page and 'data-stars="4"' in page
    assert ("data-amount>2500.00<" in page) is (role in SUBSIDY_READERS)


@pytest.mark.parametrize("who", ["outsider", "other_district", "merchant"])
def test_the_rating_history_is_not_found_outside(cast, who):
    rated(cast)
    user = (
        user_with(Role.MERCHANT, cast.a.community, "merchant")
        if who == "merchant"
        else cast.users[who]
    )

    response = as_user(user).get(f"/ratings/compounds/{cast.a.compound.pk}/")

    assert response.status_code == 404


def test_residents_see_no_rating_before_it_is_published(cast):
    evaluation = h.scored_88_5(cast)
    url = f"/ratings/compounds/{cast.a.compound.pk}/"

    resident = text(english(as_user(cast.users[Role.RESIDENT])).get(url))
    street = text(english(as_user(cast.users[Role.STREET])).get(url))

    assert "data-empty" in resident and f'data-rating="{evaluation.pk}"' not in resident
    assert f'data-rating="{evaluation.pk}" data-state="scored"' in street


def test_anonymous_visitors_are_sent_to_login(cast):
    response = anonymous().get(f"/ratings/compounds/{cast.a.compound.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_bonus_points_show_as_their_own_row(cast):
    from laoyuan.ratings.services import evaluations

    evaluation = h.declared(cast)
    h.score_all(evaluation, cast, less={"M3": "5", "C1": "10"}, bonus={"B1": "2", "B2": "1"})
    h.answer_all(evaluation, cast)
    evaluations.complete_scoring(actor=cast.users[Role.INSPECTOR], evaluation=evaluation)
    h.final(
        cast,
        evaluation,
        published_on=datetime.date(2026, 1, 10),
        final_on=datetime.date(2026, 1, 20),
    )

    page = text(english(anonymous()).get(public_url(cast)))

    assert "Rating 2026: 91.50 points" in page and 'data-stars="5"' in page
    assert re.search(r"<tr data-bonus>.*?\+3\.00</td>", page, re.S)
