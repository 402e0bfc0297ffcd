"""The three rates and the average times (``workorders.reports``), the reports page and its
Excel export, on the hand-built set of ``report_orders`` (figures worked out there)."""

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
from laoyuan.factories import as_user
from laoyuan.workorders import reports
from laoyuan.workorders.models import WorkOrder
from laoyuan.workorders.reports import Period, RateRow, mean_hours, rate, rates
from laoyuan.workorders.tests.report_orders import MARCH, at, build_report_set

pytestmark = pytest.mark.django_db

MARCH_END = datetime.date(2026, 3, 31)
URL = "/workorders/reports/"
EXPORT = "/workorders/reports/export/"


@pytest.fixture
def orders(cast, repair):
    return build_report_set(cast, repair)


def figures(row: RateRow) -> tuple:
    return (
        row.created,
        row.responded,
        row.response_rate,
        row.due,
        row.resolved,
        row.resolution_rate,
        row.rated,
        row.satisfied,
        row.satisfaction_rate,
        row.avg_hours_to_accept,
        row.avg_hours_to_verify,
    )


SIDE_A_MARCH = (
    4,
    2,
    Decimal("0.5000"),
    5,
    2,
    Decimal("0.4000"),
    3,
    2,
    Decimal("0.6667"),
    Decimal("17.0"),
    Decimal("104.0"),
)
# Side B's one order, created in March (due 03-10) and never accepted.
SIDE_B_MARCH = (1, 0, Decimal("0.0000"), 1, 0, Decimal("0.0000"), 0, 0, None, None, None)
NOTHING = (0, 0, None, 0, 0, None, 0, 0, None, None, None)


def test_rate_and_hours_rounding():
    assert rate(2, 3) == Decimal("0.6667")
    assert rate(1, 8) == Decimal("0.1250")
    assert rate(0, 0) is None
    assert mean_hours(datetime.timedelta(hours=10, minutes=3), 1) == Decimal("10.1")
    assert mean_hours(datetime.timedelta(minutes=3), 1) == Decimal("0.1")  # half-up
    assert mean_hours(datetime.timedelta(days=2, hours=1), 2) == Decimal("24.5")
    assert mean_hours(datetime.timedelta(), 0) is None


def test_by_compound_exact_figures(cast, orders):
    report = rates(cast.users[Role.STREET], MARCH, MARCH_END, by="compound")

    assert [(row.key, row.label) for row in report.rows] == [
        (cast.a.compound.pk, cast.a.compound.name)
    ]
    assert figures(report.rows[0]) == SIDE_A_MARCH
    assert figures(report.total) == SIDE_A_MARCH
    assert report.total.label == "Total"


def test_boundaries_at_the_targets_count_as_within(cast, orders):
    """O1 was accepted exactly at its response target and verified exactly at its resolution
    target; one second later and neither counts."""
    o1 = orders.o1
    assert o1.accepted_at == o1.response_due
    assert o1.verified_at == o1.resolution_due
    WorkOrder.objects.filter(pk=o1.pk).update(
        accepted_at=o1.response_due + datetime.timedelta(seconds=1),
        verified_at=o1.resolution_due + datetime.timedelta(seconds=1),
    )
    total = rates(cast.users[Role.STREET], MARCH, MARCH_END).total
    assert (total.responded, total.response_rate) == (1, Decimal("0.2500"))
    assert (total.resolved, total.resolution_rate) == (1, Decimal("0.2000"))


