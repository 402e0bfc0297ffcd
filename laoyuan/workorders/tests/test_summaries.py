"""The monthly work-order summaries (``workorders.summaries``): kept by the services in step with
the orders, read by the dashboard's figures and trend, proven and rebuilt by
``workorder_months``."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from laoyuan.accounts.enums import Role
from laoyuan.factories import grant, user_with
from laoyuan.workorders import reports, summaries
from laoyuan.workorders.enums import Action
from laoyuan.workorders.models import OrderMonth, WorkOrder
from laoyuan.workorders.reports import Period, rates
from laoyuan.workorders.services.transitions import transition
from laoyuan.workorders.tests.report_orders import MARCH, at, build_report_set
from laoyuan.workorders.tests.test_reports import NOTHING, SIDE_A_MARCH, figures

pytestmark = pytest.mark.django_db

FEB, APRIL = datetime.date(2026, 2, 1), datetime.date(2026, 4, 1)
FIRST_QUARTER = Period(datetime.date(2026, 1, 1), datetime.date(2026, 4, 30))


@pytest.fixture
def orders(cast, repair):
    return build_report_set(cast, repair)


def summed(user, now, **narrow):
    return [figures(row) for row in reports._months_summed(user, FIRST_QUARTER, now, **narrow)]


def counted(user, now, **narrow):
    report = rates(user, FIRST_QUARTER.start, FIRST_QUARTER.end, by="month", now=now, **narrow)
    return [figures(row) for row in report.rows]


def test_the_services_keep_the_summaries_equal_to_the_orders(cast, orders):
    assert list(summaries.mismatches()) == []
    march = OrderMonth.objects.get(compound=cast.a.compound, month=MARCH, company=cast.a.company)
    # O1, O2, O3 given to the company (O4 was cancelled before dispatch: its own row).
    assert (march.created, march.responded, march.accepted, march.verified) == (3, 2, 3, 3)
    assert (march.due, march.resolved, march.rated, march.satisfied) == (4, 2, 3, 2)
    assert march.accept_time == datetime.timedelta(hours=24 + 26 + 1)
    assert march.verify_time == datetime.timedelta(hours=120 + 144 + 48)
    undispatched = OrderMonth.objects.get(compound=cast.a.compound, month=MARCH, company=None)
    assert (undispatched.created, undispatched.due, undispatched.accepted) == (1, 1, 0)


@pytest.mark.parametrize(
    "now",
    [at(3, 12, 0), at(4, 20, 0), at(6, 1, 0)],
    ids=["mid-march", "mid-april", "june"],
)
def test_months_read_from_the_summaries_equal_the_rates_by_month(cast, orders, now):
    """Every figure of every month, for each reader and narrowed: in a running month only the
    orders due so far are due (mid-March: O3 and O4 are not due yet)."""
    company = user_with(Role.COMPANY, cast.a.company)
    readers = [cast.users[role] for role in (Role.STREET, Role.COMMUNITY, Role.DISTRICT)]
    readers += [company, cast.users["outsider"]]
    for user in readers:
        assert summed(user, now) == counted(user, now), user
    street = cast.users[Role.STREET]
    narrow = {"community_id": cast.a.community.pk}
    assert summed(street, now, **narrow) == counted(street, now, **narrow)
    if now >= at(4, 1, 0):
        assert summed(street, now)[2] == SIDE_A_MARCH
    else:
        assert summed(street, now)[2][3:6] == (3, 2, Decimal("0.6667"))
    assert summed(street, now)[0] == NOTHING


def test_a_company_reads_the_complaints_of_its_compounds_only_once_given_them(cast, orders):
    from laoyuan.workorders.enums import CategoryKind
    from laoyuan.workorders.models import Category
    from laoyuan.workorders.services.orders import create_order

    complaint = Category.objects.filter(kind=CategoryKind.COMPLAINT).first()
    order = create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=complaint,
        description="物业不作为",
        now=at(3, 6, 10),
    )
    assert order.company_id != cast.a.company.pk
    company = user_with(Role.COMPANY, cast.a.company)
    now = at(4, 20, 0)
    assert summed(company, now) == counted(company, now)
    # O1-O4 of the compound it manages (O4 never given to anyone), not the complaint.
    assert summed(company, now)[2][0] == 4
    street = cast.users[Role.STREET]
    assert summed(street, now)[2][0] == counted(street, now)[2][0] == 5


def test_a_reopened_order_moves_its_figures_to_their_new_months(cast, orders):
    """O2 (rated 2 on 03-11) is reopened on 03-12: its resolution target moves to 03-17; it is
    accepted again on 04-02 and verified on 04-03. March loses its acceptance; April gains it."""
    resident, company = cast.users[Role.RESIDENT], user_with(Role.COMPANY, cast.a.company)
    grant(company, Role.COMPANY, cast.a.company)
    step = {"order_id": orders.o2.pk}
    transition(**step, actor=resident, action=Action.REOPEN, now=at(3, 12, 9))
    transition(**step, actor=company, action=Action.ACCEPT, now=at(4, 2, 9))
    assert list(summaries.mismatches()) == []
    street, now = cast.users[Role.STREET], at(6, 1, 0)
    assert summed(street, now) == counted(street, now)
    march, april = summed(street, now)[2], summed(street, now)[3]
    assert (march[0], april[0]) == (4, 0)  # created stays in March
    # Accepted in March: O1 and O3 ((24 + 1) / 2 h); in April O2, 695 h after it was reported.
    assert (march[9], april[9]) == (Decimal("12.5"), Decimal("695.0"))


def test_workorder_months_finds_a_change_made_past_the_services_and_rebuild_mends_it(cast, orders):
    WorkOrder.objects.filter(pk=orders.o3.pk).update(accepted_at=at(4, 1, 9))
    with pytest.raises(
        CommandError,
        match=(
            f"the orders of compound {cast.a.compound.pk} and company {cast.a.company.pk} for "
            "2026-03 \\(complaints: False\\) give created 3, responded 1, "
        ),
    ):
        call_command("workorder_months", stdout=io.StringIO())
    out = io.StringIO()
    call_command("workorder_months", "--rebuild", stdout=out)
    assert "the monthly work-order summaries equal the orders" in out.getvalue()
    street = cast.users[Role.STREET]
    assert summed(street, at(6, 1, 0)) == counted(street, at(6, 1, 0))


def test_the_overview_reads_the_summaries(cast, orders):
    """A month's figures come from the summaries: a wrong row shows (and the check finds it)."""
    street = cast.users[Role.STREET]
    march = reports.month_period(MARCH)
    assert reports.figures(street, march, now=at(6, 1, 0))["created"] == 4
    OrderMonth.objects.filter(month=MARCH, company=cast.a.company).update(created=F("created") + 10)
    assert reports.figures(street, march, now=at(6, 1, 0))["created"] == 14
    assert rates(street, MARCH, datetime.date(2026, 3, 31), now=at(6, 1, 0)).total.created == 4
