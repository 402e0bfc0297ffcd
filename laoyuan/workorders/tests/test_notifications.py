"""Who hears of each step: the resident of every step of their own order (in the platform and
by SMS), the next hand that it is their turn, by email too where they have an address; nothing
when the step is refused; a failing SMS or email backend never undoes a step."""

import datetime
import logging

import pytest
from django.core.exceptions import ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.core.sms import MemorySmsBackend
from laoyuan.inbox.models import Notification
from laoyuan.orgs.models import Committee
from laoyuan.workorders.enums import Action, Status
from laoyuan.workorders.services.transitions import (
    Forbidden,
    NotAllowed,
    escalate_overdue,
    transition,
)
from laoyuan.workorders.tests.flow import PATH, keep_committee_in_term, report, walk

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture(autouse=True)
def _committee_in_term(request):
    if "cast" in request.fixturenames:
        keep_committee_in_term(request.getfixturevalue("cast"))


PHONE = "13812341234"


class BrokenSms:
    def send(self, *, phone: str, text: str) -> None:
        raise ConnectionError("SMS gateway down")


@pytest.fixture
def sms(settings):
    settings.SMS_BACKEND = "laoyuan.core.sms.MemorySmsBackend"
    settings.LANGUAGE_CODE = "en"  # emails and SMS go out in the site's language
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def resident(cast):
    user = cast.users[Role.RESIDENT]
    user.phone = PHONE
    user.email = "resident@example.org"
    user.save(update_fields=["phone", "email"])
    return user


def _events(user):
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("event", flat=True)
    )


def test_the_resident_hears_of_every_step_and_each_next_hand_of_theirs(
    cast, repair, resident, sms, mailoutbox, django_capture_on_commit_callbacks
):
    users = cast.users
    company = users[Role.COMPANY]
    company.email = "company@example.org"
    company.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        order = walk(cast, report(cast, repair), Status.CLOSED)
    steps = [f"workorder.{action}" for _, _, action, _ in PATH]
    # Every step but the resident's own (the report and the rating).
    mine = [step for step in steps if step != "workorder.rate"]
    assert _events(resident) == mine
    assert _events(users[Role.BRANCH]) == ["workorder.create"]
    assert _events(company) == ["workorder.dispatch"]
    assert _events(users[Role.COMMITTEE]) == ["workorder.finish"]
    assert _events(users[Role.COMMUNITY]) == ["workorder.supervise", "workorder.rate"]
    for who in (Role.STREET, Role.GRID, Role.DISTRICT, Role.INSPECTOR, "outsider"):
        assert _events(users[who]) == []
    assert _events(users["other_district"]) == []
    row = Notification.objects.filter(user=resident).order_by("pk").first()
    assert (row.subject, row.url, row.read_at) == (str(order), f"/workorders/{order.pk}/", None)
    finish = Notification.objects.get(user=resident, event="workorder.finish")
    assert finish.note == "换了灯泡"

    # SMS to the resident's phone, one per step they heard of.
    assert [phone for phone, _ in sms] == [PHONE] * len(mine)
    assert sms[0] == (PHONE, f"Work order dispatched: {order}")
    assert sms[3] == (PHONE, f"Work finished, to supervise: {order} — 换了灯泡")
    # Email copies to those with an address: the resident's steps and the company's one.
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        ["company@example.org"] + ["resident@example.org"] * len(mine)
    )
    dispatched = next(m for m in mailoutbox if m.to == ["company@example.org"])
    assert dispatched.subject == "Work order dispatched"
    assert dispatched.body == f"Work order dispatched: {order}\n/workorders/{order.pk}/"