def test_period_edges_are_local_days(cast, orders):
    """March 1st 00:00 in Shanghai starts March; O5's verification on 03-01 12:00 falls in
    March, its creation on 02-27 in February."""
    feb = rates(cast.users[Role.STREET], datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert figures(feb.total) == (
        1,
        1,
        Decimal("1.0000"),
        0,
        0,
        None,
        0,
        0,
        None,
        Decimal("1.0"),
        None,
    )
    one_day = rates(cast.users[Role.STREET], datetime.date(2026, 3, 2), datetime.date(2026, 3, 2))
    # Created O1 (09:00); rated O5 (09:00); nothing accepted, due or verified that day.
    assert (one_day.total.created, one_day.total.rated, one_day.total.satisfied) == (1, 1, 1)
    assert one_day.period.label == "2026-03-02_2026-03-02"


def test_due_means_not_after_now(cast, orders):
    """Orders whose resolution target is still ahead are not due yet."""
    now = at(3, 12, 0)  # O3 (due 03-15) and O4 (due 03-25) are not due yet
    total = rates(cast.users[Role.STREET], MARCH, MARCH_END, now=now).total
    assert (total.due, total.resolved, total.resolution_rate) == (3, 2, Decimal("0.6667"))


def test_by_month_each_figure_in_its_own_month(cast, orders):
    report = rates(cast.users[Role.STREET], datetime.date(2026, 1, 1), MARCH_END, by="month")

    assert [row.label for row in report.rows] == ["2026-01", "2026-02", "2026-03"]
    assert [row.key for row in report.rows] == [
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
        MARCH,
    ]
    assert figures(report.rows[0]) == NOTHING
    assert figures(report.rows[1]) == (
        1,
        1,
        Decimal("1.0000"),
        0,
        0,
        None,
        0,
        0,
        None,
        Decimal("1.0"),
        None,
    )
    assert figures(report.rows[2]) == SIDE_A_MARCH
    # The total is the sum of the months' counts, and its averages are over all of them.
    assert (report.total.created, report.total.accepted) == (5, 4)
    assert report.total.avg_hours_to_accept == Decimal("13.0")  # (1 + 24 + 26 + 1) / 4


def test_by_company_keeps_undispatched_orders_apart(cast, orders):
    report = rates(cast.users[Role.STREET], MARCH, MARCH_END, by="company")

    assert [(row.key, row.label) for row in report.rows] == [
        (cast.a.company.pk, cast.a.company.name),
        (None, "(not yet dispatched)"),
    ]
    # O4 was cancelled before dispatch: created and due, never accepted.
    assert figures(report.rows[1]) == (
        1,
        0,
        Decimal("0.0000"),
        1,
        0,
        Decimal("0.0000"),
        0,
        0,
        None,
        None,
        None,
    )
    assert report.rows[0].created == 3
    assert figures(report.total) == SIDE_A_MARCH


def test_by_branch_and_by_street(cast, orders):
    by_branch = rates(cast.users[Role.DISTRICT], MARCH, MARCH_END, by="branch")
    assert [row.label for row in by_branch.rows] == ["乙一号院党支部", "甲一号院党支部"]
    assert figures(by_branch.rows[0]) == SIDE_B_MARCH
    assert figures(by_branch.rows[1]) == SIDE_A_MARCH

    by_street = rates(cast.users[Role.DISTRICT], MARCH, MARCH_END, by="street")
    assert [(row.key, row.label) for row in by_street.rows] == [
        (cast.b.street.pk, "乙街道"),
        (cast.a.street.pk, "甲街道"),
    ]
    assert by_street.total.created == 5
    assert by_street.total.response_rate == Decimal("0.4000")


def test_compound_without_a_branch(cast, repair, orders):
    from laoyuan.workorders.services.orders import create_order

    create_order(
        actor=cast.users[Role.STREET],
        compound=cast.a.other_compound,
        category=repair,
        description="二号院路灯",
        now=at(3, 6, 10),
    )
    report = rates(cast.users[Role.STREET], MARCH, MARCH_END, by="branch")
    assert [(row.key, row.label, row.created) for row in report.rows] == [
        (report.rows[0].key, "甲一号院党支部", 4),
        (None, "(no party branch)", 1),
    ]


@pytest.mark.parametrize("by", reports.REPORT_BY)
def test_outsider_and_empty_periods(cast, orders, by):
    outsider = rates(cast.users["outsider"], MARCH, MARCH_END, by=by)
    assert figures(outsider.total) == SIDE_B_MARCH
    empty = rates(
        cast.users[Role.STREET], datetime.date(2025, 6, 1), datetime.date(2025, 6, 30), by=by
    )
    assert figures(empty.total) == NOTHING
    assert empty.rows == ([] if by != "month" else empty.rows)
    other = rates(cast.users["other_district"], MARCH, MARCH_END, by=by)
    assert figures(other.total) == NOTHING


@pytest.mark.parametrize(
    "role", [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.BRANCH, Role.COMPANY, Role.COMMITTEE]
)
def test_every_reader_of_side_a(cast, orders, role):
    report = rates(cast.users[role], MARCH, MARCH_END, by="compound")
    a_rows = [row for row in report.rows if row.key == cast.a.compound.pk]
    assert figures(a_rows[0]) == SIDE_A_MARCH
    assert cast.b.compound.pk not in [row.key for row in report.rows] or role == Role.DISTRICT


@pytest.mark.parametrize("role", [Role.GRID, Role.RESIDENT, Role.INSPECTOR])
def test_other_roles_read_no_rates(cast, orders, role):
    assert figures(rates(cast.users[role], MARCH, MARCH_END).total) == NOTHING


def test_unknown_grouping():
    with pytest.raises(ValueError):
        rates(None, MARCH, MARCH_END, by="grid")


def test_period_months():
    assert Period(datetime.date(2025, 11, 15), datetime.date(2026, 2, 1)).months() == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]
    assert Period(MARCH, MARCH_END).label == "2026-03"


