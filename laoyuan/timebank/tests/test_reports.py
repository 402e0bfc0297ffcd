"""The time-bank report (``timebank.reports``), its page and Excel export, the menu, and the
overview's ``timebank``, on a hand-built set (every figure worked out below).

Side A (community A, street A), year 2026:
- volunteer V (house A, low-income): cleaning 03-10 09–12 (180), patrol 03-11 14–17 (180),
  elder visit 05-06 09–11 (120, reversed: −120 on the same day, as the ledger dates a reversal
  by its original); redeems 180 minutes on 04-10 at
  10 yuan an hour = 30.00 from pool A (1000.00 put in, 970.00 left);
- neighbour N (house A's neighbour): greening 03-20 08–10 in compound 甲二号院 (120); a pending
  claim (fresh) and V's pending claim past its day to verify (07-01 cleaning);
- one organisation.
Side B (street B): volunteer W, cleaning 03-15 09–11 (120); pool B 500.00; one organisation.
"""

import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from laoyuan.accounts.enums import Role
from laoyuan.dashboard.queries import overview
from laoyuan.factories import Cast, as_user
from laoyuan.people.models import Person
from laoyuan.timebank import reports
from laoyuan.timebank.enums import Category
from laoyuan.timebank.models import Claim, minutes_label
from laoyuan.timebank.services import claims, exchange, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
YEAR = reports.year_period(2026)
URL = "/timebank/reports/"
EXPORT = "/timebank/reports/export.xlsx"


def _verify(claim, verifier):
    if claim.on_behalf and claim.claimed_by_id == verifier.pk:
        # Whoever filed a claim for a volunteer does not verify it: a colleague does.
        verifier = h.colleague(claim)
    claims.verify_claim(actor=verifier, claim=claim)
    return claim


def _activity(actor, compound, day, start, end, category, title="服务"):
    return orgs.create_activity(
        actor=actor,
        compound=compound,
        title=title,
        category=category,
        start=h.at(day, start),
        end=h.at(day, end),
        capacity=10,
    )


def _claim(actor, activity, volunteer=None):
    return claims.create_claim(
        actor=actor, activity=activity, start=activity.start, end=activity.end, volunteer=volunteer
    )


def build(cast: Cast) -> dict:
    community = cast.users[Role.COMMUNITY]
    h.bills(cast)
    h.rate(cast, "10.00")
    pool_a = h.pool(cast, "1000.00")
    h.org(cast)
    v = h.volunteer(cast)
    Person.objects.filter(pk=cast.a.resident_person.pk).update(low_income=True)
    neighbour_person = Person.objects.get(residencies__house=cast.a.neighbour_house)
    n = orgs.register_volunteer(
        actor=community,
        person=neighbour_person,
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )
    march = datetime.date(2026, 3, 10)
    for day, start, end, category in [
        (march, 9, 12, Category.CLEANING),
        (datetime.date(2026, 3, 11), 14, 17, Category.PATROL),
    ]:
        activity = _activity(community, cast.a.compound, day, start, end, category)
        _verify(_claim(community, activity, v), community)
    elder = _activity(community, cast.a.compound, datetime.date(2026, 5, 6), 9, 11, Category.ELDER)
    elder_claim = _verify(_claim(community, elder, v), community)
    greening = _activity(
        community, cast.a.other_compound, datetime.date(2026, 3, 20), 8, 10, Category.GREENING
    )
    _verify(_claim(community, greening, n), community)
    redemption = exchange.redeem(
        actor=community, house=cast.a.house, minutes=180, today=datetime.date(2026, 4, 10)
    )
    claims.reverse_claim(actor=community, claim=elder_claim, reason="重复申报")
    later = _activity(
        community, cast.a.compound, datetime.date(2026, 7, 1), 9, 10, Category.CLEANING
    )
    _claim(community, later, n)
    late = _claim(community, later, v)
    Claim.objects.filter(pk=late.pk).update(due_on=datetime.date(2026, 7, 15))

    # Side B.
    b_user = h.community_user(cast, "b")
    orgs.create_org(actor=b_user, community=cast.b.community, name="乙志愿队")
    w = orgs.register_volunteer(
        actor=b_user,
        person=cast.b.resident_person,
        house=cast.b.house,
        on=datetime.date(2026, 1, 5),
    )
    b_activity = _activity(
        b_user, cast.b.compound, datetime.date(2026, 3, 15), 9, 11, Category.CLEANING
    )
    _verify(_claim(b_user, b_activity, w), b_user)
    pool_b = exchange.create_pool(
        actor=b_user,
        name="乙社区公益金",
        source_kind="welfare",
        district_id=cast.district.pk,
        community_id=cast.b.community.pk,
    )
    exchange.contribute(
        actor=b_user,
        pool=pool_b,
        amount=D("500.00"),
        reference="乙-1",
        received_on=datetime.date(2026, 1, 2),
    )
    return {"redemption": redemption, "pool_a": pool_a, "pool_b": pool_b}


