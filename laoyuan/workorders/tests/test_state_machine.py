"""Property: whatever actions whoever takes, in whatever order, an order only ever moves along
the MOVES table, and a refused step changes nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laoyuan.accounts.enums import Role
from laoyuan.factories import user_with
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, WorkOrder
from laoyuan.workorders.services.transitions import (
    MOVES,
    USER_ACTIONS,
    Forbidden,
    NotAllowed,
    allowed_actions,
    auto_close_verified,
    available_actions,
    escalate_overdue,
    transition,
)
from laoyuan.workorders.tests.flow import PATH, keep_committee_in_term, last_event, report, snapshot

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _committee_in_term(request):
    if "cast" in request.fixturenames:
        keep_committee_in_term(request.getfixturevalue("cast"))


# Inside the committee's term (2023–2026), so supervision is the committee's.
T0 = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
CAST = [
    Role.RESIDENT,
    Role.BRANCH,
    Role.COMPANY,
    Role.COMMITTEE,
    Role.COMMUNITY,
    Role.STREET,
    Role.GRID,
    Role.DISTRICT,
    Role.INSPECTOR,
    "outsider",
    "other_district",
    "other_branch",
    "other_company",
    "neighbour",
]
PAIRS = {(source, move.target) for move in MOVES.values() for source in move.sources}
REACHABLE = {Status.ORDERED} | {target for _, target in PAIRS}

# The hand that usually takes each action, so that random sequences get far along the path.
HANDS = {
    Action.DISPATCH: Role.BRANCH,
    Action.TRANSFER: Role.BRANCH,
    Action.MARK_DUPLICATE: Role.BRANCH,
    Action.NOT_OURS: Role.BRANCH,
    Action.ACCEPT: Role.COMPANY,
    Action.RETURN: Role.COMPANY,
    Action.START: Role.COMPANY,
    Action.FINISH: Role.COMPANY,
    Action.SUPERVISE: Role.COMMITTEE,
    Action.SEND_BACK: Role.COMMUNITY,
    Action.VERIFY: Role.COMMUNITY,
    Action.CLOSE: Role.COMMUNITY,
    Action.RATE: Role.RESIDENT,
    Action.CANCEL: Role.RESIDENT,
    Action.REOPEN: Role.RESIDENT,
}

# The five steps' path: the action that takes each status on.
NEXT = {source: action for _, _, action, _ in PATH for source in MOVES[action].sources}
NEXT[Status.DONE] = Action.SUPERVISE
NEXT[Status.RETURNED] = Action.DISPATCH

step = st.tuples(
    # An action the status allows (picked by index), or any action at all, or the system's.
    st.sampled_from([0] * 12 + [1, 2, 3, *USER_ACTIONS, "escalate", "auto_close"]),
    # The action's usual hand (mostly), or anyone in the cast.
    st.sampled_from([None] * len(CAST) + CAST),
    st.sampled_from(["有原因"] * 4 + [""]),
    st.sampled_from([2, 1, 5, 3, 4, None]),
    st.sampled_from([None, None, "a", "b"]),
    st.sampled_from([0, 1, 6, 30, 200]),  # hours passing before the step
)


@pytest.fixture
def people(cast):
    users = dict(cast.users)
    users["other_branch"] = user_with(Role.BRANCH, cast.b.compound)
    users["other_company"] = user_with(Role.COMPANY, cast.b.company)
    users["neighbour"] = user_with(Role.RESIDENT, cast.a.neighbour_house)
    return users


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=12, max_size=24))
def test_no_sequence_leaves_the_table(cast, people, steps):
    repair = Category.objects.get(code="repair")
    order = report(cast, repair, now=T0)
    companies = {"a": cast.a.company.pk, "b": cast.b.company.pk, None: None}
    now = T0
    for pick, anyone, note, rating, company, hours in steps:
        now += datetime.timedelta(hours=hours)
        before = snapshot(order)
        status = before["order"]["status"]
        if isinstance(pick, int):
            allowed = allowed_actions(status) or list(USER_ACTIONS)
            if status in NEXT:  # the path's next step first
                allowed.remove(NEXT[status])
                allowed.insert(0, NEXT[status])
            action = allowed[pick % len(allowed)]
        else:
            action = pick
        who = anyone or HANDS.get(action, Role.RESIDENT)
        if action == "escalate":
            escalate_overdue(now=now)
            after = WorkOrder.objects.get(pk=order.pk)
            assert after.status == status
            assert after.escalation >= before["order"]["escalation"]
            if after.escalation == before["order"]["escalation"]:
                assert snapshot(order) == before
            continue
        if action == "auto_close":
            auto_close_verified(now=now)  # (earlier examples' orders are still there)
            after = WorkOrder.objects.get(pk=order.pk)
            due = before["order"]["verified_at"] is not None and (
                now >= before["order"]["verified_at"] + datetime.timedelta(days=7)
            )
            closes = status == Status.VERIFIED and due
            assert after.status == (Status.CLOSED if closes else status)
            if not closes:
                assert snapshot(order) == before
            continue
        # The buttons the order page would show this actor now (a reopen's window is read
        # against the real clock there, so it is left out of the comparison).
        buttons = available_actions(WorkOrder.objects.get(pk=order.pk), people[who])
        try:
            transition(
                order_id=order.pk,
                actor=people[who],
                action=action,
                note=note,
                rating=rating,
                company_id=companies[company],
                now=now,
            )
        except (Forbidden, NotAllowed) as refused:
            assert snapshot(order) == before
            if action != Action.REOPEN:
                assert action not in buttons, refused
            continue
        except ValidationError:
            assert snapshot(order) == before
            continue
        if action != Action.REOPEN:
            assert action in buttons
        after = WorkOrder.objects.get(pk=order.pk)
        assert (status, after.status) in PAIRS
        assert status in MOVES[action].sources and after.status == MOVES[action].target
        event = last_event(order)
        assert (event.action, event.from_status, event.to_status) == (action, status, after.status)
        assert after.status in REACHABLE
        assert who not in ("outsider", "other_district", "other_branch", Role.INSPECTOR)
    assert WorkOrder.objects.get(pk=order.pk).status in REACHABLE
