"""The demo's work orders at a small scale: teams, the Open311 partner, a year of orders whose
timelines follow the state table, the demo users' queues, and the same orders for the same seed."""

import datetime
import hashlib
from collections import Counter

import pytest
from django.db.models import Count
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import User
from laoyuan.demo.tests.test_seed_demo import TODAY, seed
from laoyuan.demo.workorders import demo_now
from laoyuan.orgs.enums import CompanyKind
from laoyuan.orgs.models import PropertyCompany
from laoyuan.places.models import District, Street
from laoyuan.workorders.enums import FINAL, Action, Channel, Status
from laoyuan.workorders.models import Event, Partner, Team, WorkOrder
from laoyuan.workorders.queries import overdue_q, queue
from laoyuan.workorders.services.transitions import MOVES, REOPEN_DAYS, STAMPS

pytestmark = pytest.mark.django_db

NOW = demo_now(datetime.date.fromisoformat(TODAY))


def test_demo_now_is_today_at_nine() -> None:
    assert timezone.make_aware(datetime.datetime(2026, 11, 27, 9)) == NOW


def test_demo_teams_and_open311_partner() -> None:
    _, err = seed()

    assert "teams: 3 service teams" in err
    assert "work orders: " in err
    district = District.objects.get()
    partner = Partner.objects.get()
    assert partner.key_hash == hashlib.sha256(b"demo-open311-key").hexdigest()
    assert (partner.district, partner.active) == (district, True)
    public = PropertyCompany.objects.filter(kind=CompanyKind.PUBLIC, street__isnull=False)
    emergency = Team.objects.filter(kind="emergency")
    assert sorted(emergency.values_list("company_id", flat=True)) == sorted(
        public.values_list("pk", flat=True)
    )
    for team in emergency:
        assert team.street_id == team.company.street_id
    street = Street.objects.get()
    assert list(Team.objects.filter(kind="mediation").values_list("street", "company")) == [
        (street.pk, None)
    ]
    volunteer = Team.objects.get(kind="volunteer")
    assert (volunteer.company_id, volunteer.community.street_id) == (None, street.pk)


