"""The issue's figures: hours verified, redeemed at the published rate into the fee ledger, the
refusals (cap, debt, pool, expiry) writing nothing, rate versions, and both ledgers balancing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as fee_checks
from laoyuan.billing.enums import TIMEBANK_CHANNEL, AccountKind, EntryKind
from laoyuan.billing.models import Bill, JournalEntry, Payment, Posting, Receipt
from laoyuan.billing.services.ledger import balance as fee_balance
from laoyuan.billing.services.ledger import household_account as fee_account
from laoyuan.billing.services.receipts import receipt_lines
from laoyuan.timebank import checks
from laoyuan.timebank.enums import ClaimStatus, HourEntryKind
from laoyuan.timebank.models import Claim, HourEntry, HourPosting, Redemption
from laoyuan.timebank.services import claims, exchange, ledger
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = datetime.date(2026, 3, 10)
TODAY = datetime.date(2026, 11, 27)


def earn(cast, minutes_by_day, volunteer=None):
    """Verified claims for the cast's volunteer: one activity per (day, start, end)."""
    volunteer = volunteer or h.volunteer(cast)
    for day, start, end in minutes_by_day:
        activity = h.activity(cast, day, start, end)
        claim = claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=activity.start,
            end=activity.end,
        )
        claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
        if claim.needs_second:
            claims.verify_claim(actor=h.organiser(cast), claim=claim)
    return volunteer


def snapshot():
    return (
        HourEntry.objects.count(),
        HourPosting.objects.count(),
        JournalEntry.objects.count(),
        Posting.objects.count(),
        Payment.objects.count(),
        Receipt.objects.count(),
        Redemption.objects.count(),
        list(Bill.objects.order_by("pk").values_list("paid", flat=True)),
    )


def test_six_hours_at_ten_yuan_offset_sixty_of_open_bills_and_show_on_the_receipt(cast):
    jan, feb = h.bills(cast)
    h.rate(cast, "10.00")
    pool = h.pool(cast, "1000.00")
    earn(cast, [(MARCH, 8, 11), (MARCH + datetime.timedelta(days=1), 14, 17)])
    house = cast.a.house
    assert ledger.balance(ledger.household_account(house)) == 360
    assert fee_balance(fee_account(house)) == D("86.40")

    redemption = exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=house, minutes=360, today=TODAY
    )

    assert (redemption.minutes, redemption.amount, redemption.yuan_per_hour) == (
        360,
        D("60.00"),
        D("10.00"),
    )
    assert redemption.on_behalf is False and redemption.pool == pool
    assert ledger.balance(ledger.household_account(house)) == 0
    assert fee_balance(fee_account(house)) == D("26.40")
    jan.refresh_from_db()
    feb.refresh_from_db()
    assert (jan.paid, feb.paid) == (D("43.20"), D("16.80"))
    assert exchange.pool_left(pool) == D("940.00")
    payment = redemption.payment
    assert (payment.channel, payment.amount) == (TIMEBANK_CHANNEL, D("60.00"))
    assert payment.get_channel_display() == "Time-bank discount"
    lines = receipt_lines(payment.receipt)
    assert [(line.period, line.amount) for line in lines] == [
        (datetime.date(2026, 1, 1), D("43.20")),
        (datetime.date(2026, 2, 1), D("16.80")),
    ]
    entry = JournalEntry.objects.get(payment=payment, kind=EntryKind.DISCOUNT)
    assert sorted((p.account.kind, p.amount) for p in entry.postings.select_related("account")) == [
        (AccountKind.HOUSEHOLD, D("-60.00")),
        (AccountKind.TIMEBANK_FUND, D("60.00")),
    ]
    assert fee_checks.first_discrepancy() is None
    assert checks.first_discrepancy() is None


def test_the_receipt_page_names_the_time_bank_discount(cast, client):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    earn(cast, [(MARCH, 9, 12)])
    redemption = exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=180, today=TODAY
    )
    client.force_login(cast.users[Role.RESIDENT])
    client.cookies["django_language"] = "zh-hans"
    from django.urls import reverse

    page = client.get(
        reverse("billing:resident_receipt", kwargs={"number": redemption.payment.receipt.number})
    )
    assert page.status_code == 200
    assert "时间银行抵扣" in page.content.decode()
    assert "30.00" in page.content.decode()


def test_a_claim_overlapping_another_is_refused_with_the_other_named(cast):
    volunteer = h.volunteer(cast)
    morning = h.activity(cast, MARCH, 8, 12, title="垃圾分类督导")
    overlap = h.activity(cast, MARCH, 11, 14, title="楼道清扫")
    claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=morning, start=morning.start, end=morning.end
    )
    with pytest.raises(ValidationError) as refused:
        claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=overlap,
            start=overlap.start,
            end=overlap.end,
        )
    assert refused.value.message_dict == {
        "start": [
            "These times overlap your claim for “垃圾分类督导”, "
            "2026-03-10 08:00 to 2026-03-10 12:00."
        ]
    }
    assert volunteer.claims.count() == 1
    # Back to back is not an overlap.
    claims.create_claim(
        actor=cast.users[Role.RESIDENT],
        activity=overlap,
        start=h.at(MARCH, 12),
        end=overlap.end,
    )
    assert volunteer.claims.count() == 2


