"""Claims of hours at the service level: every refusal names its field and writes nothing, who
may claim on a volunteer's behalf, who may verify or reject, the second verifier at the daily
threshold, reversals, and who hears of each step (inbox notifications)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.core.models import AuditEvent
from laoyuan.factories import user_with
from laoyuan.inbox.models import Notification
from laoyuan.people.models import Person
from laoyuan.timebank.enums import ClaimStatus, HourEntryKind, MemberRole
from laoyuan.timebank.models import Claim, HourEntry, HourPosting, Volunteer
from laoyuan.timebank.services import claims, exchange, ledger, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 10)  # a Tuesday
AFTER = h.at(datetime.date(2026, 3, 11), 9)  # "now" for the claims: the next morning


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def claim(cast, activity, actor=None, start=None, end=None, volunteer=None, now=AFTER):
    return claims.create_claim(
        actor=actor or cast.users[Role.RESIDENT],
        activity=activity,
        start=start or activity.start,
        end=end or activity.end,
        volunteer=volunteer,
        now=now,
    )


def neighbour(cast) -> Volunteer:
    """A second volunteer in community A: the neighbour at 102."""
    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=Person.objects.get(name="甲邻居"),
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )


def neighbour_user(cast):
    user = user_with(Role.RESIDENT, cast.a.neighbour_house, "neighbour")
    user.person = Person.objects.get(name="甲邻居")
    user.save(update_fields=["person"])
    return user


def refused(call, **kwargs):
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


def held(house) -> int:
    return ledger.balance(ledger.household_account(house))


# --- Making a claim ------------------------------------------------------------------------


def test_overlap_is_refused_back_to_back_is_allowed_and_a_rejected_claim_no_longer_blocks(cast):
    volunteer = h.volunteer(cast)
    morning = h.activity(cast, MARCH, 8, 12, title="垃圾分类督导")
    noon = h.activity(cast, MARCH, 11, 14, title="楼道清扫")
    first = claim(cast, morning)
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=noon,
        start=h.at(MARCH, 11, 59),
        end=noon.end,
        now=AFTER,
    ) == {
        "start": [
            "These times overlap your claim for “垃圾分类督导”, "
            "2026-03-10 08:00 to 2026-03-10 12:00."
        ]
    }
    assert volunteer.claims.count() == 1
    back_to_back = claim(cast, noon, start=h.at(MARCH, 12))
    assert (back_to_back.minutes, back_to_back.status) == (120, ClaimStatus.PENDING)
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=back_to_back, reason="没来")
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=first, reason="时间不对")
    again = claim(cast, noon)  # 11:00-14:00 overlaps only rejected claims
    assert (again.minutes, again.status) == (180, ClaimStatus.PENDING)
    assert sorted(volunteer.claims.values_list("status", flat=True)) == [
        "pending",
        "rejected",
        "rejected",
    ]


def test_a_claim_outside_the_activity_names_the_side_that_is_out(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    window = (
        "The claim must lie within the activity, 2026-03-10 09:00 to 2026-03-10 12:00 (3:00 hours)."
    )
    early = refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 8, 59),
        end=h.at(MARCH, 11),
        now=AFTER,
    )
    late = refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 10),
        end=h.at(MARCH, 12, 1),
        now=AFTER,
    )
    assert (early, late) == ({"start": [window]}, {"end": [window]})
    backwards = refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 11),
        end=h.at(MARCH, 10),
        now=AFTER,
    )
    assert backwards == {"end": ["Check-out must be after check-in."]}
    missing = refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=None,
        end="12:00",
        now=AFTER,
    )
    assert missing == {
        "start": ["Enter the check-in time."],
        "end": ["Enter the check-out time."],
    }
    assert Claim.objects.count() == 0


def test_a_check_out_in_the_future_is_refused_and_the_present_minute_is_not(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=h.at(MARCH, 11, 1),
        now=h.at(MARCH, 11),
    ) == {"end": ["Check-out cannot be in the future."]}
    made = claim(cast, activity, end=h.at(MARCH, 11), now=h.at(MARCH, 11))
    assert made.minutes == 120
    assert Claim.objects.count() == 1


def test_a_full_activity_and_a_duplicate_claim_are_refused(cast):
    mine = h.volunteer(cast)
    theirs = neighbour(cast)
    activity = h.activity(cast, MARCH, 9, 12, capacity=1)
    claim(cast, activity, end=h.at(MARCH, 10))
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 10),
        end=h.at(MARCH, 11),
        now=AFTER,
    ) == {"activity": ["You have already claimed this activity."]}
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.COMMUNITY],
        activity=activity,
        volunteer=theirs,
        start=activity.start,
        end=activity.end,
        now=AFTER,
    ) == {"activity": ["This activity's one place is claimed."]}
    assert list(Claim.objects.values_list("volunteer_id", flat=True)) == [mine.pk]


def test_a_rejected_claim_frees_its_place(cast):
    h.volunteer(cast)
    theirs = neighbour(cast)
    activity = h.activity(cast, MARCH, 9, 12, capacity=1)
    first = claim(cast, activity)
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=first, reason="不在现场")
    second = claim(cast, activity, actor=cast.users[Role.COMMUNITY], volunteer=theirs)
    assert (second.volunteer_id, second.status) == (theirs.pk, ClaimStatus.PENDING)


def test_another_communitys_activity_is_refused(cast):
    h.volunteer(cast)
    elsewhere = orgs.create_activity(
        actor=h.community_user(cast, "b"),
        compound=cast.b.compound,
        title="乙院巡逻",
        category="patrol",
        start=h.at(MARCH, 9),
        end=h.at(MARCH, 12),
        capacity=5,
    )
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=elsewhere,
        start=elsewhere.start,
        end=elsewhere.end,
        now=AFTER,
    ) == {"activity": ["This activity is not in the volunteer's community."]}
    assert Claim.objects.count() == 0


def test_an_inactive_volunteer_cannot_claim_nor_be_claimed_for(cast):
    volunteer = h.volunteer(cast)
    Volunteer.objects.filter(pk=volunteer.pk).update(active=False)
    volunteer.refresh_from_db()
    activity = h.activity(cast, MARCH, 9, 12)
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=activity.end,
        now=AFTER,
    ) == {"volunteer": ["Register as a volunteer first."]}
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.COMMUNITY],
        activity=activity,
        volunteer=volunteer,
        start=activity.start,
        end=activity.end,
        now=AFTER,
    ) == {"volunteer": ["This volunteer is no longer active."]}
    assert Claim.objects.count() == 0


def test_the_community_claims_on_behalf_with_an_audit_event(cast):
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    made = claim(cast, activity, actor=cast.users[Role.COMMUNITY], volunteer=volunteer)
    assert (made.on_behalf, made.claimed_by, made.house_id, made.minutes) == (
        True,
        cast.users[Role.COMMUNITY],
        cast.a.house.pk,
        180,
    )
    event = AuditEvent.objects.get(action="timebank.claim")
    assert event.actor == cast.users[Role.COMMUNITY]
    assert event.target_id == made.pk
    assert event.summary == f"claim of 180 min for activity {activity.pk} on the volunteer's behalf"
    assert event.changes["on_behalf"] is True


def test_the_organiser_claims_on_behalf_and_the_volunteer_for_themself(cast):
    volunteer = h.volunteer(cast)
    grid = cast.users[Role.GRID]
    activity = h.activity(cast, MARCH, 9, 12, organiser=grid)
    made = claim(cast, activity, actor=grid, volunteer=volunteer)
    assert (made.on_behalf, made.claimed_by) == (True, grid)
    own = claim(cast, h.activity(cast, MARCH, 13, 15))
    assert (own.on_behalf, own.claimed_by) == (False, cast.users[Role.RESIDENT])
    assert AuditEvent.objects.get(target_id=own.pk, action="timebank.claim").summary == (
        f"claim of 120 min for activity {own.activity_id}"
    )


@pytest.mark.parametrize("who", ["neighbour", Role.STREET, Role.DISTRICT, Role.GRID, "outsider"])
def test_nobody_else_claims_for_a_volunteer(cast, who):
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    actor = neighbour_user(cast) if who == "neighbour" else cast.users[who]
    if who == "neighbour":
        neighbour(cast)  # a volunteer themself, still not for someone else
    with pytest.raises(PermissionDenied):
        claim(cast, activity, actor=actor, volunteer=volunteer)
    assert Claim.objects.count() == 0


def test_a_user_who_is_no_volunteer_is_told_to_register(cast):
    activity = h.activity(cast, MARCH, 9, 12)
    assert refused(
        claims.create_claim,
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=activity.end,
        now=AFTER,
    ) == {"volunteer": ["Register as a volunteer first."]}


# --- Verifying, rejecting ------------------------------------------------------------------


def test_the_organiser_verifies_and_the_hours_post_to_the_household(cast):
    h.volunteer(cast)
    grid = cast.users[Role.GRID]
    made = claim(cast, h.activity(cast, MARCH, 9, 12, organiser=grid))
    done = claims.verify_claim(actor=grid, claim=made, now=AFTER)
    assert (done.status, done.verified_by, done.verified_at, done.second_by) == (
        ClaimStatus.VERIFIED,
        grid,
        AFTER,
        None,
    )
    entry = HourEntry.objects.get(claim=made)
    assert (entry.kind, entry.on, entry.category) == (HourEntryKind.EARN, MARCH, "cleaning")
    assert sorted(HourPosting.objects.filter(entry=entry).values_list("minutes", flat=True)) == [
        -180,
        180,
    ]
    assert held(cast.a.house) == 180


def test_the_community_verifies_any_claim_of_its_place(cast):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12, organiser=cast.users[Role.GRID]))
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
    assert held(cast.a.house) == 180


@pytest.mark.parametrize(
    "who", [Role.STREET, Role.DISTRICT, Role.BRANCH, Role.COMMITTEE, "outsider"]
)
def test_others_may_not_verify_nor_reject_a_fresh_claim(cast, who):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    assert claims.may_verify(cast.users[who], made) is False
    with pytest.raises(PermissionDenied):
        claims.verify_claim(actor=cast.users[who], claim=made)
    with pytest.raises(PermissionDenied):
        claims.reject_claim(actor=cast.users[who], claim=made, reason="x")
    made.refresh_from_db()
    assert made.status == ClaimStatus.PENDING


def test_the_street_verifies_only_once_the_claim_was_flagged(cast):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    street = cast.users[Role.STREET]
    assert claims.may_verify(street, made) is False
    assert made.due_on == datetime.date(2026, 3, 25)
    assert claims.flag_overdue(today=datetime.date(2026, 3, 26)) == 1
    made.refresh_from_db()
    assert claims.may_verify(street, made) is True
    assert claims.may_verify(cast.users["outsider"], made) is False
    assert claims.may_verify(cast.users[Role.DISTRICT], made) is False
    claims.verify_claim(actor=street, claim=made)
    assert held(cast.a.house) == 180


def test_the_volunteer_and_their_household_may_not_verify(cast):
    volunteer = h.volunteer(cast)
    resident = cast.users[Role.RESIDENT]
    # The volunteer leads the organisation and organises the activity: still not their claim.
    team = h.org(cast)
    orgs.add_member(
        actor=cast.users[Role.COMMUNITY], org=team, volunteer=volunteer, role=MemberRole.LEADER
    )
    made = claim(cast, h.activity(cast, MARCH, 9, 12, organiser=resident, org=team))
    assert claims.may_verify(resident, made) is False
    with pytest.raises(PermissionDenied):
        claims.verify_claim(actor=resident, claim=made)
    # A community officer living in the same household.
    officer = user_with(Role.COMMUNITY, cast.a.community, "officer_at_home")
    from laoyuan.factories import grant

    grant(officer, Role.RESIDENT, cast.a.house)
    assert claims.may_verify(officer, made) is False
    with pytest.raises(PermissionDenied):
        claims.reject_claim(actor=officer, claim=made, reason="x")
    made.refresh_from_db()
    assert (made.status, held(cast.a.house)) == (ClaimStatus.PENDING, 0)


def test_reject_needs_a_reason_of_at_most_300_characters(cast):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    community = cast.users[Role.COMMUNITY]
    for reason in ("", "   ", None):
        assert refused(claims.reject_claim, actor=community, claim=made, reason=reason) == {
            "reason": ["Give the reason."]
        }
    assert refused(claims.reject_claim, actor=community, claim=made, reason="长" * 301) == {
        "reason": ["At most 300 characters."]
    }
    made.refresh_from_db()
    assert (made.status, made.reason) == (ClaimStatus.PENDING, "")
    done = claims.reject_claim(actor=community, claim=made, reason=" 照片与活动不符 ", now=AFTER)
    assert (done.status, done.reason, done.rejected_by, done.rejected_at) == (
        ClaimStatus.REJECTED,
        "照片与活动不符",
        community,
        AFTER,
    )
    assert HourEntry.objects.count() == 0
    assert refused(claims.verify_claim, actor=community, claim=made) == {
        "claim": ["This claim is already Rejected."]
    }


def test_verifying_an_already_verified_claim_is_refused_and_posts_once(cast):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
    assert refused(claims.verify_claim, actor=h.organiser(cast), claim=made) == {
        "claim": ["This claim is already Verified."]
    }
    assert refused(
        claims.reject_claim, actor=cast.users[Role.COMMUNITY], claim=made, reason="晚了"
    ) == {"claim": ["This claim is already Verified."]}
    assert HourEntry.objects.filter(claim=made).count() == 1
    assert held(cast.a.house) == 180


def test_exactly_240_minutes_in_a_day_need_one_verifier(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 8, 14)
    made = claim(cast, activity, start=h.at(MARCH, 9), end=h.at(MARCH, 13))
    assert (made.minutes, made.needs_second) == (240, False)
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
    made.refresh_from_db()
    assert made.status == ClaimStatus.VERIFIED
    assert held(cast.a.house) == 240


def test_241_minutes_in_one_claim_need_two_different_verifiers(
    cast, django_capture_on_commit_callbacks
):
    h.volunteer(cast)
    second = h.organiser(cast)
    activity = h.activity(cast, MARCH, 8, 14)
    made = claim(cast, activity, start=h.at(MARCH, 9), end=h.at(MARCH, 13, 1))
    assert (made.minutes, made.needs_second) == (241, True)
    community = cast.users[Role.COMMUNITY]
    with django_capture_on_commit_callbacks(execute=True):
        first = claims.verify_claim(actor=community, claim=made, now=AFTER)
    assert (first.status, first.verified_by, held(cast.a.house)) == (
        ClaimStatus.SECOND,
        community,
        0,
    )
    assert list(
        Notification.objects.filter(event="timebank.second").values_list(
            "user__username", flat=True
        )
    ) == ["community2"]
    assert refused(claims.verify_claim, actor=community, claim=made) == {
        "claim": ["A second verifier must be someone else than the first."]
    }
    done = claims.verify_claim(actor=second, claim=made, now=AFTER)
    assert (done.status, done.verified_by, done.second_by, done.second_at) == (
        ClaimStatus.VERIFIED,
        community,
        second,
        AFTER,
    )
    assert held(cast.a.house) == 241
    assert list(
        AuditEvent.objects.filter(target_id=made.pk, target_type="timebank.claim")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["timebank.claim", "timebank.verify_first", "timebank.verify"]


def test_the_days_claims_add_up_to_the_threshold(cast):
    h.volunteer(cast)
    morning = claim(cast, h.activity(cast, MARCH, 8, 11))  # 180
    exactly = claim(cast, h.activity(cast, MARCH, 11, 12))  # 240 in the day
    above = claim(cast, h.activity(cast, MARCH, 14, 15), end=h.at(MARCH, 14, 1))  # 241
    next_day = claim(
        cast,
        h.activity(cast, MARCH + datetime.timedelta(days=1), 7, 8),
        now=h.at(MARCH + datetime.timedelta(days=1), 9),
    )
    assert [c.needs_second for c in (morning, exactly, above, next_day)] == [
        False,
        False,
        True,
        False,
    ]


def test_a_rejected_claim_does_not_count_towards_the_day(cast):
    h.volunteer(cast)
    morning = claim(cast, h.activity(cast, MARCH, 8, 12))  # 240
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=morning, reason="重复")
    later = claim(cast, h.activity(cast, MARCH, 14, 17))
    assert (later.minutes, later.needs_second) == (180, False)


# --- Reversing -----------------------------------------------------------------------------


def verified(cast, day=MARCH, start=9, end=12):
    made = claim(cast, h.activity(cast, day, start, end), now=h.at(day, 20))
    return claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)


def test_the_street_reverses_a_verified_claim_and_the_place_frees(cast):
    h.volunteer(cast)
    done = verified(cast)
    with pytest.raises(PermissionDenied):
        claims.reverse_claim(actor=cast.users[Role.GRID], claim=done, reason="虚报")
    with pytest.raises(PermissionDenied):
        claims.reverse_claim(actor=cast.users[Role.RESIDENT], claim=done, reason="虚报")
    with pytest.raises(PermissionDenied):
        claims.reverse_claim(actor=cast.users["outsider"], claim=done, reason="虚报")
    assert refused(claims.reverse_claim, actor=cast.users[Role.STREET], claim=done, reason=" ") == {
        "reason": ["Give the reason."]
    }
    back = claims.reverse_claim(actor=cast.users[Role.STREET], claim=done, reason="虚报")
    assert (back.status, back.reason, held(cast.a.house)) == (ClaimStatus.REVERSED, "虚报", 0)
    entries = HourEntry.objects.filter(claim=done).order_by("id")
    assert [(e.kind, e.reverses_id) for e in entries] == [
        (HourEntryKind.EARN, None),
        (HourEntryKind.EARN, entries[0].pk),
    ]
    assert refused(
        claims.reverse_claim, actor=cast.users[Role.COMMUNITY], claim=done, reason="再撤"
    ) == {"claim": ["Only a verified claim can be reversed."]}
    again = claim(cast, done.activity)
    assert again.status == ClaimStatus.PENDING


def test_a_pending_claim_cannot_be_reversed(cast):
    h.volunteer(cast)
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    assert refused(
        claims.reverse_claim, actor=cast.users[Role.COMMUNITY], claim=made, reason="x"
    ) == {"claim": ["Only a verified claim can be reversed."]}


def test_reversal_is_refused_once_the_minutes_were_donated(cast):
    h.volunteer(cast)
    done = verified(cast)
    exchange.donate(
        actor=cast.users[Role.RESIDENT],
        house=cast.a.house,
        to_house=cast.a.neighbour_house,
        minutes=60,
        today=datetime.date(2026, 3, 12),
    )
    assert refused(
        claims.reverse_claim, actor=cast.users[Role.COMMUNITY], claim=done, reason="虚报"
    ) == {
        "claim": [
            "Only 2:00 of the claim's 3:00 hours are still held; the rest were redeemed, given "
            "away or expired."
        ]
    }
    done.refresh_from_db()
    assert (done.status, held(cast.a.house)) == (ClaimStatus.VERIFIED, 120)
    assert HourEntry.objects.filter(claim=done).count() == 1


def test_reversal_is_refused_once_the_minutes_were_redeemed(cast):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    h.volunteer(cast)
    done = verified(cast)
    exchange.redeem(
        actor=cast.users[Role.RESIDENT],
        house=cast.a.house,
        minutes=30,
        today=datetime.date(2026, 3, 12),
    )
    assert refused(
        claims.reverse_claim, actor=cast.users[Role.STREET], claim=done, reason="虚报"
    ) == {
        "claim": [
            "Only 2:30 of the claim's 3:00 hours are still held; the rest were redeemed, given "
            "away or expired."
        ]
    }
    assert held(cast.a.house) == 150


# --- Who hears of it -----------------------------------------------------------------------


def inbox(event):
    return sorted(
        Notification.objects.filter(event=event).values_list("user__username", "subject", "url")
    )


def test_a_claim_tells_the_communitys_verifiers_and_the_organiser(
    cast, django_capture_on_commit_callbacks
):
    h.volunteer(cast)
    h.organiser(cast)  # a second community officer of A
    h.community_user(cast, "b")  # community B hears nothing
    activity = h.activity(cast, MARCH, 9, 12, organiser=cast.users[Role.GRID])
    with django_capture_on_commit_callbacks(execute=True):
        claim(cast, activity)
    queue = reverse("timebank:queue")
    assert inbox("timebank.claim") == [
        ("community", "楼道清扫: 3:00", queue),
        ("community2", "楼道清扫: 3:00", queue),
        ("grid", "楼道清扫: 3:00", queue),
    ]


def test_verified_and_rejected_claims_tell_the_household(cast, django_capture_on_commit_callbacks):
    h.volunteer(cast)
    other_house_user = neighbour_user(cast)
    first = claim(cast, h.activity(cast, MARCH, 9, 12))
    second = claim(cast, h.activity(cast, MARCH, 13, 15, title="垃圾分类"))
    with django_capture_on_commit_callbacks(execute=True):
        claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=first)
        claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=second, reason="无照片")
    mine = reverse("timebank:mine")
    assert inbox("timebank.verified") == [("resident", "楼道清扫: 3:00", mine)]
    assert inbox("timebank.rejected") == [("resident", "垃圾分类: 无照片", mine)]
    assert not Notification.objects.filter(user=other_house_user).exists()
    assert not Notification.objects.filter(user=cast.users[Role.COMMUNITY]).exists()


# --- Gaps found in review (the lead fixes the services) ----------------------------------------


def test_an_officer_living_in_the_volunteers_house_may_not_verify(cast):
    from laoyuan.factories import PersonFactory
    from laoyuan.people.models import Residency

    h.volunteer(cast)
    spouse = PersonFactory(name="甲居民配偶")
    Residency.objects.create(
        person=spouse, house=cast.a.house, compound=cast.a.compound, role="member"
    )
    officer = user_with(Role.COMMUNITY, cast.a.community, "officer_spouse")
    officer.person = spouse
    officer.save(update_fields=["person"])
    made = claim(cast, h.activity(cast, MARCH, 9, 12))
    assert claims.may_verify(officer, made) is False


def test_the_officer_who_claimed_on_behalf_does_not_verify_alone(cast):
    volunteer = h.volunteer(cast)
    community = cast.users[Role.COMMUNITY]
    made = claim(cast, h.activity(cast, MARCH, 9, 12), actor=community, volunteer=volunteer)
    assert claims.may_verify(community, made) is False
    assert claims.may_verify(h.organiser(cast), made) is True


def test_the_first_verifier_no_longer_sees_the_claim_waiting_for_a_second(cast):
    from laoyuan.timebank import queries

    h.volunteer(cast)
    second = h.organiser(cast)
    made = claim(cast, h.activity(cast, MARCH, 8, 14))  # 360 minutes: two verifiers
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
    assert list(queries.queue(second)) == [made]
    assert list(queries.queue(cast.users[Role.COMMUNITY])) == []


def test_the_queue_holds_what_each_verifier_may_verify(cast):
    from laoyuan.timebank import queries

    h.volunteer(cast)
    grid = cast.users[Role.GRID]
    organised = claim(cast, h.activity(cast, MARCH, 9, 12, organiser=grid))
    other = claim(cast, h.activity(cast, MARCH, 13, 15))
    assert [c.pk for c in queries.queue(grid)] == [organised.pk]
    assert sorted(c.pk for c in queries.queue(cast.users[Role.COMMUNITY])) == [
        organised.pk,
        other.pk,
    ]
    assert list(queries.queue(cast.users[Role.STREET])) == []
    assert list(queries.queue(cast.users[Role.RESIDENT])) == []
    claims.flag_overdue(today=datetime.date(2026, 4, 1))
    assert sorted(c.pk for c in queries.queue(cast.users[Role.STREET])) == [
        organised.pk,
        other.pk,
    ]
    assert list(queries.queue(cast.users["outsider"])) == []
