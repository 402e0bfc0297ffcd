"""Each hand's queue: exact contents per role against the outsider, overdue first, filters,
tabs, role switching and a constant number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.factories import as_user, grant, user_with
from laoyuan.workorders.enums import Escalation, Status, TeamKind
from laoyuan.workorders.models import Category, Team, WorkOrder
from laoyuan.workorders.queries import queue
from laoyuan.workorders.services.orders import create_order

pytestmark = pytest.mark.django_db

URL = reverse("workorders:queue")
ROW = re.compile(r'<tr data-order="(\d+)"')


def make(
    cast,
    status,
    *,
    compound=None,
    company=None,
    escalation=0,
    team=None,
    late=False,
    category="repair",
    description="楼道灯不亮",
    hours_left=24,
):
    """An order of side A's compound in ``status`` (statuses set directly: these tests read
    queues, not moves). ``late`` puts its running target in the past."""
    compound = compound or cast.a.compound
    order = (
        create_order(
            actor=cast.users[Role.STREET] if compound.street_id == cast.a.street.pk else None,
            compound=compound,
            category=Category.objects.get(code=category),
            description=description,
        )
        if compound.street_id == cast.a.street.pk
        else create_order(
            actor=user_with(Role.STREET, compound.street),
            compound=compound,
            category=Category.objects.get(code=category),
            description=description,
        )
    )
    now = timezone.now()
    due = now + datetime.timedelta(hours=-hours_left if late else hours_left)
    WorkOrder.objects.filter(pk=order.pk).update(
        status=status,
        company=company,
        team=team,
        escalation=escalation,
        response_due=due,
        resolution_due=due,
    )
    return WorkOrder.objects.get(pk=order.pk)


@pytest.fixture
def orders(cast):
    a, b = cast.a, cast.b
    team = Team.objects.create(
        district=a.street.district, street=a.street, kind=TeamKind.EMERGENCY, name="甲街道应急站"
    )
    return {
        "ordered": make(cast, Status.ORDERED),
        "returned": make(cast, Status.RETURNED),
        "dispatched": make(cast, Status.DISPATCHED, company=a.company),
        "accepted": make(cast, Status.ACCEPTED, company=a.company),
        "in_progress": make(cast, Status.IN_PROGRESS, company=a.company),
        "done": make(cast, Status.DONE, company=a.company),
        # The other compound has no committee: the community verifies from done.
        "done_no_committee": make(cast, Status.DONE, compound=a.other_compound, company=a.company),
        "supervised": make(cast, Status.SUPERVISED, company=a.company),
        "verified": make(cast, Status.VERIFIED, company=a.company),
        "rated": make(cast, Status.RATED, company=a.company),
        "closed": make(cast, Status.CLOSED, company=a.company),
        "escalated_community": make(cast, Status.ORDERED, escalation=Escalation.COMMUNITY),
        "escalated_street": make(
            cast, Status.ACCEPTED, company=a.company, escalation=Escalation.STREET, late=True
        ),
        "street_team": make(cast, Status.DISPATCHED, team=team),
        "b_ordered": make(cast, Status.ORDERED, compound=b.compound),
        "b_escalated": make(cast, Status.ORDERED, compound=b.compound, escalation=2),
    }


def ids(orders, *names):
    return {orders[name].pk for name in names}


def shown(response):
    return [int(pk) for pk in ROW.findall(response.content.decode())]


EXPECTED = {
    Role.BRANCH: ("ordered", "returned", "escalated_community"),
    Role.COMPANY: ("dispatched", "accepted", "in_progress", "escalated_street"),
    Role.COMMITTEE: ("done",),
    Role.COMMUNITY: (
        "done_no_committee",
        "supervised",
        "rated",
        "escalated_community",
        "escalated_street",
    ),
    Role.STREET: ("escalated_street", "street_team"),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_roles_queue_holds_exactly_its_orders(cast, orders, role):
    response = as_user(cast.users[role]).get(URL, {"role": role})
    assert response.status_code == 200
    assert set(shown(response)) == ids(orders, *EXPECTED[role])
    assert set(queue(cast.users[role], role).values_list("pk", flat=True)) == ids(
        orders, *EXPECTED[role]
    )
    # Each row links to the order's page.
    first = shown(response)[0]
    assert reverse("workorders:detail", args=[first]) in response.content.decode()


def test_the_outsider_sees_only_their_own_streets_escalations(cast, orders):
    outsider = cast.users["outsider"]
    response = as_user(outsider).get(URL, {"role": Role.STREET})
    assert shown(response) == [orders["b_escalated"].pk]
    body = response.content.decode()
    assert cast.a.compound.name not in body
    # Another side's compound is not offered as a filter either.
    compounds = re.search(r'<select name="compound".*?</select>', body, re.S).group(0)
    assert re.findall(r'<option value="(\d+)"', compounds) == [str(cast.b.compound.pk)]


@pytest.mark.parametrize("role", [Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.COMMUNITY])
def test_a_queue_of_a_role_not_held_is_404(cast, orders, role):
    assert as_user(cast.users["outsider"]).get(URL, {"role": role}).status_code == 404
    assert queue(cast.users["outsider"], role).count() == 0


def test_no_queue_role_is_404_and_anonymous_signs_in(cast):
    assert as_user(cast.users[Role.RESIDENT]).get(URL).status_code == 404
    assert as_user(cast.users[Role.INSPECTOR]).get(URL, {"role": "inspector"}).status_code == 404
    assert as_user(cast.users[Role.BRANCH]).get(URL, {"role": "nonsense"}).status_code == 404
    from laoyuan.factories import anonymous

    assert anonymous().get(URL).status_code == 302


def test_overdue_first_then_by_due_time_and_marked(cast):
    later = make(cast, Status.ORDERED, hours_left=48)
    sooner = make(cast, Status.ORDERED, hours_left=2)
    late_little = make(cast, Status.RETURNED, late=True, hours_left=1)
    late_long = make(cast, Status.ORDERED, late=True, hours_left=30)
    response = as_user(cast.users[Role.BRANCH]).get(URL, {"role": Role.BRANCH})
    assert shown(response) == [late_long.pk, late_little.pk, sooner.pk, later.pk]
    body = response.content.decode()
    assert f'<tr data-order="{late_long.pk}" class="overdue table-danger">' in body
    assert f'<tr data-order="{sooner.pk}">' in body
    assert body.count("data-overdue>Overdue</span>") == 2
    assert 'data-late="2"' in body


def test_filters_and_tab_counts(cast, orders):
    client = as_user(cast.users[Role.COMMUNITY])
    role = {"role": Role.COMMUNITY}
    body = client.get(URL, role).content.decode()
    # Tabs: all, then each status with its count.
    assert re.findall(
        r'data-tab="(\w*)">[^<]*<span class="badge text-bg-secondary" data-count>'
        r"(\d+)",
        body,
    ) == [
        ("", "5"),
        ("supervised", "1"),
        ("done", "1"),
        ("rated", "1"),
        ("ordered", "1"),
        ("accepted", "1"),
    ]
    assert shown(client.get(URL, {**role, "status": "rated"})) == [orders["rated"].pk]
    assert set(shown(client.get(URL, {**role, "compound": cast.a.other_compound.pk}))) == {
        orders["done_no_committee"].pk
    }
    assert shown(client.get(URL, {**role, "overdue": "on"})) == [orders["escalated_street"].pk]
    assert shown(client.get(URL, {**role, "q": f"#{orders['supervised'].pk}"})) == [
        orders["supervised"].pk
    ]
    leak = make(cast, Status.SUPERVISED, company=cast.a.company, description="屋顶漏水")
    assert shown(client.get(URL, {**role, "q": "漏水"})) == [leak.pk]
    complaint = make(cast, Status.RATED, category="complaint")
    assert shown(
        client.get(URL, {**role, "category": Category.objects.get(code="complaint").pk})
    ) == [complaint.pk]
    # A status outside the queue is ignored (all tabs shown).
    assert len(shown(client.get(URL, {**role, "status": "closed"}))) == 7


def test_role_switcher_for_several_roles(cast, orders):
    user = cast.users[Role.BRANCH]
    grant(user, Role.COMMUNITY, cast.a.community)
    client = as_user(user)
    body = client.get(URL).content.decode()
    assert 'data-role="branch"' in body and 'data-role="community"' in body
    assert set(shown(client.get(URL))) == ids(orders, *EXPECTED[Role.BRANCH])
    assert set(shown(client.get(URL, {"role": Role.COMMUNITY}))) == ids(
        orders, *EXPECTED[Role.COMMUNITY]
    )


def test_empty_state_per_role(cast):
    body = as_user(cast.users[Role.COMMITTEE]).get(URL).content.decode()
    assert "No finished work waits for supervision." in body
    assert "data-empty" in body


def test_pagination(cast):
    for _ in range(27):
        make(cast, Status.ORDERED)
    client = as_user(cast.users[Role.BRANCH])
    assert len(shown(client.get(URL, {"role": Role.BRANCH}))) == 25
    assert len(shown(client.get(URL, {"role": Role.BRANCH, "page": 2}))) == 2


@pytest.mark.parametrize("role", list(EXPECTED))
def test_constant_queries(cast, role, django_assert_num_queries):
    status = {
        Role.BRANCH: Status.ORDERED,
        Role.COMPANY: Status.ACCEPTED,
        Role.COMMITTEE: Status.DONE,
        Role.COMMUNITY: Status.SUPERVISED,
        Role.STREET: Status.ACCEPTED,
    }[role]
    for _ in range(2):
        make(cast, status, company=cast.a.company, escalation=Escalation.STREET)
    client = as_user(cast.users[role])
    with CaptureQueriesContext(connection) as few:
        assert len(shown(client.get(URL, {"role": role}))) == 2
    for _ in range(28):
        make(cast, status, company=cast.a.company, escalation=Escalation.STREET, late=True)
    client = as_user(cast.users[role])
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(shown(client.get(URL, {"role": role}))) == 25
