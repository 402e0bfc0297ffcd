"""The demo's time bank at a small scale: volunteers (low-income first), organisations, a year of
activities and claims, the hours ledger, pools and redemptions; the demo resident can claim and
redeem, the demo community user has claims to verify; the same seed gives the same figures."""

import datetime
import io
import itertools
from collections import defaultdict
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum

from laoyuan.accounts.models import User
from laoyuan.billing.enums import TIMEBANK_CHANNEL
from laoyuan.billing.models import Payment
from laoyuan.billing.services.ledger import balance as fee_balance
from laoyuan.billing.services.ledger import household_account as fee_account
from laoyuan.core.money import to_fen
from laoyuan.demo.tests.test_seed_demo import TODAY, seed
from laoyuan.demo.workorders import demo_now
from laoyuan.people.models import Person
from laoyuan.timebank import checks, queries
from laoyuan.timebank.enums import LIVE_CLAIM_STATUSES, ClaimStatus, MemberRole
from laoyuan.timebank.models import (
    Activity,
    Claim,
    Contribution,
    HourEntry,
    Membership,
    Pool,
    Post,
    Redemption,
    Volunteer,
    VolunteerOrg,
)
from laoyuan.timebank.services import exchange, ledger

pytestmark = pytest.mark.django_db

NOW = demo_now(datetime.date.fromisoformat(TODAY))


def figures() -> dict[str, Any]:
    return {
        "orgs": VolunteerOrg.objects.count(),
        "volunteers": Volunteer.objects.count(),
        "memberships": Membership.objects.count(),
        "posts": Post.objects.count(),
        "activities": Activity.objects.count(),
        "claims": dict(
            Claim.objects.values_list("status").annotate(n=Count("id")).order_by("status")
        ),
        "needs_second": Claim.objects.filter(needs_second=True).count(),
        "flagged": Claim.objects.filter(flagged_at__isnull=False).count(),
        "entries": HourEntry.objects.count(),
        "pools": Pool.objects.count(),
        "contributions": Contribution.objects.count(),
        "redemptions": Redemption.objects.count(),
        "redeemed": str(to_fen(Redemption.objects.aggregate(total=Sum("amount"))["total"])),
    }


EXPECTED: dict[str, Any] = {
    "orgs": 30,
    "volunteers": 240,
    "memberships": 304,
    "posts": 6,
    "activities": 235,
    "claims": {"pending": 19, "rejected": 61, "second": 1, "verified": 1437},
    "needs_second": 31,
    "flagged": 13,
    "entries": 1443,
    "pools": 3,
    "contributions": 4,
    "redemptions": 6,
    "redeemed": "170.00",
}


def test_demo_time_bank_figures_and_checks() -> None:
    _, err = seed()

    assert "volunteers: " in err
    assert "time bank: " in err
    assert figures() == EXPECTED
    call_command("ledger_check", stdout=io.StringIO())
    call_command("timebank_check", stdout=io.StringIO())
    assert checks.first_discrepancy() is None


def test_demo_volunteers_are_residents_low_income_first() -> None:
    seed()

    volunteers = Volunteer.objects.select_related("person")
    assert all(
        v.person.residencies.filter(house_id=v.house_id, compound_id=v.compound_id).exists()
        for v in volunteers
    )
    low = Person.objects.filter(low_income=True, residencies__isnull=False).distinct()
    assert low.exists()
    assert low.filter(volunteer__isnull=True).count() == 0
    for v in volunteers:
        assert (v.community_id, v.street_id) == (v.compound.community_id, v.compound.street_id)
    counts = Membership.objects.values("volunteer").annotate(n=Count("id"))
    assert {row["n"] for row in counts} == {1, 2}
    assert counts.count() == volunteers.count()
    assert Membership.objects.filter(role=MemberRole.LEADER).count() == (
        Membership.objects.values("org").distinct().count()
    )
    assert not Membership.objects.exclude(org__community_id=F("volunteer__community_id")).exists()


def test_demo_claims_lie_within_activities_without_overlaps() -> None:
    seed()

    claims = Claim.objects.select_related("activity")
    assert not claims.exclude(community_id=F("volunteer__community_id")).exists()
    intervals: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for claim in claims:
        activity = claim.activity
        assert activity.start <= claim.start < claim.end <= activity.end, claim.pk
        assert claim.minutes == int((claim.end - claim.start).total_seconds() // 60)
        assert claim.end <= claim.created_at <= NOW
        assert claim.created_at <= activity.end + queries.CLAIM_WINDOW
        assert 60 <= activity.minutes <= 240 and 3 <= activity.capacity <= 20
        if claim.status in LIVE_CLAIM_STATUSES:
            intervals[claim.volunteer_id].append((claim.start, claim.end))
        if claim.status == ClaimStatus.REJECTED:
            assert claim.reason and claim.rejected_at is not None
        if claim.status == ClaimStatus.VERIFIED:
            entry = HourEntry.objects.get(claim=claim)
            assert entry.on == claim.start.astimezone(NOW.tzinfo).date()
        if claim.status in (ClaimStatus.PENDING, ClaimStatus.SECOND) and claim.due_on < NOW.date():
            assert claim.flagged_at is not None
    for spans in intervals.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start
    for activity in Activity.objects.all():
        live = activity.claims.filter(status__in=LIVE_CLAIM_STATUSES).count()
        assert live <= activity.capacity


def test_demo_resident_can_claim_and_redeem_and_community_can_verify() -> None:
    seed()

    resident = User.objects.get(username="demo-resident")
    volunteer = Volunteer.objects.get(person=resident.person)
    house = volunteer.house
    assert Claim.objects.filter(volunteer=volunteer, status=ClaimStatus.VERIFIED).exists()
    assert ledger.balance(ledger.household_account(house)) >= 60
    assert fee_balance(fee_account(house)) > 0
    rate = exchange.rate_on(house.compound.district_id, NOW.date())
    assert rate is not None
    assert exchange.redeemed_this_year(house, NOW.year) < rate.yearly_cap
    pools = exchange.pools_for(house)
    assert pools and exchange.pool_left(pools[0]) > 0
    own = [
        activity
        for activity in queries.claimable(volunteer, now=NOW)
        if activity.compound_id == volunteer.compound_id
        and activity.end <= NOW
        and activity.minutes >= 60
    ]
    assert own

    community = User.objects.get(username="demo-community")
    assert queries.queue(community).exists()


def test_demo_redemptions_go_through_both_ledgers() -> None:
    seed()

    redemptions = Redemption.objects.select_related("payment", "hour_entry")
    assert redemptions.exists()
    for redemption in redemptions:
        assert redemption.payment.channel == TIMEBANK_CHANNEL
        assert redemption.payment.amount == redemption.amount
        assert redemption.amount == exchange.discount_for(
            redemption.minutes, redemption.yuan_per_hour
        )
        assert redemption.on_behalf
    assert Payment.objects.filter(channel=TIMEBANK_CHANNEL).count() == redemptions.count()


def test_demo_time_bank_is_deterministic() -> None:
    results = []
    for _ in range(2):
        with transaction.atomic():
            seed()
            results.append(figures())
            transaction.set_rollback(True)
    assert results[0] == results[1]
