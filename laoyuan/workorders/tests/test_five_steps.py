"""The five accountable hands, one user each, through the one transition service."""

import pytest
from django.core.exceptions import ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.inbox.models import Notification
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Event, WorkOrder
from laoyuan.workorders.services.orders import create_order
from laoyuan.workorders.services.transitions import Forbidden, NotAllowed, transition

pytestmark = pytest.mark.django_db(transaction=False)


def _report(cast, repair):
    return create_order(
        actor=cast.users[Role.RESIDENT],
        compound=cast.a.compound,
        house=cast.a.house,
        category=repair,
        description="3号楼楼道灯不亮",
        place="1号楼2单元",
    )


def test_the_whole_path_with_five_users(cast, repair, django_capture_on_commit_callbacks):
    users = cast.users
    with django_capture_on_commit_callbacks(execute=True):
        order = _report(cast, repair)
        assert (order.status, order.channel, order.requester) == (
            Status.ORDERED,
            "app",
            users[Role.RESIDENT],
        )
        steps = [
            (Role.BRANCH, Action.DISPATCH, {}, Status.DISPATCHED),
            (Role.COMPANY, Action.ACCEPT, {}, Status.ACCEPTED),
            (Role.COMPANY, Action.START, {}, Status.IN_PROGRESS),
            (Role.COMPANY, Action.FINISH, {"note": "换了灯泡"}, Status.DONE),
            (Role.COMMITTEE, Action.SUPERVISE, {}, Status.SUPERVISED),
            (Role.COMMUNITY, Action.VERIFY, {}, Status.VERIFIED),
            (Role.RESIDENT, Action.RATE, {"rating": 5}, Status.RATED),
            (Role.COMMUNITY, Action.CLOSE, {}, Status.CLOSED),
        ]
        for role, action, extra, status in steps:
            order = transition(order_id=order.pk, actor=users[role], action=action, **extra)
            assert order.status == status
    order.refresh_from_db()
    assert order.company == cast.a.company
    assert order.rating == 5
    assert [(e.action, e.role, e.to_status) for e in Event.objects.filter(order=order)] == [
        ("create", "resident", "ordered"),
        ("dispatch", "branch", "dispatched"),
        ("accept", "company", "accepted"),
        ("start", "company", "in_progress"),
        ("finish", "company", "done"),
        ("supervise", "committee", "supervised"),
        ("verify", "community", "verified"),
        ("rate", "resident", "rated"),
        ("close", "community", "closed"),
    ]
    assert (
        AuditEvent.objects.filter(target_id=order.pk, action__startswith="workorder.").count() == 9
    )
    # The resident heard of every step but their own (create, rate).
    assert Notification.objects.filter(user=users[Role.RESIDENT]).count() == 7


@pytest.mark.parametrize(
    "who,action,status",
    [
        ("outsider_branch", Action.DISPATCH, Status.ORDERED),
        (Role.RESIDENT, Action.DISPATCH, Status.ORDERED),
        (Role.COMPANY, Action.DISPATCH, Status.ORDERED),
    ],
)
def test_wrong_hands_change_nothing(cast, repair, who, action, status):
    from laoyuan.factories import user_with

    order = _report(cast, repair)
    actor = user_with(Role.BRANCH, cast.b.compound) if who == "outsider_branch" else cast.users[who]
    with pytest.raises(Forbidden):
        transition(order_id=order.pk, actor=actor, action=action)
    order.refresh_from_db()
    assert order.status == status
    assert Event.objects.filter(order=order).count() == 1


def test_not_allowed_names_the_allowed_actions(cast, repair):
    order = _report(cast, repair)
    with pytest.raises(NotAllowed) as caught:
        transition(order_id=order.pk, actor=cast.users[Role.COMMUNITY], action=Action.VERIFY)
    assert caught.value.allowed == ["dispatch", "mark_duplicate", "not_ours", "cancel"]


def test_finish_needs_a_note(cast, repair):
    order = _report(cast, repair)
    users = cast.users
    transition(order_id=order.pk, actor=users[Role.BRANCH], action=Action.DISPATCH)
    transition(order_id=order.pk, actor=users[Role.COMPANY], action=Action.ACCEPT)
    transition(order_id=order.pk, actor=users[Role.COMPANY], action=Action.START)
    with pytest.raises(ValidationError) as caught:
        transition(order_id=order.pk, actor=users[Role.COMPANY], action=Action.FINISH)
    assert caught.value.message_dict == {"note": ["Describe the work done."]}
    assert WorkOrder.objects.get(pk=order.pk).status == Status.IN_PROGRESS