# --- The page and its export ------------------------------------------------------------------

READERS = [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.BRANCH, Role.COMPANY, Role.COMMITTEE]


def page_rows(html: str) -> dict[str, dict[str, str]]:
    """The table's rows by their label ("total" for the total): {cell name: text}."""
    rows = {}
    for label, body in re.findall(r'<tr data-row="([^"]*)">(.*?)</tr>', html, re.S):
        rows[unescape(label)] = dict(re.findall(r'data-cell="(\w+)">([^<]*)</td>', body))
    return rows


def shown(row: RateRow) -> dict[str, str]:
    """How the page shows a row's figures."""

    def percent(value):
        return "—" if value is None else f"{value * 100:.2f}%"

    def hours(value):
        return "—" if value is None else str(value)

    return {
        "created": str(row.created),
        "responded": str(row.responded),
        "response_rate": percent(row.response_rate),
        "due": str(row.due),
        "resolved": str(row.resolved),
        "resolution_rate": percent(row.resolution_rate),
        "rated": str(row.rated),
        "satisfied": str(row.satisfied),
        "satisfaction_rate": percent(row.satisfaction_rate),
        "avg_hours_to_accept": hours(row.avg_hours_to_accept),
        "avg_hours_to_verify": hours(row.avg_hours_to_verify),
    }


SIDE_A_SHOWN = {
    "created": "4",
    "responded": "2",
    "response_rate": "50.00%",
    "due": "5",
    "resolved": "2",
    "resolution_rate": "40.00%",
    "rated": "3",
    "satisfied": "2",
    "satisfaction_rate": "66.67%",
    "avg_hours_to_accept": "17.0",
    "avg_hours_to_verify": "104.0",
}


@pytest.mark.parametrize("role", READERS)
def test_page_for_each_reader(cast, orders, role):
    response = as_user(cast.users[role]).get(URL, {"period": "2026-03", "by": "compound"})

    assert response.status_code == 200
    rows = page_rows(response.content.decode())
    assert rows[cast.a.compound.name] == SIDE_A_SHOWN
    if role == Role.DISTRICT:
        assert set(rows) == {cast.a.compound.name, cast.b.compound.name, "total"}
        assert rows["total"]["created"] == "5"
    else:
        assert set(rows) == {cast.a.compound.name, "total"}
        assert rows["total"] == SIDE_A_SHOWN


