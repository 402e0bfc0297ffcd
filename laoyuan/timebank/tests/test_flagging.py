"""Claims left unverified: the 10 working days by the official calendar (holidays off, make-up
Saturdays on; Monday to Friday for a year the calendar package does not cover yet), flagged once
to the community and the street office of the claim's place, and the daily command."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.factories import user_with
from laoyuan.inbox.models import Notification
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Claim
from laoyuan.timebank.services import claims
from laoyuan.timebank.tests import helpers as h
from laoyuan.timebank.workdays import add_workdays, is_workday

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def claim_on(cast, day, *, start=9, end=12, title="楼道清扫"):
    """A claim made on the evening of ``day`` for that day's activity."""
    activity = h.activity(cast, day, start, end, title=title)
    return claims.create_claim(
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=activity.end,
        now=h.at(day, 20),
    )


# --- The calendar --------------------------------------------------------------------------


def test_the_2026_spring_festival_calendar():
    # Holidays 15–23 February (Sunday to Monday); Saturdays 14 and 28 February are worked.
    assert [is_workday(D(2026, 2, day)) for day in range(12, 29)] == [
        True,  # Thu 12
        True,  # Fri 13
        True,  # Sat 14, made up
        *[False] * 9,  # 15–23
        True,  # Tue 24
        True,  # Wed 25
        True,  # Thu 26
        True,  # Fri 27
        True,  # Sat 28, made up
    ]
    assert is_workday(D(2026, 3, 1)) is False  # an ordinary Sunday


def test_a_claim_made_before_the_spring_festival_is_due_after_it(cast):
    h.volunteer(cast)
    # Thu 12 Feb: 13, 14 (Sat, made up), 24, 25, 26, 27, 28 (Sat, made up), 2, 3, 4 March.
    made = claim_on(cast, D(2026, 2, 12))
    assert made.due_on == D(2026, 3, 4)
    assert add_workdays(D(2026, 2, 13), 10) == D(2026, 3, 5)


def test_a_claim_made_before_national_day_is_due_after_it(cast):
    h.volunteer(cast)
    # Mid-Autumn 25–27 Sep and National Day 1–7 Oct off; Sun 20 Sep and Sat 10 Oct worked.
    friday = claim_on(cast, D(2026, 9, 18))  # 20, 21, 22, 23, 24, 28, 29, 30, Oct 8, 9
    monday = claim_on(cast, D(2026, 9, 21))  # 22, 23, 24, 28, 29, 30, Oct 8, 9, 10 (Sat), 12
    assert (friday.due_on, monday.due_on) == (D(2026, 10, 9), D(2026, 10, 12))


def test_a_year_the_package_lacks_counts_monday_to_friday(cast):
    h.volunteer(cast)
    made = claim_on(cast, D(2031, 1, 1))  # a Wednesday; 1 January itself never counts
    assert made.due_on == D(2031, 1, 15)
    assert is_workday(D(2031, 1, 4)) is False  # Saturday
    assert is_workday(D(2031, 1, 1)) is True  # unknown holiday: a Wednesday counts
    # Across the year end: 2026 by the official calendar, then 2027 Monday to Friday.
    assert add_workdays(D(2026, 12, 24), 10) == D(2027, 1, 7)


# --- Flagging ------------------------------------------------------------------------------


def test_flag_overdue_flags_a_late_claim_once(cast):
    h.volunteer(cast)
    made = claim_on(cast, D(2026, 2, 12))
    assert claims.flag_overdue(today=D(2026, 3, 4)) == 0  # the due day itself is in time
    assert claims.flag_overdue(today=D(2026, 3, 5)) == 1
    made.refresh_from_db()
    first = made.flagged_at
    assert first is not None
    assert claims.flag_overdue(today=D(2026, 3, 5)) == 0
    assert claims.flag_overdue(today=D(2026, 3, 20)) == 0
    made.refresh_from_db()
    assert made.flagged_at == first


def test_only_open_claims_are_flagged(cast):
    h.volunteer(cast)
    pending = claim_on(cast, D(2026, 3, 2))
    verified = claim_on(cast, D(2026, 3, 3))
    rejected = claim_on(cast, D(2026, 3, 4))
    second = claim_on(cast, D(2026, 3, 5), start=8, end=13)  # 300 minutes: two verifiers
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=verified)
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=rejected, reason="无人证明")
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=second)
    assert claims.flag_overdue(today=D(2026, 6, 1)) == 2
    assert sorted(Claim.objects.filter(flagged_at__isnull=False).values_list("pk", flat=True)) == [
        pending.pk,
        second.pk,
    ]
    second.refresh_from_db()
    assert second.status == ClaimStatus.SECOND


def test_the_flag_tells_the_community_and_street_of_the_place_only(
    cast, django_capture_on_commit_callbacks
):
    h.volunteer(cast)
    h.community_user(cast, "b")
    user_with(Role.COMMUNITY, cast.c.community, "community_c")
    user_with(Role.STREET, cast.c.street, "street_c")
    revoked = user_with(Role.STREET, cast.a.street, "street_gone")
    revoked.assignments.update(revoked_at=h.at(D(2026, 1, 1), 9))
    claim_on(cast, D(2026, 2, 12))
    with django_capture_on_commit_callbacks(execute=True):
        assert claims.flag_overdue(today=D(2026, 3, 5)) == 1
    queue = reverse("timebank:queue")
    assert sorted(
        Notification.objects.filter(event="timebank.overdue").values_list(
            "user__username", "subject", "url"
        )
    ) == [
        ("community", "楼道清扫: 3:00 (2026-03-04)", queue),
        ("street", "楼道清扫: 3:00 (2026-03-04)", queue),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        claims.flag_overdue(today=D(2026, 3, 6))
    assert Notification.objects.filter(event="timebank.overdue").count() == 2


def test_the_daily_command_reports_what_it_did(cast):
    h.volunteer(cast)
    claim_on(cast, D(2026, 2, 12))
    claim_on(cast, D(2026, 2, 13))
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2026-03-05", stdout=out)
    assert out.getvalue() == "flagged 1 claims; expired minutes of 0 households\n"
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2026-03-06", stdout=out)
    assert out.getvalue() == "flagged 1 claims; expired minutes of 0 households\n"
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2026-03-06", stdout=out)
    assert out.getvalue() == "flagged 0 claims; expired minutes of 0 households\n"


def test_the_daily_command_posts_expiry(cast):
    h.volunteer(cast)
    made = claim_on(cast, D(2026, 2, 12))
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2028-02-11", stdout=out)
    assert out.getvalue() == "flagged 0 claims; expired minutes of 0 households\n"
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2028-02-12", stdout=out)
    assert out.getvalue() == "flagged 0 claims; expired minutes of 1 households\n"
    out = io.StringIO()
    call_command("timebank_daily", "--today", "2028-02-13", stdout=out)
    assert out.getvalue() == "flagged 0 claims; expired minutes of 0 households\n"