@pytest.fixture
def data(cast):
    return build(cast)


def hours(rows) -> dict:
    return {
        row.label: (row.minutes, row.offsets, row.offset_minutes, row.offset_yuan) for row in rows
    }


def months(side_a=True, side_b=False) -> dict:
    rows = {f"2026-{m:02d}": (0, 0, 0, D("0.00")) for m in range(1, 13)}
    march = (480 if side_a else 0) + (120 if side_b else 0)
    rows["2026-03"] = (march, 0, 0, D("0.00"))
    if side_a:
        rows["2026-04"] = (0, 1, 180, D("30.00"))
    return rows


CATEGORIES_A = {
    "cleaning": 180,
    "garbage": 0,
    "patrol": 180,
    "elder": 0,
    "greening": 120,
    "mediation": 0,
    "other": 0,
}
TODAY = datetime.date(2026, 11, 27)


def test_side_a_figures(cast, data):
    for role in (Role.STREET, Role.COMMUNITY):
        report = reports.report(cast.users[role], YEAR, today=TODAY)
        assert {row.key: row.minutes for row in report.by_category} == CATEGORIES_A
        assert hours(report.by_compound) == {
            "甲一号院": (360, 1, 180, D("30.00")),
            "甲二号院": (120, 0, 0, D("0.00")),
        }
        assert hours(report.by_month) == months()
        assert (report.total.minutes, report.total.offset_yuan) == (480, D("30.00"))
        assert [(p.label, p.contributed, p.granted, p.left) for p in report.pools] == [
            ("甲社区公益金", D("1000.00"), D("30.00"), D("970.00"))
        ]
        assert (
            report.volunteer_orgs,
            report.volunteers,
            report.low_income_volunteers,
            report.volunteers_served,
            report.claims_pending,
            report.claims_overdue,
        ) == (1, 2, 1, 2, 2, 1)


def test_outsider_and_other_district_see_none_of_side_a(cast, data):
    outsider = reports.report(cast.users["outsider"], YEAR, today=TODAY)
    assert hours(outsider.by_compound) == {"乙一号院": (120, 0, 0, D("0.00"))}
    assert outsider.total.minutes == 120
    assert [(p.label, p.left) for p in outsider.pools] == [("乙社区公益金", D("500.00"))]
    assert (outsider.volunteer_orgs, outsider.volunteers, outsider.low_income_volunteers) == (
        1,
        1,
        0,
    )
    assert (outsider.claims_pending, outsider.claims_overdue) == (0, 0)
    other = reports.report(cast.users["other_district"], YEAR, today=TODAY)
    assert (other.total.minutes, other.pools, other.volunteers, other.by_compound) == (
        0,
        [],
        0,
        [],
    )


def test_district_sees_both_streets_and_drills(cast, data):
    district = cast.users[Role.DISTRICT]
    report = reports.report(district, YEAR, place_level="street", today=TODAY)
    assert hours(report.by_place) == {
        "乙街道": (120, 0, 0, D("0.00")),
        "甲街道": (480, 1, 180, D("30.00")),
    }
    assert hours(report.by_month) == months(side_b=True)
    assert report.pools_total.left == D("1470.00")
    street_a = reports.report(
        district, YEAR, street_id=cast.a.street.pk, place_level="community", today=TODAY
    )
    assert hours(street_a.by_place) == {"甲社区": (480, 1, 180, D("30.00"))}
    assert [p.label for p in street_a.pools] == ["甲社区公益金"]
    # Narrowing never widens: the outsider asking for street A gets nothing.
    narrowed = reports.report(cast.users["outsider"], YEAR, street_id=cast.a.street.pk)
    assert (narrowed.total.minutes, narrowed.volunteers, narrowed.pools) == (0, 0, [])


def test_month_range_leaves_out_the_rest(cast, data):
    spring = reports.Period(datetime.date(2026, 3, 1), datetime.date(2026, 4, 30))
    report = reports.report(cast.users[Role.COMMUNITY], spring, today=TODAY)
    assert [row.label for row in report.by_month] == ["2026-03", "2026-04"]
    assert (report.total.minutes, report.total.offsets, report.total.offset_yuan) == (
        480,
        1,
        D("30.00"),
    )
    assert reports.period_label(spring) == "2026-03_2026-04"
    assert reports.period_label(YEAR) == "2026"


