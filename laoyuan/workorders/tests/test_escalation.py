"""Overdue orders rise one level (branch → community → street): at their target, and at their
target again; the level's users are told and may dispatch. The command and the Celery tasks."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.inbox.models import Notification
from laoyuan.workorders import tasks
from laoyuan.workorders.enums import Action, Escalation, Status
from laoyuan.workorders.models import Event, WorkOrder
from laoyuan.workorders.services.transitions import (
    available_actions,
    escalate_overdue,
    transition,
)
from laoyuan.workorders.tests.flow import last_event, report, walk

pytestmark = pytest.mark.django_db(transaction=False)

T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
H = datetime.timedelta(hours=1)
TICK = datetime.timedelta(microseconds=1)


def _escalate(capture, now):
    with capture(execute=True):
        return escalate_overdue(now=now)


def _told(user):
    return list(
        Notification.objects.filter(user=user, event="workorder.escalate").values_list(
            "url", flat=True
        )
    )


def test_an_unaccepted_order_rises_at_its_response_target_and_again(
    cast, repair, django_capture_on_commit_callbacks
):
    users = cast.users
    order = report(cast, repair, now=T0)
    assert order.response_due == T0 + 24 * H
    url = f"/workorders/{order.pk}/"
    capture = django_capture_on_commit_callbacks

    assert _escalate(capture, T0 + 24 * H) == 0  # at the target: not yet overdue
    assert WorkOrder.objects.get(pk=order.pk).escalation == Escalation.NONE
    assert _told(users[Role.COMMUNITY]) == []

    assert _escalate(capture, T0 + 24 * H + TICK) == 1
    order.refresh_from_db()
    assert (order.escalation, order.escalated_at, order.status) == (
        Escalation.COMMUNITY,
        T0 + 24 * H + TICK,
        Status.ORDERED,
    )
    event = last_event(order)
    assert (event.action, event.actor, event.role, event.from_status, event.to_status) == (
        "escalate",
        None,
        "system",
        "ordered",
        "ordered",
    )
    assert (event.data, event.at) == ({"level": 1}, T0 + 24 * H + TICK)
    assert _told(users[Role.COMMUNITY]) == [url]
    assert _told(users[Role.STREET]) == []
    assert _told(users[Role.BRANCH]) == []
    # The community may now dispatch it; the street not yet.
    assert "dispatch" in available_actions(order, users[Role.COMMUNITY])
    assert "dispatch" not in available_actions(order, users[Role.STREET])

    assert _escalate(capture, T0 + 48 * H) == 0  # past the target, not yet by as long again
    assert _escalate(capture, T0 + 48 * H + TICK) == 1
    order.refresh_from_db()
    assert order.escalation == Escalation.STREET
    assert last_event(order).data == {"level": 2}
    assert _told(users[Role.STREET]) == [url]
    assert _told(users[Role.COMMUNITY]) == [url]  # not told twice
    assert _told(users["outsider"]) == []
    assert _told(users["other_district"]) == []
    assert "dispatch" in available_actions(order, users[Role.STREET])
    assert "dispatch" not in available_actions(order, users["outsider"])

    assert _escalate(capture, T0 + 1000 * H) == 0  # the street is the top
    assert Event.objects.filter(order=order, action="escalate").count() == 2
    # The resident hears of it in the platform, never by SMS (see test_notifications).
    assert _told(users[Role.RESIDENT]) == [url, url]


def test_the_community_dispatches_an_escalated_order(cast, repair):
    order = report(cast, repair, now=T0)
    escalate_overdue(now=T0 + 25 * H)
    order = transition(order_id=order.pk, actor=cast.users[Role.COMMUNITY], action=Action.DISPATCH)
    assert (order.status, order.company) == (Status.DISPATCHED, cast.a.company)
    assert last_event(order).role == "community"


def test_the_street_dispatches_after_the_second_level(cast, repair):
    order = report(cast, repair, now=T0)
    # Nobody ran the job in between: it still rises one level per run, so the community hears
    # of it before the street does.
    assert escalate_overdue(now=T0 + 49 * H) == 1
    order.refresh_from_db()
    assert order.escalation == Escalation.COMMUNITY
    assert escalate_overdue(now=T0 + 49 * H) == 1
    order.refresh_from_db()
    assert order.escalation == Escalation.STREET
    assert [e.data for e in order.events.filter(action="escalate")] == [
        {"level": 1},
        {"level": 2},
    ]
    for who in ("outsider", Role.GRID):
        with pytest.raises(Exception) as caught:
            transition(order_id=order.pk, actor=cast.users[who], action=Action.DISPATCH)
        assert type(caught.value).__name__ == "Forbidden"
    order = transition(order_id=order.pk, actor=cast.users[Role.STREET], action=Action.DISPATCH)
    assert (order.status, last_event(order).role) == (Status.DISPATCHED, "street")


def test_accepted_orders_rise_at_their_resolution_target(cast, repair):
    order = report(cast, repair, now=T0)
    for role, action in [(Role.BRANCH, "dispatch"), (Role.COMPANY, "accept")]:
        transition(order_id=order.pk, actor=cast.users[role], action=action, now=T0 + H)
    assert escalate_overdue(now=T0 + 119 * H) == 0  # accepted in time: the response is done
    assert escalate_overdue(now=T0 + 120 * H) == 0
    assert escalate_overdue(now=T0 + 120 * H + TICK) == 1
    assert WorkOrder.objects.get(pk=order.pk).escalation == Escalation.COMMUNITY
    assert escalate_overdue(now=T0 + 240 * H) == 0
    assert escalate_overdue(now=T0 + 240 * H + TICK) == 1
    assert WorkOrder.objects.get(pk=order.pk).escalation == Escalation.STREET


@pytest.mark.parametrize("status", [Status.VERIFIED, Status.CLOSED])
def test_verified_and_final_orders_never_rise(cast, repair, status):
    order = walk(cast, report(cast, repair, now=T0), status)
    assert escalate_overdue(now=T0 + 10_000 * H) == 0
    order.refresh_from_db()
    assert (order.escalation, order.escalated_at) == (Escalation.NONE, None)


def test_a_reopened_order_starts_at_the_branch_again(cast, repair):
    order = report(cast, repair, now=T0)
    escalate_overdue(now=T0 + 49 * H)
    order = walk(cast, WorkOrder.objects.get(pk=order.pk), Status.VERIFIED)
    now = timezone.now()
    resident = cast.users[Role.RESIDENT]
    transition(order_id=order.pk, actor=resident, action="rate", rating=1, now=now)
    order = transition(order_id=order.pk, actor=resident, action="reopen", now=now + H)
    assert (order.escalation, order.escalated_at) == (Escalation.NONE, None)


def _overdue_and_unrated(cast, repair):
    """One order a day past its response target and one verified 8 days ago, by the clock."""
    now = timezone.now()
    late = report(cast, repair, now=now - 25 * H)
    unrated = walk(cast, report(cast, repair, now=now - 200 * H), Status.SUPERVISED)
    transition(
        order_id=unrated.pk,
        actor=cast.users[Role.COMMUNITY],
        action="verify",
        now=now - 8 * 24 * H,
    )
    return late, unrated


def test_the_command_escalates_and_closes(cast, repair):
    late, unrated = _overdue_and_unrated(cast, repair)
    out = io.StringIO()
    call_command("escalate_overdue", stdout=out)
    assert out.getvalue() == "escalated 1 overdue orders, closed 1 unrated orders\n"
    late.refresh_from_db()
    unrated.refresh_from_db()
    assert (late.escalation, unrated.status) == (Escalation.COMMUNITY, Status.CLOSED)
    out = io.StringIO()
    call_command("escalate_overdue", stdout=out)
    assert out.getvalue() == "escalated 0 overdue orders, closed 0 unrated orders\n"


def test_the_command_takes_a_time(cast, repair):
    order = report(cast, repair, now=T0)
    out = io.StringIO()
    call_command("escalate_overdue", "--now", "2026-03-03T08:00:00+00:00", stdout=out)
    assert out.getvalue() == "escalated 0 overdue orders, closed 0 unrated orders\n"
    call_command("escalate_overdue", "--now", "2026-03-03T08:00:01+00:00", stdout=out)
    assert out.getvalue().splitlines()[-1] == "escalated 1 overdue orders, closed 0 unrated orders"
    order.refresh_from_db()
    assert order.escalated_at == datetime.datetime(2026, 3, 3, 8, 0, 1, tzinfo=datetime.UTC)
    with pytest.raises(CommandError) as caught:
        call_command("escalate_overdue", "--now", "yesterday")
    assert "not an ISO-8601 time: 'yesterday'" in str(caught.value)


def test_the_tasks_call_the_services(cast, repair, settings):
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    late, unrated = _overdue_and_unrated(cast, repair)
    assert tasks.escalate_overdue.delay().get() == 1
    assert tasks.auto_close.delay().get() == 1
    late.refresh_from_db()
    unrated.refresh_from_db()
    assert (late.escalation, unrated.status) == (Escalation.COMMUNITY, Status.CLOSED)
    assert tasks.escalate_overdue.delay().get() == 0
    assert tasks.auto_close.delay().get() == 0


def test_the_beat_schedule_names_the_tasks():
    """With a broker configured, beat escalates every 15 minutes and closes hourly (the test
    settings have no broker: the schedule is read in a fresh interpreter)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, laoyuan.settings as s; "
        "print(json.dumps({k: [v['task'], v['schedule']] "
        "for k, v in s.CELERY_BEAT_SCHEDULE.items()}))"
    )
    env = {**os.environ, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0", "LAOYUAN_TESTING": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == {
        "workorders-escalate-overdue": ["laoyuan.workorders.tasks.escalate_overdue", 900],
        "workorders-auto-close": ["laoyuan.workorders.tasks.auto_close", 3600],
        "timebank-daily": ["laoyuan.timebank.tasks.daily", 21600],
    }
    assert tasks.escalate_overdue.name == "laoyuan.workorders.tasks.escalate_overdue"
    assert tasks.auto_close.name == "laoyuan.workorders.tasks.auto_close"
