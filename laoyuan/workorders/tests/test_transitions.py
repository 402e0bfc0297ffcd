"""The transition service against every forbidden actor, and the moves besides the five steps:
return, transfer, duplicate, not ours, cancel, send back, reopen, automatic close."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.factories import grant, user_with
from laoyuan.orgs.models import Committee
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.models import Team, WorkOrder
from laoyuan.workorders.services.transitions import (
    USER_ACTIONS,
    Forbidden,
    NotAllowed,
    auto_close_verified,
    available_actions,
    transition,
)
from laoyuan.workorders.tests.flow import keep_committee_in_term, last_event, report, snapshot, walk

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _committee_in_term(request):
    if "cast" in request.fixturenames:
        keep_committee_in_term(request.getfixturevalue("cast"))


# For each action: the status it starts from (reached along the happy path, or by the setup
# named) and the fields that make it valid apart from the hand that takes it.
SOURCES: dict[str, tuple[str, dict[str, object]]] = {
    Action.DISPATCH: (Status.ORDERED, {}),
    Action.ACCEPT: (Status.DISPATCHED, {}),
    Action.RETURN: (Status.DISPATCHED, {"note": "不归我们管"}),
    Action.START: (Status.ACCEPTED, {}),
    Action.FINISH: (Status.IN_PROGRESS, {"note": "修好了"}),
    Action.SUPERVISE: (Status.DONE, {}),
    Action.SEND_BACK: (Status.DONE, {"note": "还在漏"}),
    Action.VERIFY: (Status.SUPERVISED, {}),
    Action.RATE: (Status.VERIFIED, {"rating": 1}),
    Action.CLOSE: (Status.RATED, {}),
    Action.TRANSFER: (Status.DISPATCHED, {"company_id": "other"}),
    Action.MARK_DUPLICATE: (Status.ORDERED, {"note": "同#1"}),
    Action.NOT_OURS: (Status.ORDERED, {"note": "燃气公司"}),
    Action.CANCEL: (Status.ORDERED, {}),
    Action.REOPEN: (Status.RATED, {}),
}


def _at(cast, repair, action):
    """An order in the source status of ``action`` (rated 1 for a reopen), and its fields."""
    status, fields = SOURCES[action]
    order = walk(cast, report(cast, repair), status, rate={"rating": 1})
    fields = dict(fields)
    if fields.get("company_id") == "other":
        fields["company_id"] = cast.b.company.pk
    return order, fields


def _refused(order, exception, **kwargs):
    before = snapshot(order)
    with pytest.raises(exception) as caught:
        transition(order_id=order.pk, **kwargs)
    assert snapshot(order) == before
    return caught.value


def test_every_user_action_has_a_source():
    assert set(SOURCES) == set(USER_ACTIONS)


@pytest.mark.parametrize("action", list(SOURCES))
@pytest.mark.parametrize("who", ["outsider", "other_district", "other_branch", Role.INSPECTOR])
def test_outsiders_may_take_no_step(cast, repair, action, who):
    order, fields = _at(cast, repair, action)
    actor = user_with(Role.BRANCH, cast.b.compound) if who == "other_branch" else cast.users[who]
    assert available_actions(order, actor) == []
    _refused(order, Forbidden, actor=actor, action=action, **fields)


# Each action and the cast members who hold no hand for it (the rest take it elsewhere).
WRONG_HANDS = {
    Action.DISPATCH: [Role.RESIDENT, Role.COMPANY, Role.COMMITTEE, Role.COMMUNITY, Role.STREET],
    Action.ACCEPT: [Role.RESIDENT, Role.BRANCH, Role.COMMITTEE, Role.COMMUNITY, Role.STREET],
    Action.SUPERVISE: [Role.RESIDENT, Role.COMPANY, Role.BRANCH, Role.COMMUNITY],
    Action.VERIFY: [Role.RESIDENT, Role.COMPANY, Role.BRANCH, Role.COMMITTEE],
    Action.RATE: [Role.COMPANY, Role.BRANCH, Role.COMMITTEE, Role.COMMUNITY],
    Action.CLOSE: [Role.RESIDENT, Role.COMPANY, Role.BRANCH, Role.COMMITTEE],
    Action.CANCEL: [Role.COMPANY, Role.BRANCH, Role.COMMITTEE, Role.COMMUNITY, Role.GRID],
}


@pytest.mark.parametrize(
    "action,who", [(action, who) for action, whos in WRONG_HANDS.items() for who in whos]
)
def test_wrong_hands_inside_the_compound_are_refused(cast, repair, action, who):
    order, fields = _at(cast, repair, action)
    assert action not in available_actions(order, cast.users[who])
    _refused(order, Forbidden, actor=cast.users[who], action=action, **fields)


def test_a_resident_may_not_verify(cast, repair):
    order = walk(cast, report(cast, repair), Status.SUPERVISED)
    error = _refused(order, Forbidden, actor=cast.users[Role.RESIDENT], action=Action.VERIFY)
    assert str(error) == "You may not verify this order."


@pytest.mark.parametrize("action", [Action.SUPERVISE, Action.VERIFY])
def test_the_company_may_not_skip_supervision(cast, repair, action):
    order = walk(cast, report(cast, repair), Status.DONE)
    _refused(order, Forbidden, actor=cast.users[Role.COMPANY], action=action)
    # Nor may the community verify a done order while the compound has a committee in term.
    error = _refused(order, NotAllowed, actor=cast.users[Role.COMMUNITY], action=Action.VERIFY)
    assert error.allowed == ["supervise", "send_back"]
    assert error.message == "The compound's committee supervises the work before it is verified."


def test_a_committee_member_may_not_supervise_their_own_order(cast, repair):
    member = cast.users[Role.COMMITTEE]
    grant(member, Role.RESIDENT, cast.a.neighbour_house)
    order = report(cast, repair, actor=member, house=cast.a.neighbour_house)
    assert order.requester == member
    order = walk(cast, order, Status.DONE)
    assert Action.SUPERVISE not in available_actions(order, member)
    error = _refused(order, Forbidden, actor=member, action=Action.SUPERVISE)
    assert str(error) == "You may not supervise or verify an order you asked for."
    # Another member of the committee may.
    other = user_with(Role.COMMITTEE, cast.a.compound)
    assert transition(order_id=order.pk, actor=other, action=Action.SUPERVISE).status == (
        Status.SUPERVISED
    )


def test_a_community_member_may_not_verify_their_own_order(cast, repair):
    member = cast.users[Role.COMMUNITY]
    grant(member, Role.RESIDENT, cast.a.neighbour_house)
    order = report(cast, repair, actor=member, house=cast.a.neighbour_house)
    order = walk(cast, order, Status.SUPERVISED)
    assert Action.VERIFY not in available_actions(order, member)
    _refused(order, Forbidden, actor=member, action=Action.VERIFY)
    other = user_with(Role.COMMUNITY, cast.a.community)
    assert transition(order_id=order.pk, actor=other, action=Action.VERIFY).status == (
        Status.VERIFIED
    )


def test_a_household_member_may_not_verify_an_order_taken_for_their_household(cast, repair):
    """An order a grid worker took by phone for the household: its members asked for it."""
    member = cast.users[Role.COMMUNITY]
    grant(member, Role.RESIDENT, cast.a.house)
    order = report(cast, repair, actor=cast.users[Role.GRID], house=cast.a.house)
    assert (order.requester, order.reported_by, order.channel) == (
        None,
        cast.users[Role.GRID],
        "grid",
    )
    order = walk(cast, order, Status.SUPERVISED)
    assert Action.VERIFY not in available_actions(order, member)
    _refused(order, Forbidden, actor=member, action=Action.VERIFY)


def test_return_needs_a_reason_and_the_branch_dispatches_again(cast, repair):
    users = cast.users
    order = walk(cast, report(cast, repair), Status.DISPATCHED)
    error = _refused(order, ValidationError, actor=users[Role.COMPANY], action=Action.RETURN)
    assert error.message_dict == {"note": ["Say why the order is returned."]}
    order = transition(
        order_id=order.pk, actor=users[Role.COMPANY], action=Action.RETURN, note=" 非物业范围 "
    )
    assert order.status == Status.RETURNED
    event = last_event(order)
    assert (event.action, event.role, event.note, event.from_status) == (
        "return",
        "company",
        "非物业范围",
        "dispatched",
    )
    # The company may not accept a returned order; the branch dispatches it again.
    _refused(order, NotAllowed, actor=users[Role.COMPANY], action=Action.ACCEPT)
    later = order.dispatched_at + datetime.timedelta(hours=1)
    order = transition(
        order_id=order.pk, actor=users[Role.BRANCH], action=Action.DISPATCH, now=later
    )
    assert (order.status, order.company, order.dispatched_at) == (
        Status.DISPATCHED,
        cast.a.company,
        later,
    )
    assert transition(
        order_id=order.pk, actor=users[Role.COMPANY], action=Action.ACCEPT
    ).status == (Status.ACCEPTED)


def test_transfer_to_another_company_changes_the_doer(cast, repair):
    users = cast.users
    order = walk(cast, report(cast, repair), Status.DISPATCHED)
    error = _refused(
        order,
        ValidationError,
        actor=users[Role.BRANCH],
        action=Action.TRANSFER,
        company_id=cast.a.company.pk,
    )
    assert error.message_dict == {"company": ["The order is already with this company or team."]}
    error = _refused(
        order,
        ValidationError,
        actor=users[Role.BRANCH],
        action=Action.TRANSFER,
        company_id=cast.c.company.pk,
    )
    assert error.message_dict == {"company": ["No such company in this district."]}
    order = transition(
        order_id=order.pk,
        actor=users[Role.BRANCH],
        action=Action.TRANSFER,
        company_id=cast.b.company.pk,
        note="转乙物业",
    )
    assert (order.status, order.company, order.team) == (Status.DISPATCHED, cast.b.company, None)
    event = last_event(order)
    assert event.data == {
        "company": cast.b.company.pk,
        "team": None,
        "from_company": cast.a.company.pk,
        "from_team": None,
    }
    assert (event.from_status, event.to_status) == ("dispatched", "dispatched")
    # The old company can no longer accept it; the new one can.
    assert available_actions(order, users[Role.COMPANY]) == []
    _refused(order, Forbidden, actor=users[Role.COMPANY], action=Action.ACCEPT)
    b_staff = user_with(Role.COMPANY, cast.b.company)
    assert available_actions(order, b_staff) == ["accept", "return"]
    assert transition(order_id=order.pk, actor=b_staff, action=Action.ACCEPT).status == (
        Status.ACCEPTED
    )


def test_transfer_to_a_street_team(cast, repair):
    users = cast.users
    team = Team.objects.create(
        district=cast.district, street=cast.a.street, kind="works", name="街道工程队"
    )
    elsewhere = Team.objects.create(
        district=cast.district, street=cast.b.street, kind="works", name="乙街道工程队"
    )
    order = walk(cast, report(cast, repair), Status.DISPATCHED)
    error = _refused(
        order,
        ValidationError,
        actor=users[Role.BRANCH],
        action=Action.TRANSFER,
        team_id=elsewhere.pk,
    )
    assert error.message_dict == {"team": ["No such team in this order's street."]}
    order = transition(
        order_id=order.pk, actor=users[Role.BRANCH], action=Action.TRANSFER, team_id=team.pk
    )
    assert (order.status, order.company, order.team) == (Status.DISPATCHED, None, team)
    _refused(order, Forbidden, actor=users[Role.COMPANY], action=Action.ACCEPT)
    _refused(order, Forbidden, actor=users["outsider"], action=Action.ACCEPT)
    order = transition(order_id=order.pk, actor=users[Role.STREET], action=Action.ACCEPT)
    assert order.status == Status.ACCEPTED
    assert last_event(order).role == "street"


def test_transfer_only_while_dispatched(cast, repair):
    order = walk(cast, report(cast, repair), Status.ACCEPTED)
    error = _refused(
        order,
        NotAllowed,
        actor=cast.users[Role.BRANCH],
        action=Action.TRANSFER,
        company_id=cast.b.company.pk,
    )
    assert error.allowed == ["start"]


def test_mark_duplicate(cast, repair):
    users = cast.users
    original = report(cast, repair)
    elsewhere = report(
        cast,
        repair,
        actor=user_with(Role.RESIDENT, cast.b.house),
        compound=cast.b.compound,
        house=cast.b.house,
    )
    elsewhere = WorkOrder.objects.get(pk=elsewhere.pk)
    order = report(cast, repair)
    branch = users[Role.BRANCH]
    for duplicate_of, message in [
        (elsewhere.pk, "No such order in this compound."),
        ("x", "No such order in this compound."),
        (order.pk, "An order cannot duplicate itself."),
        (None, "Name the original order, or say which it is in a note."),
    ]:
        error = _refused(
            order,
            ValidationError,
            actor=branch,
            action=Action.MARK_DUPLICATE,
            duplicate_of_id=duplicate_of,
        )
        assert error.message_dict == {"duplicate_of": [message]}
    order = transition(
        order_id=order.pk, actor=branch, action=Action.MARK_DUPLICATE, duplicate_of_id=original.pk
    )
    assert (order.status, order.duplicate_of, order.closed_at is not None) == (
        Status.DUPLICATE,
        original,
        True,
    )
    assert last_event(order).data == {"duplicate_of": original.pk}
    # A note naming the original will do where it has no order of its own.
    third = report(cast, repair)
    third = transition(
        order_id=third.pk, actor=branch, action=Action.MARK_DUPLICATE, note="同电话报修"
    )
    assert (third.status, third.duplicate_of) == (Status.DUPLICATE, None)


def test_duplicates_point_at_the_first_report(cast, repair):
    branch = cast.users[Role.BRANCH]
    first, second, third = (report(cast, repair) for _ in range(3))
    transition(order_id=second.pk, actor=branch, action="mark_duplicate", duplicate_of_id=first.pk)
    third = transition(
        order_id=third.pk, actor=branch, action="mark_duplicate", duplicate_of_id=second.pk
    )
    assert third.duplicate_of == first
    assert last_event(third).data == {"duplicate_of": first.pk}


def test_duplicates_never_loop(cast, repair):
    branch = cast.users[Role.BRANCH]
    first = report(cast, repair)
    second = report(cast, repair)
    transition(order_id=second.pk, actor=branch, action="mark_duplicate", duplicate_of_id=first.pk)
    error = _refused(
        first, ValidationError, actor=branch, action="mark_duplicate", duplicate_of_id=second.pk
    )
    assert error.message_dict == {"duplicate_of": ["An order cannot duplicate itself."]}


def test_not_ours_names_who_is_responsible(cast, repair):
    order = report(cast, repair)
    branch = cast.users[Role.BRANCH]
    error = _refused(order, ValidationError, actor=branch, action=Action.NOT_OURS, note="  ")
    assert error.message_dict == {"note": ["Name who is responsible."]}
    order = transition(order_id=order.pk, actor=branch, action=Action.NOT_OURS, note="燃气公司")
    assert (order.status, order.responsible) == (Status.NOT_OURS, "燃气公司")
    assert last_event(order).data == {"responsible": "燃气公司"}


@pytest.mark.parametrize("status", [Status.ORDERED, Status.DISPATCHED, Status.RETURNED])
def test_cancel_before_acceptance(cast, repair, status):
    order = walk(
        cast, report(cast, repair), Status.DISPATCHED if status != Status.ORDERED else status
    )
    if status == Status.RETURNED:
        order = transition(
            order_id=order.pk, actor=cast.users[Role.COMPANY], action=Action.RETURN, note="x"
        )
    neighbour = user_with(Role.RESIDENT, cast.a.neighbour_house)
    _refused(order, Forbidden, actor=neighbour, action=Action.CANCEL)
    order = transition(order_id=order.pk, actor=cast.users[Role.RESIDENT], action=Action.CANCEL)
    assert order.status == Status.CANCELLED
    assert order.closed_at is not None


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.IN_PROGRESS, Status.DONE])
def test_no_cancel_after_acceptance(cast, repair, status):
    order = walk(cast, report(cast, repair), status)
    error = _refused(order, NotAllowed, actor=cast.users[Role.RESIDENT], action=Action.CANCEL)
    assert error.status == status
    assert "cancel" not in error.allowed


@pytest.mark.parametrize("who", [Role.COMMITTEE, Role.COMMUNITY])
@pytest.mark.parametrize("status", [Status.DONE, Status.SUPERVISED])
def test_send_back(cast, repair, who, status):
    order = walk(cast, report(cast, repair), status)
    actor = cast.users[who]
    error = _refused(order, ValidationError, actor=actor, action=Action.SEND_BACK)
    assert error.message_dict == {"note": ["Say what is still wrong."]}
    order = transition(order_id=order.pk, actor=actor, action=Action.SEND_BACK, note="还在漏水")
    assert (order.status, order.done_at, order.supervised_at) == (Status.IN_PROGRESS, None, None)
    event = last_event(order)
    assert (event.action, event.role, event.from_status, event.note) == (
        "send_back",
        who,
        status,
        "还在漏水",
    )
    # The company finishes again and the steps follow as before.
    order = walk(cast, order, Status.CLOSED)


def test_send_back_not_from_verified(cast, repair):
    order = walk(cast, report(cast, repair), Status.VERIFIED)
    _refused(order, NotAllowed, actor=cast.users[Role.COMMUNITY], action=Action.SEND_BACK, note="x")


T0 = datetime.datetime(2026, 5, 4, 9, 30, tzinfo=datetime.UTC)


def _rated(cast, repair, rating):
    order = walk(cast, report(cast, repair), Status.VERIFIED)
    return transition(
        order_id=order.pk,
        actor=cast.users[Role.RESIDENT],
        action=Action.RATE,
        rating=rating,
        note="还是漏",
        now=T0,
    )


@pytest.mark.parametrize("closed", [False, True])
def test_reopen_within_seven_days_when_rated_two_or_less(cast, repair, closed):
    order = _rated(cast, repair, 2)
    assert (order.rating, order.rating_comment, order.rated_at) == (2, "还是漏", T0)
    if closed:
        order = transition(order_id=order.pk, actor=cast.users[Role.COMMUNITY], action="close")
    resident = cast.users[Role.RESIDENT]
    edge = T0 + datetime.timedelta(days=7)
    order = transition(order_id=order.pk, actor=resident, action=Action.REOPEN, now=edge)
    assert order.status == Status.DISPATCHED
    # The low rating and the first round's times stay (and count in the rates) until the new
    # round replaces them; the order is no longer closed.
    assert (order.rating, order.rated_at, order.closed_at) == (2, T0, None)
    assert order.verified_at is not None
    assert (order.reopened, order.company, order.dispatched_at) == (1, cast.a.company, edge)
    assert order.response_due == edge + datetime.timedelta(hours=24)
    assert order.resolution_due == edge + datetime.timedelta(hours=120)
    assert last_event(order).data == {"rating": 2}
    # The same company accepts it again.
    assert transition(
        order_id=order.pk, actor=cast.users[Role.COMPANY], action="accept"
    ).status == (Status.ACCEPTED)


def test_no_reopen_after_seven_days(cast, repair):
    order = _rated(cast, repair, 1)
    late = T0 + datetime.timedelta(days=7, microseconds=1)
    error = _refused(
        order, NotAllowed, actor=cast.users[Role.RESIDENT], action=Action.REOPEN, now=late
    )
    assert error.allowed == ["close"]
    assert error.message == (
        "Only an order rated 2 or less may be reopened, within 7 days of rating."
    )


def test_no_reopen_when_rated_three(cast, repair):
    order = _rated(cast, repair, 3)
    _refused(
        order,
        NotAllowed,
        actor=cast.users[Role.RESIDENT],
        action=Action.REOPEN,
        now=T0 + datetime.timedelta(minutes=1),
    )
    assert "reopen" not in available_actions(order, cast.users[Role.RESIDENT])


def test_only_the_requester_reopens(cast, repair):
    order = _rated(cast, repair, 1)
    for who in (Role.COMMUNITY, Role.BRANCH, Role.COMPANY):
        _refused(
            order,
            Forbidden,
            actor=cast.users[who],
            action=Action.REOPEN,
            now=T0 + datetime.timedelta(days=1),
        )


@pytest.mark.parametrize("rating", [0, 6, "4.5", "", None, "five", True])
def test_rating_from_one_to_five(cast, repair, rating):
    order = walk(cast, report(cast, repair), Status.VERIFIED)
    error = _refused(
        order, ValidationError, actor=cast.users[Role.RESIDENT], action=Action.RATE, rating=rating
    )
    assert error.message_dict == {"rating": ["Give a rating from 1 to 5."]}


def test_auto_close_after_seven_days_unrated(cast, repair):
    verified = walk(cast, report(cast, repair), Status.SUPERVISED)
    verified = transition(
        order_id=verified.pk, actor=cast.users[Role.COMMUNITY], action="verify", now=T0
    )
    rated = walk(cast, report(cast, repair), Status.RATED)
    assert auto_close_verified(now=T0 + datetime.timedelta(days=7, microseconds=-1)) == 0
    assert WorkOrder.objects.get(pk=verified.pk).status == Status.VERIFIED
    at = T0 + datetime.timedelta(days=7)
    assert auto_close_verified(now=at) == 1
    verified.refresh_from_db()
    assert (verified.status, verified.closed_at, verified.rating) == (Status.CLOSED, at, None)
    event = last_event(verified)
    assert (event.action, event.actor, event.role, event.from_status, event.to_status) == (
        "auto_close",
        None,
        "system",
        "verified",
        "closed",
    )
    assert WorkOrder.objects.get(pk=rated.pk).status == Status.RATED
    assert auto_close_verified(now=at) == 0
    # An unrated closed order may not be reopened.
    _refused(verified, NotAllowed, actor=cast.users[Role.RESIDENT], action=Action.REOPEN, now=at)


def test_auto_close_is_the_systems_alone(cast, repair):
    order = walk(cast, report(cast, repair), Status.VERIFIED)
    error = _refused(order, ValidationError, actor=cast.users[Role.COMMUNITY], action="auto_close")
    assert list(error.message_dict) == ["action"]


@pytest.mark.parametrize("term", [(datetime.date(2020, 1, 1), datetime.date(2023, 12, 31)), None])
def test_verify_from_done_without_a_committee_in_term(cast, repair, term):
    if term is None:
        Committee.objects.filter(compound=cast.a.compound).delete()
    else:
        Committee.objects.filter(compound=cast.a.compound).update(
            term_start=term[0], term_end=term[1]
        )
    order = walk(cast, report(cast, repair), Status.DONE)
    community = cast.users[Role.COMMUNITY]
    assert available_actions(order, community) == ["send_back", "verify"]
    order = transition(order_id=order.pk, actor=community, action=Action.VERIFY)
    assert (order.status, order.supervised_at) == (Status.VERIFIED, None)
    assert last_event(order).data == {"no_committee": True}


def test_a_committee_whose_term_starts_later_does_not_supervise_yet(cast, repair):
    Committee.objects.filter(compound=cast.a.compound).update(
        term_start=datetime.date(2099, 1, 1), term_end=datetime.date(2101, 12, 31)
    )
    order = walk(cast, report(cast, repair), Status.DONE)
    order = transition(order_id=order.pk, actor=cast.users[Role.COMMUNITY], action="verify")
    assert order.status == Status.VERIFIED