# --- The overview --------------------------------------------------------------------------

MARCH = datetime.date(2026, 3, 1)


def test_overview_timebank(cast, data):
    side_a = {
        "period": "2026-03",
        "volunteer_orgs": 1,
        "volunteers": 2,
        "minutes_verified": 480,
        "offsets_yuan": "0.00",
        "pool_balance": "970.00",
    }
    for role in (Role.STREET, Role.COMMUNITY):
        assert overview(user=cast.users[role], period=MARCH)["timebank"] == side_a
    april = overview(user=cast.users[Role.STREET], period=MARCH.replace(month=4))["timebank"]
    assert april == {**side_a, "period": "2026-04", "minutes_verified": 0, "offsets_yuan": "30.00"}
    assert overview(user=cast.users["outsider"], period=MARCH)["timebank"] == {
        "period": "2026-03",
        "volunteer_orgs": 1,
        "volunteers": 1,
        "minutes_verified": 120,
        "offsets_yuan": "0.00",
        "pool_balance": "500.00",
    }
    district = cast.users[Role.DISTRICT]
    assert overview(user=district, period=MARCH)["timebank"]["minutes_verified"] == 600
    assert overview(user=district, period=MARCH, street_id=cast.a.street.pk)["timebank"] == side_a
    assert (
        overview(user=district, period=MARCH, community_id=cast.a.community.pk)["timebank"]
        == side_a
    )
    # The outsider narrowing to street A counts nothing of it.
    assert overview(user=cast.users["outsider"], period=MARCH, street_id=cast.a.street.pk)[
        "timebank"
    ] == {
        "period": "2026-03",
        "volunteer_orgs": 0,
        "volunteers": 0,
        "minutes_verified": 0,
        "offsets_yuan": "0.00",
        "pool_balance": "0.00",
    }
    for role in (Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.COMPANY):
        assert overview(user=cast.users[role], period=MARCH)["timebank"] is None


# --- The page and its export ---------------------------------------------------------------


def table(html: str, name: str) -> dict[str, dict[str, str]]:
    section = re.search(rf'data-table="{name}">(.*?)</section>', html, re.S)
    assert section is not None, name
    rows = {}
    for label, body in re.findall(r'<tr data-row="([^"]*)">(.*?)</tr>', section.group(1), re.S):
        rows[unescape(label)] = dict(re.findall(r'data-cell="(\w+)">([^<]*)</td>', body))
    return rows


def summary(html: str) -> dict[str, str]:
    section = re.search(r"data-summary>(.*?)</section>", html, re.S)
    assert section is not None
    return dict(re.findall(r'data-figure="(\w+)">([^<]*)<', section.group(1)))


SUMMARY_A = {
    "minutes": "8:00",
    "offset_yuan": "30.00",
    "offset_minutes": "3:00",
    "pool_left": "970.00",
    "volunteer_orgs": "1",
    "volunteers": "2",
    "low_income_volunteers": "1",
    "volunteers_served": "2",
    "claims_pending": "2",
    "claims_overdue": "1",
}


@pytest.mark.parametrize("role", [Role.STREET, Role.COMMUNITY])
def test_page_for_side_a_readers(cast, data, role):
    response = as_user(cast.users[role]).get(URL, {"year": "2026"})
    assert response.status_code == 200
    html = response.content.decode()
    assert summary(html) == SUMMARY_A
    assert table(html, "compound") == {
        "甲一号院": {
            "minutes": "360",
            "hours": "6:00",
            "offsets": "1",
            "offset_minutes": "180",
            "offset_yuan": "30.00",
        },
        "甲二号院": {
            "minutes": "120",
            "hours": "2:00",
            "offsets": "0",
            "offset_minutes": "0",
            "offset_yuan": "0.00",
        },
        "total": {
            "minutes": "480",
            "hours": "8:00",
            "offsets": "1",
            "offset_minutes": "180",
            "offset_yuan": "30.00",
        },
    }
    assert table(html, "month")["2026-05"]["hours"] == "0:00"  # 2:00 verified, 2:00 reversed
    assert table(html, "pools") == {
        "甲社区公益金": {
            "coverage": "甲社区",
            "contributed": "1000.00",
            "granted": "30.00",
            "left": "970.00",
        },
        "total": {"coverage": "", "contributed": "1000.00", "granted": "30.00", "left": "970.00"},
    }
    assert "乙" not in html
    # The street lists its communities, each a link to drill down; the community has no such table.
    if role == Role.STREET:
        assert set(table(html, "place")) == {"甲社区", "total"}
        assert f"?year=2026&amp;community={cast.a.community.pk}" in html
    else:
        assert 'data-table="place"' not in html