def test_outsider_sees_only_their_street(cast, orders):
    response = as_user(cast.users["outsider"]).get(URL, {"period": "2026-03", "by": "street"})

    html = response.content.decode()
    assert response.status_code == 200
    assert set(page_rows(html)) == {"乙街道", "total"}
    assert "甲" not in html
    other = as_user(cast.users["other_district"]).get(URL, {"period": "2026-03"})
    assert "data-empty" in other.content.decode()
    assert page_rows(other.content.decode()) == {}


@pytest.mark.parametrize("who", [Role.GRID, Role.RESIDENT, Role.INSPECTOR])
def test_other_roles_get_404(cast, orders, who):
    client = as_user(cast.users[who])
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT, {"period": "2026-03"}).status_code == 404


def test_anonymous_is_sent_to_sign_in():
    from laoyuan.factories import anonymous

    for address in (URL, EXPORT):
        response = anonymous().get(address)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={address}"


@pytest.mark.parametrize("role", [Role.COMMUNITY, Role.BRANCH, Role.COMPANY, Role.COMMITTEE])
def test_side_b_hands_see_none_of_side_a(cast, orders, role):
    """The same roles on side B (its community, its compound's branch and committee, its
    company) read side B's one order, nothing of side A, on the page and in the export."""
    from laoyuan.factories import user_with

    scope = {
        Role.COMMUNITY: cast.b.community,
        Role.BRANCH: cast.b.compound,
        Role.COMPANY: cast.b.company,
        Role.COMMITTEE: cast.b.compound,
    }[role]
    client = as_user(user_with(role, scope))
    params = {"period": "2026-03", "by": "compound"}
    html = client.get(URL, params).content.decode()
    assert page_rows(html) == {
        cast.b.compound.name: shown(rates(cast.users["outsider"], MARCH, MARCH_END).total),
        "total": shown(rates(cast.users["outsider"], MARCH, MARCH_END).total),
    }
    assert "甲" not in html
    exported = export_rows(client.get(EXPORT, params).content)
    assert [row[0] for row in exported[1:]] == [cast.b.compound.name, "Total"]
    assert exported[2][1] == 1


def export_rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("by", reports.REPORT_BY)
def test_export_equals_the_page(cast, orders, by):
    client = as_user(cast.users[Role.DISTRICT])
    params = {"start": "2026-02-01", "end": "2026-03-31", "by": by}
    page = page_rows(client.get(URL, params).content.decode())
    response = client.get(EXPORT, params)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="workorder-rates-2026-02-01_2026-03-31-by-{by}.xlsx"'
    )
    rows = export_rows(response.content)
    assert rows[0][1:] == [
        "Orders reported",
        "Accepted in time",
        "Response rate",
        "Orders due",
        "Verified in time",
        "Resolution rate",
        "Orders rated",
        "Rated 4 or 5",
        "Satisfaction rate",
        "Average hours to accept",
        "Average hours to verify",
    ]
    names = list(shown(RateRow(None, "")))
    exported = {}
    for row in rows[1:]:
        cells = {}
        for name, value in zip(names, row[1:], strict=True):
            if value is None:
                cells[name] = "—"
            elif name.endswith("_rate"):
                cells[name] = f"{Decimal(str(value)) * 100:.2f}%"
            elif name.startswith("avg_"):
                cells[name] = f"{Decimal(str(value)):.1f}"
            else:
                cells[name] = str(value)
        exported["total" if row[0] == "Total" else row[0]] = cells
    assert exported == page
    expected = rates(cast.users[Role.DISTRICT], datetime.date(2026, 2, 1), MARCH_END, by=by)
    assert page["total"] == shown(expected.total)
    assert exported["total"]["created"] == "6"


def test_export_of_a_month_is_named_by_it(cast, orders):
    response = as_user(cast.users[Role.STREET]).get(EXPORT, {"period": "2026-03", "by": "month"})
    assert response["Content-Disposition"] == (
        'attachment; filename="workorder-rates-2026-03-by-month.xlsx"'
    )
    rows = export_rows(response.content)
    assert rows[0][0] == "Month"
    assert [row[0] for row in rows[1:]] == ["2026-03", "Total"]
    assert rows[1][1:4] == [4, 2, 0.5]


