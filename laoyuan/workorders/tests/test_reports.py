"""The three rates and the average times (``workorders.reports``), the reports page and its
Excel export, on the hand-built set of ``report_orders`` (figures worked out there)."""

import datetime
from decimal import Decimal

import pytest

from laoyuan.accounts.enums import Role
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