def test_district_page_lists_streets_and_drills(cast, data):
    client = as_user(cast.users[Role.DISTRICT])
    html = client.get(URL, {"year": "2026"}).content.decode()
    assert set(table(html, "place")) == {"甲街道", "乙街道", "total"}
    assert table(html, "place")["total"]["minutes"] == "600"
    drilled = client.get(URL, {"year": "2026", "street": cast.a.street.pk}).content.decode()
    assert summary(drilled) == SUMMARY_A
    assert set(table(drilled, "place")) == {"甲社区", "total"}
    community = client.get(URL, {"year": "2026", "community": cast.a.community.pk})
    assert summary(community.content.decode()) == SUMMARY_A


def test_outsider_page_and_drill_into_street_a(cast, data):
    client = as_user(cast.users["outsider"])
    html = client.get(URL, {"year": "2026"}).content.decode()
    assert summary(html)["minutes"] == "2:00"
    assert "甲" not in html
    assert client.get(URL, {"street": cast.a.street.pk}).status_code == 404
    assert client.get(URL, {"community": cast.a.community.pk}).status_code == 404
    assert client.get(EXPORT, {"street": cast.a.street.pk}).status_code == 404


@pytest.mark.parametrize(
    "who", [Role.GRID, Role.BRANCH, Role.COMMITTEE, Role.RESIDENT, Role.COMPANY, Role.INSPECTOR]
)
def test_other_roles_get_404(cast, who):
    client = as_user(cast.users[who])
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_anonymous_is_sent_to_sign_in():
    from laoyuan.factories import anonymous

    for address in (URL, EXPORT):
        response = anonymous().get(address)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={address}"


def test_bad_period_shows_this_year_with_a_message(cast):
    client = as_user(cast.users[Role.STREET])
    html = client.get(URL, {"from": "2026-05", "to": "2026-03"}).content.decode()
    assert "The range ends before it starts." in html
    assert "Give the year as four digits" in client.get(URL, {"year": "26"}).content.decode()
    assert client.get(EXPORT, {"from": "2026-05", "to": "2026-03"}).status_code == 404
    assert client.get(URL, {"street": "x"}).status_code == 404