def test_demo_orders_figures() -> None:
    seed()

    orders = WorkOrder.objects.all()
    assert orders.count() == 565
    assert Event.objects.count() == 5062
    assert dict(orders.values_list("status").annotate(n=Count("id")).order_by()) == {
        Status.CLOSED: 518,
        Status.CANCELLED: 10,
        Status.DUPLICATE: 10,
        Status.NOT_OURS: 12,
        Status.ORDERED: 2,
        Status.DISPATCHED: 1,
        Status.IN_PROGRESS: 3,
        Status.DONE: 1,
        Status.SUPERVISED: 2,
        Status.VERIFIED: 6,
    }
    assert orders.filter(overdue_q(NOW)).count() == 2
    assert set(orders.values_list("channel", flat=True)) == set(Channel.values)
    assert orders.values("category").distinct().count() >= 10
    rated = list(orders.filter(rating__isnull=False).values_list("rating", flat=True))
    good = sum(1 for rating in rated if rating >= 4)
    assert good / len(rated) > 0.8
    assert Event.objects.filter(action=Action.SEND_BACK, role=Role.COMMITTEE).count() > 5
    assert orders.filter(reopened__gt=0).exists()
    assert orders.filter(escalation__gt=0).exists()
    assert orders.filter(channel=Channel.OPEN311, partner__isnull=False).count() == (
        orders.filter(channel=Channel.OPEN311).count()
    )
    assert not orders.filter(channel=Channel.OPEN311, house__isnull=False).exists()
    assert orders.filter(channel=Channel.CONSULTATION, problem_list__isnull=False).count() == (
        orders.filter(channel=Channel.CONSULTATION).count()
    )
    first = timezone.make_aware(datetime.datetime(2025, 11, 27))
    assert not orders.filter(created_at__lt=first).exists()
    assert not orders.filter(created_at__gt=NOW).exists()
    assert not Event.objects.filter(at__gt=NOW).exists()
    # Realistic times: accepted within hours and verified within days, as a rule.
    accepted = [
        (o.accepted_at - o.dispatched_at).total_seconds() / 3600
        for o in orders.filter(accepted_at__isnull=False, reopened=0)
    ]
    assert sorted(accepted)[len(accepted) // 2] < 4
    verified = [
        (o.verified_at - o.created_at).total_seconds() / 86400
        for o in orders.filter(verified_at__isnull=False, reopened=0)
    ]
    assert 0.5 < sorted(verified)[len(verified) // 2] < 4


def _level(order: WorkOrder, due: datetime.datetime, hours: int, at: datetime.datetime) -> int:
    if at <= due:
        return 0
    return 2 if at > due + datetime.timedelta(hours=hours) else 1


def test_demo_orders_replay_through_the_state_table() -> None:
    seed()

    events: dict[int, list[Event]] = {}
    for event in Event.objects.order_by("order_id", "at", "id"):
        events.setdefault(event.order_id, []).append(event)
    orders = WorkOrder.objects.select_related("category")
    assert len(events) == orders.count()
    for order in orders:
        path = events[order.pk]
        create = path[0]
        assert (create.action, create.from_status, create.to_status) == (
            Action.CREATE,
            "",
            Status.ORDERED,
        )
        assert create.at == order.created_at
        assert create.data == {"channel": order.channel}
        status = Status.ORDERED
        stamps: dict[str, datetime.datetime | None] = {}
        escalation = 0
        rating = None
        targets_from = order.created_at
        previous = create.at
        for event in path[1:]:
            assert event.at >= previous, order.pk
            previous = event.at
            assert event.from_status == status, (order.pk, event.action)
            if event.action == Action.ESCALATE:
                assert event.to_status == status
                assert event.data["level"] == escalation + 1 or event.data["level"] == 2
                assert event.data["level"] > escalation
                escalation = event.data["level"]
                continue
            move = MOVES[event.action]
            assert status in move.sources, (order.pk, event.action, status)
            assert event.to_status == move.target, (order.pk, event.action)
            if event.action in (Action.RETURN, Action.FINISH, Action.SEND_BACK, Action.NOT_OURS):
                assert event.note, (order.pk, event.action)
            if event.action == Action.DISPATCH:
                stamps["accepted_at"] = None
            if event.action == Action.SEND_BACK:
                stamps["done_at"] = stamps["supervised_at"] = None
            if event.action == Action.RATE:
                rating = event.data["rating"]
            if event.action == Action.VERIFY and status == Status.DONE:
                assert event.data == {"no_committee": True}
            if event.action == Action.REOPEN:
                assert rating is not None and rating <= 2
                assert event.at <= stamps["rated_at"] + datetime.timedelta(days=REOPEN_DAYS)
                stamps["closed_at"] = None
                escalation, targets_from = 0, event.at
            if event.action == Action.AUTO_CLOSE:
                assert event.at >= stamps["verified_at"] + datetime.timedelta(days=7)
            status = move.target
            stamp = STAMPS.get(status)
            if stamp and event.from_status != status:
                stamps[stamp] = event.at
        if order.house_id is None:  # Open311 and consultation orders: nobody to rate or cancel
            assert not {e.action for e in path} & {Action.RATE, Action.CANCEL, Action.REOPEN}
        assert status == order.status, order.pk
        assert order.updated_at == previous
        assert order.rating == (rating if status in (Status.RATED, Status.CLOSED) else None)
        assert order.escalation == escalation
        for name in set(STAMPS.values()):
            assert getattr(order, name) == stamps.get(name), (order.pk, name)
        category = order.category
        assert order.response_due == targets_from + datetime.timedelta(
            hours=category.response_hours
        )
        assert order.resolution_due == targets_from + datetime.timedelta(
            hours=category.resolution_hours
        )
        # Every escalation the periodic task would have made by now is there.
        if status in FINAL or order.status not in (
            Status.ORDERED,
            Status.DISPATCHED,
            Status.RETURNED,
        ):
            continue
        assert order.escalation == _level(
            order, order.response_due, category.response_hours, NOW
        ), order.pk


def test_demo_users_each_have_an_order_to_act_on() -> None:
    seed()
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}

    waiting = {
        role: list(queue(users[f"demo-{role}"], role).values_list("status", flat=True))
        for role in (Role.BRANCH, Role.COMPANY, Role.COMMITTEE, Role.COMMUNITY)
    }

    assert Counter(waiting[Role.BRANCH]) == {Status.ORDERED: 2}
    assert Status.DISPATCHED in waiting[Role.COMPANY]
    assert Status.IN_PROGRESS in waiting[Role.COMPANY]
    assert Status.DONE in waiting[Role.COMMITTEE]
    assert Status.SUPERVISED in waiting[Role.COMMUNITY]
    resident = users["demo-resident"]
    mine = WorkOrder.objects.filter(requester=resident)
    assert mine.filter(status=Status.VERIFIED).exists()
    assert not mine.exclude(house=resident.assignments.get().house).exists()
    # The demo resident's own steps name them; nobody else's do.
    assert set(
        Event.objects.filter(actor__isnull=False).values_list("actor__username", flat=True)
    ) == {"demo-resident"}
