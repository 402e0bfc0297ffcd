"""Two hands acting on one order at the same moment, against a real PostgreSQL: the order's
row lock lets one step through and refuses the other from the status it finds."""

import threading

import pytest
from django.db import connection, connections

from laoyuan.accounts.enums import Role
from laoyuan.core.tests.locks import blocks_another
from laoyuan.factories import user_with
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Category, Event
from laoyuan.workorders.services.transitions import NotAllowed, transition
from laoyuan.workorders.tests.flow import report, walk

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (CI's second pass)"
)


def _repair() -> Category:
    # A transactional test may run after another flushed the categories the migration seeded.
    category, _ = Category.objects.get_or_create(
        code="repair",
        defaults={
            "name": "维修",
            "name_en": "Repair",
            "kind": "repair",
            "response_hours": 24,
            "resolution_hours": 120,
        },
    )
    return category


def _race(steps):
    """Run each (actor, action, fields) in its own thread at once; the outcomes in order."""
    start = threading.Barrier(len(steps))
    outcomes: list[object] = [None] * len(steps)

    def run(index, order_id, actor, action, fields):
        try:
            start.wait()
            outcomes[index] = transition(
                order_id=order_id, actor=actor, action=action, **fields
            ).status
        except NotAllowed as error:
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, *step)) for i, step in enumerate(steps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_one_of_two_concurrent_accepts_wins(cast):
    order = walk(cast, report(cast, _repair()), Status.DISPATCHED)
    company, colleague = cast.users[Role.COMPANY], user_with(Role.COMPANY, cast.a.company)
    outcomes = _race([(order.pk, company, Action.ACCEPT, {}), (order.pk, colleague, "accept", {})])
    refused = [o for o in outcomes if isinstance(o, NotAllowed)]
    assert [o for o in outcomes if o not in refused] == [Status.ACCEPTED]
    assert [(e.status, e.allowed) for e in refused] == [("accepted", ["start"])]
    assert Event.objects.filter(order=order, action="accept").count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_an_accept_leaves_one_story(cast):
    order = walk(cast, report(cast, _repair()), Status.DISPATCHED)
    outcomes = _race(
        [
            (order.pk, cast.users[Role.COMPANY], Action.ACCEPT, {}),
            (order.pk, cast.users[Role.RESIDENT], Action.CANCEL, {}),
        ]
    )
    order.refresh_from_db()
    won = [o for o in outcomes if not isinstance(o, NotAllowed)]
    assert won == [order.status]
    assert order.status in (Status.ACCEPTED, Status.CANCELLED)
    steps = list(Event.objects.filter(order=order).order_by("pk").values_list("action", flat=True))
    assert steps == [
        "create",
        "dispatch",
        "accept" if order.status == Status.ACCEPTED else "cancel",
    ]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_steps_on_orders_of_one_compound_keep_its_monthly_summary(cast):
    """Four orders of one compound accepted at the same moment by four hands: each rewrites the
    compound's month under its advisory lock, so the summary counts all four (without the
    lock, two rewrites of one month would each insert a row, or one would lose the other's)."""
    from laoyuan.workorders import summaries
    from laoyuan.workorders.models import OrderMonth

    orders = [walk(cast, report(cast, _repair()), Status.DISPATCHED) for _ in range(4)]
    hands = [cast.users[Role.COMPANY]] + [user_with(Role.COMPANY, cast.a.company) for _ in "abc"]
    outcomes = _race(
        [(order.pk, hand, Action.ACCEPT, {}) for order, hand in zip(orders, hands, strict=True)]
    )
    assert outcomes == [Status.ACCEPTED] * 4
    assert list(summaries.mismatches()) == []
    month = summaries.month_of(orders[0].created_at)
    row = OrderMonth.objects.get(compound=cast.a.compound, month=month)
    assert (row.created, row.accepted) == (4, 4)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_rebuild_of_the_summaries_while_an_order_moves_counts_it_once(cast):
    """``workorder_months --rebuild`` while a step is being taken: the rebuild locks the table
    first, so it waits for the step's commit and reads the order with it (without the lock it
    reads the order as before the step and inserts its rows beside the step's new ones: that
    compound's month counted twice)."""

    from django.db import transaction

    from laoyuan.workorders import summaries
    from laoyuan.workorders.models import OrderMonth

    order = walk(cast, report(cast, _repair()), Status.DISPATCHED)
    stepped, rebuilt = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    waited: list[bool] = []

    def step() -> None:
        try:
            with transaction.atomic():
                transition(order_id=order.pk, actor=cast.users[Role.COMPANY], action="accept")
                stepped.set()
                # The rebuild starts meanwhile and must wait for this commit.
                waited.append(blocks_another())
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
            stepped.set()
        finally:
            connections.close_all()

    def rebuild() -> None:
        try:
            stepped.wait(30)
            summaries.rebuild()
            rebuilt.set()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=step), threading.Thread(target=rebuild)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and rebuilt.is_set() and waited == [True]
    assert list(summaries.mismatches()) == []
    month = summaries.month_of(order.created_at)
    rows = OrderMonth.objects.filter(compound=cast.a.compound, month=month)
    assert [(row.created, row.accepted) for row in rows] == [(1, 1)]