def test_the_next_hands_of_the_side_moves(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    users = cast.users
    branch, company = users[Role.BRANCH], users[Role.COMPANY]
    with django_capture_on_commit_callbacks(execute=True):
        order = walk(cast, report(cast, repair), Status.DISPATCHED)
        transition(order_id=order.pk, actor=company, action=Action.RETURN, note="非物业范围")
        transition(order_id=order.pk, actor=branch, action=Action.DISPATCH)
        walk(cast, order.__class__.objects.get(pk=order.pk), Status.SUPERVISED)
        transition(order_id=order.pk, actor=users[Role.COMMUNITY], action="send_back", note="漏")
    assert _events(branch) == ["workorder.create", "workorder.return"]
    assert _events(company) == ["workorder.dispatch", "workorder.dispatch", "workorder.send_back"]
    assert _events(resident)[-3:] == [
        "workorder.finish",
        "workorder.supervise",
        "workorder.send_back",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = report(cast, repair)
        transition(order_id=cancelled.pk, actor=resident, action=Action.CANCEL)
    assert _events(branch)[-2:] == ["workorder.create", "workorder.cancel"]
    assert _events(company)[-1] == "workorder.send_back"  # a cancel is not the company's turn


def test_without_a_committee_the_community_hears_of_the_finished_work(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    Committee.objects.filter(compound=cast.a.compound).update(term_end=datetime.date(2024, 12, 31))
    with django_capture_on_commit_callbacks(execute=True):
        walk(cast, report(cast, repair), Status.DONE)
    assert _events(cast.users[Role.COMMUNITY]) == ["workorder.finish"]
    assert _events(cast.users[Role.COMMITTEE]) == []


def test_a_return_after_escalation_tells_the_community_too(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    now = datetime.datetime.now(datetime.UTC)
    order = report(cast, repair, now=now - datetime.timedelta(hours=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_overdue(now=now) == 1
        transition(order_id=order.pk, actor=cast.users[Role.COMMUNITY], action="dispatch")
        transition(order_id=order.pk, actor=cast.users[Role.COMPANY], action="return", note="x")
    assert _events(cast.users[Role.COMMUNITY]) == ["workorder.escalate", "workorder.return"]
    assert _events(cast.users[Role.BRANCH]) == ["workorder.return"]
    assert _events(cast.users[Role.STREET]) == []
    # The resident heard of all three in the platform, by SMS of the two steps only.
    assert _events(resident) == ["workorder.escalate", "workorder.dispatch", "workorder.return"]
    assert [text.split(":")[0] for _, text in sms] == [
        "Work order dispatched",
        "Work order returned to the branch",
    ]


def test_nothing_is_sent_when_a_step_is_refused(
    cast, repair, resident, sms, mailoutbox, django_capture_on_commit_callbacks
):
    order = walk(cast, report(cast, repair), Status.IN_PROGRESS)
    before = Notification.objects.count()
    mailoutbox.clear()
    company = cast.users[Role.COMPANY]
    attempts = [
        (company, Action.FINISH, {}, ValidationError),  # no note
        (cast.users["outsider"], Action.FINISH, {"note": "x"}, Forbidden),
        (resident, Action.CANCEL, {}, NotAllowed),
    ]
    for actor, action, extra, error in attempts:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(error),
        ):
            transition(order_id=order.pk, actor=actor, action=action, **extra)
        assert callbacks == []
    assert Notification.objects.count() == before
    assert (sms, mailoutbox) == ([], [])


def test_a_failing_sms_backend_does_not_undo_the_step(
    cast, repair, resident, settings, caplog, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "laoyuan.workorders.tests.test_notifications.BrokenSms"
    order = report(cast, repair)
    with (
        caplog.at_level(logging.ERROR, logger="laoyuan.inbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    assert order.status == Status.DISPATCHED
    assert _events(resident) == ["workorder.dispatch"]
    assert _events(cast.users[Role.COMPANY]) == ["workorder.dispatch"]
    assert [r.getMessage() for r in caplog.records] == [f"SMS to user {resident.pk} failed"]


def test_a_failing_email_backend_does_not_undo_the_step(
    cast, repair, resident, sms, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    import laoyuan.inbox.services as inbox_services

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(inbox_services, "send_mail", broken)
    order = report(cast, repair)
    with (
        caplog.at_level(logging.ERROR, logger="laoyuan.inbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    assert order.status == Status.DISPATCHED
    assert _events(resident) == ["workorder.dispatch"]
    assert [r.getMessage() for r in caplog.records] == [f"email to user {resident.pk} failed"]
    assert [phone for phone, _ in sms] == [PHONE]


def test_residents_of_a_household_hear_of_an_order_taken_for_them(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    grid = cast.users[Role.GRID]
    with django_capture_on_commit_callbacks(execute=True):
        order = report(cast, repair, actor=grid)
        transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    # The grid worker took it; the household hears of the report and the dispatch.
    assert _events(resident) == ["workorder.create", "workorder.dispatch"]
    assert _events(grid) == []
    assert [phone for phone, _ in sms] == [PHONE, PHONE]


def test_one_notice_per_person_per_step(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    """A community officer who lives in the compound asked for the order: they hear of each
    step once (as its requester and, for a supervised order, as the next hand), and not of
    their own report."""
    from laoyuan.factories import grant

    member = cast.users[Role.COMMUNITY]
    grant(member, Role.RESIDENT, cast.a.neighbour_house)
    with django_capture_on_commit_callbacks(execute=True):
        order = report(cast, repair, actor=member, house=cast.a.neighbour_house)
        walk(cast, order, Status.SUPERVISED)
    assert _events(member) == [
        "workorder.dispatch",
        "workorder.accept",
        "workorder.start",
        "workorder.finish",
        "workorder.supervise",
    ]
    assert _events(resident) == []  # a neighbour's order
    assert sms == []  # the member has no phone


def test_emails_go_out_in_the_sites_language_whatever_the_actors(
    cast, repair, resident, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import translation

    settings.SMS_BACKEND = "laoyuan.core.sms.MemorySmsBackend"
    settings.LANGUAGE_CODE = "zh-hans"
    order = report(cast, repair)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    (mail,) = mailoutbox
    with translation.override("zh-hans"):
        from laoyuan.workorders.notices import LABELS

        title = str(LABELS["workorder.dispatch"])
    assert mail.subject == title
    assert mail.body.startswith(f"{title}: {order}")


def test_a_deactivated_resident_hears_nothing(
    cast, repair, resident, sms, mailoutbox, django_capture_on_commit_callbacks
):
    order = report(cast, repair)
    resident.is_active = False
    resident.save(update_fields=["is_active"])
    with django_capture_on_commit_callbacks(execute=True):
        transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action=Action.DISPATCH)
    assert _events(resident) == []
    assert (sms, [m.to for m in mailoutbox]) == ([], [])


def test_a_failure_to_notify_is_logged_not_raised(
    cast, repair, resident, sms, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    from laoyuan.workorders import notices

    def broken(**kwargs):
        raise RuntimeError("inbox down")

    order = report(cast, repair)
    monkeypatch.setattr(notices, "announce", broken)
    with (
        caplog.at_level(logging.ERROR, logger="django.db.backends.base"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        order = transition(order_id=order.pk, actor=cast.users[Role.BRANCH], action="dispatch")
    assert len(callbacks) == 1
    assert order.__class__.objects.get(pk=order.pk).status == Status.DISPATCHED
    assert _events(resident) == []
    assert any("inbox down" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_a_transfer_tells_the_new_company_and_the_old(
    cast, repair, resident, sms, django_capture_on_commit_callbacks
):
    from laoyuan.factories import user_with

    b_staff = user_with(Role.COMPANY, cast.b.company)
    with django_capture_on_commit_callbacks(execute=True):
        order = walk(cast, report(cast, repair), Status.DISPATCHED)
    with django_capture_on_commit_callbacks(execute=True):  # each step commits on its own
        transition(
            order_id=order.pk,
            actor=cast.users[Role.BRANCH],
            action=Action.TRANSFER,
            company_id=cast.b.company.pk,
        )
    assert _events(b_staff) == ["workorder.transfer"]
    assert _events(cast.users[Role.COMPANY]) == ["workorder.dispatch", "workorder.transfer"]
    assert _events(resident) == ["workorder.dispatch", "workorder.transfer"]
    assert _events(cast.users[Role.BRANCH]) == ["workorder.create"]