def test_a_claim_longer_than_the_activity_is_refused(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 11)
    with pytest.raises(ValidationError) as refused:
        claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=h.at(MARCH, 9),
            end=h.at(MARCH, 11, 30),
        )
    assert refused.value.message_dict == {
        "end": [
            "The claim must lie within the activity, "
            "2026-03-10 09:00 to 2026-03-10 11:00 (2:00 hours)."
        ]
    }


@pytest.mark.parametrize(
    ("minutes", "rate", "cap", "pool_amount", "field", "message"),
    [
        (
            360,
            "10.00",
            "50.00",
            "1000.00",
            "minutes",
            "60.00 yuan is above this year's cap: 0.00 of 50.00 yuan used, 50.00 left.",
        ),
        (
            600,
            "10.00",
            "600.00",
            "1000.00",
            "minutes",
            "The household holds 6:00 hours (h:mm) that can be redeemed.",
        ),
        (
            360,
            "20.00",
            "600.00",
            "1000.00",
            "minutes",
            "120.00 yuan is more than the household owes (86.40 yuan).",
        ),
        (
            360,
            "10.00",
            "600.00",
            "59.99",
            "minutes",
            "60.00 yuan is more than the pool has left (59.99 yuan).",
        ),
    ],
    ids=["cap", "hours", "debt", "pool"],
)
def test_redemption_beyond_cap_hours_debt_or_pool_is_refused_and_writes_nothing(
    cast, minutes, rate, cap, pool_amount, field, message
):
    h.bills(cast)
    h.rate(cast, rate, cap)
    h.pool(cast, pool_amount)
    earn(cast, [(MARCH, 8, 14)])
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        exchange.redeem(
            actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=minutes, today=TODAY
        )
    assert refused.value.message_dict == {field: [message]}
    assert snapshot() == before


def test_the_cap_counts_the_years_earlier_redemptions(cast):
    h.bills(cast, 3)
    h.rate(cast, "10.00", "80.00")
    h.pool(cast)
    earn(cast, [(MARCH, 8, 14), (MARCH + datetime.timedelta(days=1), 8, 14)])
    exchange.redeem(actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=300, today=TODAY)
    with pytest.raises(ValidationError) as refused:
        exchange.redeem(
            actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=240, today=TODAY
        )
    assert refused.value.message_dict == {
        "minutes": ["40.00 yuan is above this year's cap: 50.00 of 80.00 yuan used, 30.00 left."]
    }
    exchange.redeem(actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=30, today=TODAY)
    # A new year, a new cap.
    second = exchange.redeem(
        actor=cast.users[Role.RESIDENT],
        house=cast.a.house,
        minutes=30,
        today=datetime.date(2027, 1, 4),
    )
    assert (second.year, second.amount) == (2027, D("5.00"))


def test_an_expired_balance_cannot_be_redeemed_and_the_expiry_is_a_posting(cast, settings):
    settings.TIMEBANK_EXPIRY_MONTHS = 6
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    earn(cast, [(MARCH, 8, 11), (datetime.date(2026, 9, 1), 9, 10)])
    account = ledger.household_account(cast.a.house)
    assert ledger.balance(account) == 240
    # On 10 September the March minutes (180) have run out: only the September hour is left.
    september = datetime.date(2026, 9, 10)
    with pytest.raises(ValidationError) as refused:
        exchange.redeem(
            actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=120, today=september
        )
    assert refused.value.message_dict == {
        "minutes": ["The household holds 1:00 hours (h:mm) that can be redeemed."]
    }
    # The refusal wrote nothing, the expiry with it; the nightly run posts it.
    assert ledger.balance(account) == 240
    assert exchange.expire_all(today=september) == 1
    assert exchange.expire_all(today=september) == 0
    expiry = HourEntry.objects.get(kind=HourEntryKind.EXPIRE)
    assert expiry.on == september
    assert sorted(expiry.postings.values_list("account__kind", "minutes")) == [
        ("expired", 180),
        ("household", -180),
    ]
    assert ledger.balance(account) == 60
    redemption = exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=60, today=september
    )
    assert redemption.amount == D("10.00")
    assert checks.first_discrepancy() is None