@pytest.mark.parametrize("place", ["street", "community"])
def test_narrowed_to_a_street_or_community(cast, orders, place):
    """The district narrowed to side A's street or community sees side A's figures only, on the
    page, in its month links and in the export; a place outside the reader's scope is 404."""
    client = as_user(cast.users[Role.DISTRICT])
    pk = getattr(cast.a, place).pk
    params = {"period": "2026-03", "by": "compound", place: pk}
    html = client.get(URL, params).content.decode()
    rows = page_rows(html)
    assert rows == {cast.a.compound.name: SIDE_A_SHOWN, "total": SIDE_A_SHOWN}
    assert f"period=2026-02&amp;by=compound&amp;{place}={pk}" in html
    assert f'<input type="hidden" name="{place}" value="{pk}">' in html
    response = client.get(EXPORT, params)
    assert response["Content-Disposition"] == (
        f'attachment; filename="workorder-rates-2026-03-{place}{pk}-by-compound.xlsx"'
    )
    assert [row[0] for row in export_rows(response.content)[1:]] == [
        cast.a.compound.name,
        "Total",
    ]
    street = as_user(cast.users[Role.STREET])
    assert street.get(URL, {place: getattr(cast.b, place).pk}).status_code == 404
    assert street.get(EXPORT, {place: getattr(cast.b, place).pk}).status_code == 404
    # A grid worker of street A holds no report role there: 404 even inside their grid.
    assert as_user(cast.users[Role.GRID]).get(URL, {place: pk}).status_code == 404


def test_bad_period_shows_this_month_with_a_message(cast, orders):
    client = as_user(cast.users[Role.STREET])
    response = client.get(URL, {"start": "2026-03-31", "end": "2026-03-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The range ends before it starts." in html
    assert client.get(EXPORT, {"start": "2026-03-31", "end": "2026-03-01"}).status_code == 404
    assert "Give the month as YYYY-MM." in client.get(URL, {"period": "2026-13"}).content.decode()
    # An unknown grouping falls back to compounds.
    assert (
        page_rows(client.get(URL, {"period": "2026-03", "by": "x"}).content.decode())[
            cast.a.compound.name
        ]
        == SIDE_A_SHOWN
    )


def _compounds_with_orders(cast, repair, n):
    from laoyuan.factories import CompoundFactory
    from laoyuan.orgs.enums import PartyLevel
    from laoyuan.orgs.models import PartyOrg
    from laoyuan.workorders.services.orders import create_order

    for index in range(n):
        compound = CompoundFactory(grid=cast.a.grid)
        if index % 2:
            PartyOrg.objects.create(
                level=PartyLevel.COMPOUND_BRANCH,
                name=f"支部{index}",
                street=cast.a.street,
                community=cast.a.community,
                compound=compound,
            )
        order = create_order(
            actor=cast.users[Role.STREET],
            compound=compound,
            category=repair,
            description="灯不亮",
            now=at(3, 3, 10),
        )
        WorkOrder.objects.filter(pk=order.pk).update(
            status="rated",
            accepted_at=at(3, 3, 11),
            verified_at=at(3, 4, 10),
            rated_at=at(3, 5, 10),
            rating=5,
            company=cast.a.company,
        )


@pytest.mark.parametrize("by", reports.REPORT_BY)
def test_page_queries_do_not_grow_with_compounds(cast, repair, by):
    client = as_user(cast.users[Role.STREET])
    params = {"start": "2026-01-01", "end": "2026-03-31", "by": by}
    _compounds_with_orders(cast, repair, 2)
    client.get(URL, params)  # warm the session and the language
    with CaptureQueriesContext(connection) as few:
        response = client.get(URL, params)
    assert response.status_code == 200
    _compounds_with_orders(cast, repair, 18)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL, params)
    assert page_rows(response.content.decode())["total"]["created"] == "20"
    assert len(many) == len(few)