def sheets(content: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(content))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def test_export_equals_the_page(cast, data):
    client = as_user(cast.users[Role.STREET])
    html = client.get(URL, {"year": "2026"}).content.decode()
    response = client.get(EXPORT, {"year": "2026"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="timebank-2026.xlsx"'
    book = sheets(response.content)
    assert list(book) == [
        "Summary",
        "By category",
        "By compound",
        "By month",
        "By community",
        "Pools",
    ]
    assert book["Summary"][1:] == [
        ["Minutes verified", 480],
        ["Yuan offset", 30],
        ["Minutes offset", 180],
        ["Left in the pools", 970],
        ["Volunteer organisations (active)", 1],
        ["Volunteers (active)", 2],
        ["Low-income volunteers", 1],
        ["Volunteers who served in the period", 2],
        ["Claims waiting for verification", 2],
        ["Claims past their day to verify", 1],
    ]
    assert book["By compound"] == [
        ["Compound", "Minutes verified", "Offsets granted", "Minutes offset", "Yuan offset"],
        ["甲一号院", 360, 1, 180, 30],
        ["甲二号院", 120, 0, 0, 0],
        ["Total", 480, 1, 180, 30],
    ]
    assert book["By category"][0] == ["Category", "Minutes verified"]
    assert book["By category"][-1] == ["Total", 480]
    assert [row[1] for row in book["By category"][1:-1]] == list(CATEGORIES_A.values())
    assert book["Pools"] == [
        ["Pool", "Serves", "Put in", "Granted", "Left"],
        ["甲社区公益金", "甲社区", 1000, 30, 970],
        ["Total", None, 1000, 30, 970],
    ]
    # Every hours table equals the page's, cell by cell.
    for sheet, name in [("By compound", "compound"), ("By month", "month")]:
        page = table(html, name)
        exported = {
            ("total" if row[0] == "Total" else row[0]): {
                "minutes": str(row[1]),
                "hours": minutes_label(row[1]),
                "offsets": str(row[2]),
                "offset_minutes": str(row[3]),
                "offset_yuan": f"{Decimal(str(row[4])):.2f}",
            }
            for row in book[sheet][1:]
        }
        assert exported == page
    cells = load_workbook(io.BytesIO(response.content))["By compound"]
    assert cells["E2"].number_format == "#,##0.00"


def test_export_of_a_drilled_month_range(cast, data):
    client = as_user(cast.users[Role.DISTRICT])
    response = client.get(EXPORT, {"from": "2026-03", "to": "2026-04", "street": cast.b.street.pk})
    assert response["Content-Disposition"] == (
        f'attachment; filename="timebank-2026-03_2026-04-street-{cast.b.street.pk}.xlsx"'
    )
    book = sheets(response.content)
    assert book["By month"] == [
        ["Month", "Minutes verified", "Offsets granted", "Minutes offset", "Yuan offset"],
        ["2026-03", 120, 0, 0, 0],
        ["2026-04", 0, 0, 0, 0],
        ["Total", 120, 0, 0, 0],
    ]
    assert book["By community"][1:] == [["乙社区", 120, 0, 0, 0], ["Total", 120, 0, 0, 0]]


# --- Constant queries ----------------------------------------------------------------------


def _more(cast, n, start_day):
    """``n`` more compounds of community A, each with a verified claim and a pending one."""
    from laoyuan.factories import CompoundFactory

    community = cast.users[Role.COMMUNITY]
    volunteer = (
        h.volunteer(cast) if start_day == 1 else claims.volunteer_of(cast.users[Role.RESIDENT])
    )
    for index in range(n):
        compound = CompoundFactory(grid=cast.a.grid)
        day = datetime.date(2026, 2, 1) + datetime.timedelta(days=start_day + index)
        done = _activity(community, compound, day, 9, 10, Category.PATROL)
        _verify(_claim(community, done, volunteer), community)
        waiting = _activity(community, compound, day, 14, 15, Category.ELDER)
        _claim(community, waiting, volunteer)


@pytest.mark.parametrize("role", [Role.DISTRICT, Role.STREET, Role.COMMUNITY])
def test_page_and_export_queries_do_not_grow(cast, role):
    h.pool(cast, "100.00")
    client = as_user(cast.users[role])
    _more(cast, 2, 1)
    client.get(URL, {"year": "2026"})  # warm the session and the language
    with CaptureQueriesContext(connection) as few:
        client.get(URL, {"year": "2026"})
    with CaptureQueriesContext(connection) as few_export:
        client.get(EXPORT, {"year": "2026"})
    _more(cast, 8, 10)
    h.pool(cast, "50.00", name="甲社区第二公益金")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, {"year": "2026"})
    with CaptureQueriesContext(connection) as many_export:
        client.get(EXPORT, {"year": "2026"})
    html = response.content.decode()
    assert summary(html)["minutes"] == "10:00"
    assert summary(html)["claims_pending"] == "10"
    assert len(table(html, "compound")) == 11
    assert len(many) == len(few)
    assert len(many_export) == len(few_export)


def test_overview_queries_do_not_grow(cast):
    street = cast.users[Role.STREET]
    _more(cast, 2, 1)
    reports.figures(street, YEAR)  # the user's scope is read once
    with CaptureQueriesContext(connection) as few:
        reports.figures(street, YEAR)
    _more(cast, 8, 10)
    with CaptureQueriesContext(connection) as many:
        found = reports.figures(street, YEAR)
    assert found is not None and found["minutes_verified"] == 600
    assert len(many) == len(few)


# --- The menu ------------------------------------------------------------------------------


def menu(client) -> list[str]:
    html = client.get("/").content.decode()
    block = re.search(r'data-nav="timebank">(.*?)</li>\{?', html, re.S)
    if block is None:
        return []
    found = re.search(r'<ul class="dropdown-menu" data-menu="timebank">(.*?)</ul>', html, re.S)
    assert found is not None
    return re.findall(r'href="(/timebank/[^"]*)"', found.group(1))


def test_menu_by_role(cast):
    assert menu(as_user(cast.users[Role.RESIDENT])) == ["/timebank/", "/timebank/activities/"]
    assert menu(as_user(cast.users[Role.COMMUNITY])) == [
        "/timebank/verify/",
        "/timebank/activities/",
        "/timebank/orgs/",
        "/timebank/volunteers/",
        "/timebank/pools/",
        "/timebank/rates/",
        "/timebank/reports/",
    ]
    assert menu(as_user(cast.users[Role.DISTRICT])) == [
        "/timebank/activities/",
        "/timebank/orgs/",
        "/timebank/volunteers/",
        "/timebank/pools/",
        "/timebank/rates/",
        "/timebank/reports/",
    ]
    assert menu(as_user(cast.users[Role.GRID])) == ["/timebank/activities/"]
    assert menu(as_user(cast.users[Role.COMPANY])) == []
    assert menu(as_user(cast.users[Role.INSPECTOR])) == []