def test_the_day_before_the_term_ends_the_minutes_still_count(cast, settings):
    settings.TIMEBANK_EXPIRY_MONTHS = 6
    earn(cast, [(MARCH, 8, 11)])
    account = ledger.household_account(cast.a.house)
    assert ledger.expiring(account, datetime.date(2026, 9, 9)) == 0
    assert ledger.expiring(account, datetime.date(2026, 9, 10)) == 180


def test_a_rate_change_does_not_alter_past_redemptions(cast, monkeypatch):
    # The new rate is published on 27 November 2026 for the 28th, whatever today's date.
    monkeypatch.setattr(exchange.timezone, "localdate", lambda *args: datetime.date(2026, 11, 27))
    h.bills(cast, 3)
    first_rate = h.rate(cast, "10.00")
    h.pool(cast)
    earn(cast, [(MARCH, 8, 14)])
    before = exchange.redeem(
        actor=cast.users[Role.RESIDENT],
        house=cast.a.house,
        minutes=120,
        today=datetime.date(2026, 6, 1),
    )
    exchange.publish_rate(
        actor=cast.users[Role.DISTRICT],
        district_id=cast.district.pk,
        yuan_per_hour=D("12.00"),
        yearly_cap=D("600.00"),
        effective_from=datetime.date(2026, 11, 28),
    )
    after = exchange.redeem(
        actor=cast.users[Role.RESIDENT],
        house=cast.a.house,
        minutes=120,
        today=datetime.date(2026, 12, 1),
    )
    before.refresh_from_db()
    assert (before.rate, before.yuan_per_hour, before.amount) == (
        first_rate,
        D("10.00"),
        D("20.00"),
    )
    assert (after.yuan_per_hour, after.amount) == (D("12.00"), D("24.00"))
    assert after.rate != first_rate


def test_both_ledgers_balance_after_claims_redemptions_donations_and_reversals(cast):
    h.bills(cast, 3)
    h.rate(cast)
    h.pool(cast)
    earn(cast, [(MARCH, 8, 14), (MARCH + datetime.timedelta(days=2), 8, 10)])
    house, neighbour = cast.a.house, cast.a.neighbour_house
    exchange.redeem(actor=cast.users[Role.RESIDENT], house=house, minutes=90, today=TODAY)
    exchange.donate(
        actor=cast.users[Role.RESIDENT], house=house, to_house=neighbour, minutes=45, today=TODAY
    )
    claim = Claim.objects.filter(minutes=120).get()
    claims.reverse_claim(actor=cast.users[Role.COMMUNITY], claim=claim, reason="重复申报")
    assert ledger.balance(ledger.household_account(house)) == 480 - 90 - 45 - 120
    assert ledger.balance(ledger.household_account(neighbour)) == 45
    total = sum(HourPosting.objects.values_list("minutes", flat=True))
    assert total == 0
    assert checks.first_discrepancy() is None
    assert fee_checks.first_discrepancy() is None
    assert sum(Posting.objects.values_list("amount", flat=True)) == D("0.00")


def test_only_the_household_or_its_community_may_redeem(cast):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    earn(cast, [(MARCH, 8, 11)])
    for role in (Role.STREET, Role.COMPANY, Role.BRANCH, Role.COMMITTEE, Role.GRID, "outsider"):
        with pytest.raises(PermissionDenied):
            exchange.redeem(actor=cast.users[role], house=cast.a.house, minutes=60, today=TODAY)
    on_behalf = exchange.redeem(
        actor=cast.users[Role.COMMUNITY], house=cast.a.house, minutes=60, today=TODAY
    )
    assert on_behalf.on_behalf is True
    assert Redemption.objects.count() == 1


def test_claims_above_the_daily_threshold_need_a_second_verifier(cast, settings):
    from laoyuan.factories import user_with

    settings.TIMEBANK_SECOND_VERIFIER_MINUTES = 240
    h.volunteer(cast)
    short = h.activity(cast, MARCH, 8, 11)
    long = h.activity(cast, MARCH, 13, 15)
    first = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=short, start=short.start, end=short.end
    )
    second = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=long, start=long.start, end=long.end
    )
    assert (first.needs_second, second.needs_second) == (False, True)
    community = cast.users[Role.COMMUNITY]
    claims.verify_claim(actor=community, claim=second)
    second.refresh_from_db()
    assert second.status == ClaimStatus.SECOND
    assert ledger.balance(ledger.household_account(cast.a.house)) == 0
    with pytest.raises(ValidationError) as refused:
        claims.verify_claim(actor=community, claim=second)
    assert refused.value.message_dict == {
        "claim": ["A second verifier must be someone else than the first."]
    }
    colleague = user_with(Role.COMMUNITY, cast.a.community, "community2")
    claims.verify_claim(actor=colleague, claim=second)
    second.refresh_from_db()
    assert second.status == ClaimStatus.VERIFIED
    assert (second.verified_by, second.second_by) == (community, colleague)
    assert ledger.balance(ledger.household_account(cast.a.house)) == 120
