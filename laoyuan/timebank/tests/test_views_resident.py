"""The resident's time-bank pages (my hours, redeem, donate, claim) and the community's household
page: exact figures, the confirmation step, refusals on their fields writing nothing, claims on a
volunteer's behalf, and every other role kept out."""

import datetime
import html as htmllib
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing.models import JournalEntry, Payment, Receipt
from laoyuan.factories import anonymous, as_user
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Claim, Donation, HourEntry, HourPosting, Redemption
from laoyuan.timebank.services import claims, ledger
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = datetime.date(2026, 3, 10)
MINE = "/timebank/"
REDEEM = "/timebank/redeem/"
DONATE = "/timebank/donate/"
CLAIM = "/timebank/claim/"
OTHERS = [
    Role.DISTRICT,
    Role.STREET,
    Role.GRID,
    Role.BRANCH,
    Role.COMMITTEE,
    Role.COMPANY,
    Role.INSPECTOR,
    "outsider",
    "other_district",
]


def earn(cast, days, start=9, end=12):
    """Verified claims of the cast's volunteer, one activity a day from ``MARCH``."""
    volunteer = h.volunteer(cast)
    for offset in range(days):
        activity = h.activity(cast, MARCH + datetime.timedelta(days=offset), start, end)
        claim = claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=activity.start,
            end=activity.end,
        )
        claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
    return volunteer


def ready(cast):
    """360 verified minutes, bills of 86.40, a rate of 10 yuan an hour, a pool of 1000."""
    h.bills(cast)
    h.rate(cast, "10.00", "600.00")
    pool = h.pool(cast, "1000.00")
    volunteer = earn(cast, 2)
    return volunteer, pool


def snapshot():
    return (
        HourEntry.objects.count(),
        HourPosting.objects.count(),
        JournalEntry.objects.count(),
        Payment.objects.count(),
        Receipt.objects.count(),
        Redemption.objects.count(),
        Donation.objects.count(),
        Claim.objects.count(),
    )


def text(response):
    return htmllib.unescape(re.sub(r"\s+", " ", response.content.decode()))


def field_errors(response, name):
    found = re.findall(rf'data-error="{name}">([^<]*)<', response.content.decode())
    return [htmllib.unescape(message) for message in found]


def test_urls_are_the_agreed_ones(cast):
    assert reverse("timebank:mine") == MINE
    assert reverse("timebank:redeem") == REDEEM
    assert reverse("timebank:donate") == DONATE
    assert reverse("timebank:claim_new") == CLAIM
    assert reverse("timebank:household", kwargs={"house_id": 7}) == "/timebank/households/7/"


# --- My hours ----------------------------------------------------------------------------------


def test_resident_sees_six_hours_after_360_verified_minutes(cast):
    ready(cast)
    response = as_user(cast.users[Role.RESIDENT]).get(MINE)
    assert response.status_code == 200
    page = text(response)
    assert re.search(r"data-balance>6:00<", page)
    assert "(6 hours)" in page
    assert "3:00 h run out on 2028-03-10 if not used." in page
    assert "Worth 60.00 yuan off the fees at 10.00 yuan an hour." in page
    assert "This year: 0.00 of 600.00 yuan redeemed (600.00 yuan left)." in page
    assert "Property fees owed now: 86.40 yuan." in page
    assert page.count('data-posting="earn"') == 2
    assert page.count('data-status="verified"') == 2
    assert "Verified: hours added" in page
    # Both activities ended long ago: nothing left to claim.
    assert 'data-empty="claimable"' in page
    assert 'data-empty="redemptions"' in page


def test_balance_in_words_with_minutes(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT],
        activity=activity,
        start=h.at(MARCH, 9),
        end=h.at(MARCH, 10, 30),
    )
    claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)
    page = text(as_user(cast.users[Role.RESIDENT]).get(MINE))
    assert re.search(r"data-balance>1:30<", page)
    assert "(1 hour 30 minutes)" in page
    assert "No offset rate has been published yet" in page
    assert "No property fees are owed now" in page


def test_claims_show_their_status_and_the_rejection_reason(cast):
    h.volunteer(cast)
    first = h.activity(cast, MARCH, 9, 12, title="楼道清扫")
    second = h.activity(cast, MARCH + datetime.timedelta(days=1), 9, 12, title="垃圾分类")
    resident = cast.users[Role.RESIDENT]
    claim = claims.create_claim(actor=resident, activity=first, start=first.start, end=first.end)
    claims.reject_claim(actor=cast.users[Role.COMMUNITY], claim=claim, reason="当天未到岗")
    claims.create_claim(actor=resident, activity=second, start=second.start, end=second.end)
    page = text(as_user(resident).get(MINE))
    assert page.count('data-status="rejected"') == 1
    assert "Reason: 当天未到岗" in page
    assert page.count('data-status="pending"') == 1
    assert "Waiting to be checked" in page
    assert re.search(r"data-balance>0:00<", page)


def test_claimable_activities_have_a_claim_button(cast):
    h.volunteer(cast)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    activity = h.activity(cast, yesterday, 9, 12, title="巡逻")
    page = text(as_user(cast.users[Role.RESIDENT]).get(MINE))
    assert f'href="{CLAIM}?activity={activity.pk}" data-claim' in page
    assert "巡逻" in page


def test_a_resident_who_is_not_a_volunteer_is_told_how_to_become_one(cast):
    page = text(as_user(cast.users[Role.RESIDENT]).get(MINE))
    assert "You are not a registered volunteer yet" in page
    assert "ask your community office" in page
    assert re.search(r"data-balance>0:00<", page)
    assert "No hours yet." in page


@pytest.mark.parametrize("role", [*OTHERS, Role.COMMUNITY])
def test_mine_is_for_residents_only(cast, role):
    assert as_user(cast.users[role]).get(MINE).status_code == 404


def test_anonymous_users_are_sent_to_sign_in(cast):
    client = anonymous()
    for url in (MINE, f"{CLAIM}?activity=1", f"/timebank/households/{cast.a.house.pk}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    for url in (REDEEM, DONATE):
        response = client.post(url, {})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_mine_reads_a_constant_number_of_queries(cast):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    volunteer = h.volunteer(cast)
    client = as_user(cast.users[Role.RESIDENT])

    def add(offset):
        activity = h.activity(cast, MARCH + datetime.timedelta(days=offset), 9, 10)
        claim = claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            volunteer=volunteer,
            start=activity.start,
            end=activity.end,
        )
        claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)

    add(0)
    client.get(MINE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(MINE).status_code == 200
    for offset in range(1, 5):
        add(offset)
    with CaptureQueriesContext(connection) as five:
        page = text(client.get(MINE))
    assert page.count('data-posting="earn"') == 5
    assert page.count('data-status="verified"') == 5
    assert len(five) == len(one)


# --- Redeem ------------------------------------------------------------------------------------


def test_redeem_asks_to_confirm_then_redeems_and_links_the_receipt(cast):
    _, pool = ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    before = snapshot()

    confirm = client.post(REDEEM, {"house": cast.a.house.pk, "hours": "6", "minutes": "0"})

    assert confirm.status_code == 200
    page = text(confirm)
    assert "6:00 h → 60.00 yuan off your fees, from pool 甲社区公益金" in page
    assert f'name="pool" value="{pool.pk}"' in page
    assert 'name="confirm" value="1"' in page
    assert snapshot() == before

    done = client.post(
        REDEEM,
        {"house": cast.a.house.pk, "hours": "6", "minutes": "0", "pool": pool.pk, "confirm": "1"},
    )

    assert done.status_code == 302
    assert done["Location"] == MINE
    redemption = Redemption.objects.get()
    assert (redemption.minutes, redemption.amount, redemption.on_behalf, redemption.pool) == (
        360,
        D("60.00"),
        False,
        pool,
    )
    assert ledger.balance(ledger.household_account(cast.a.house)) == 0
    number = redemption.payment.receipt.number
    receipt_url = reverse("billing:resident_receipt", kwargs={"number": number})
    page = text(client.get(MINE))
    assert f"Done: 6:00 hours became 60.00 yuan off the fees. Receipt {number}." in page
    assert f'<a href="{receipt_url}" data-receipt>Open the receipt</a>' in page
    assert f'6:00 h → 60.00 yuan, from pool 甲社区公益金 · <a href="{receipt_url}"' in page
    assert "Property fees owed now: 26.40 yuan." in page
    assert "This year: 60.00 of 600.00 yuan redeemed (540.00 yuan left)." in page
    assert client.get(receipt_url).status_code == 200


def test_a_second_click_on_confirm_redeems_once(cast):
    _, pool = ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    confirm = text(client.post(REDEEM, {"house": cast.a.house.pk, "hours": "1", "minutes": "0"}))
    token = re.search(r'name="reference" value="([0-9a-f]{32})"', confirm)
    assert token is not None
    data = {
        "house": cast.a.house.pk,
        "hours": "1",
        "minutes": "0",
        "pool": pool.pk,
        "reference": token.group(1),
        "confirm": "1",
    }

    first, second = client.post(REDEEM, data), client.post(REDEEM, data)

    assert (first.status_code, second.status_code) == (302, 302)
    redemption = Redemption.objects.get()
    assert (redemption.minutes, redemption.amount, redemption.reference) == (
        60,
        D("10.00"),
        token.group(1),
    )
    assert Receipt.objects.count() == 1
    assert ledger.balance(ledger.household_account(cast.a.house)) == 300


def test_redeem_hours_and_minutes(cast):
    ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    page = text(client.post(REDEEM, {"house": cast.a.house.pk, "hours": "1", "minutes": "30"}))
    assert "1:30 h → 15.00 yuan off your fees" in page


def test_redeem_beyond_the_hours_held_is_refused_on_the_field(cast):
    ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    before = snapshot()
    for confirm in ("", "1"):
        response = client.post(
            REDEEM, {"house": cast.a.house.pk, "hours": "7", "minutes": "0", "confirm": confirm}
        )
        assert response.status_code == 400
        assert field_errors(response, "hours") == [
            "The household holds 6:00 hours (h:mm) that can be redeemed."
        ]
    assert snapshot() == before


def test_redeem_above_the_yearly_cap_is_refused_on_the_field(cast):
    h.bills(cast)
    h.rate(cast, "10.00", "30.00")
    h.pool(cast)
    earn(cast, 2)
    before = snapshot()
    response = as_user(cast.users[Role.RESIDENT]).post(
        REDEEM, {"house": cast.a.house.pk, "hours": "6", "minutes": "0", "confirm": "1"}
    )
    assert response.status_code == 400
    assert field_errors(response, "hours") == [
        "60.00 yuan is above this year's cap: 0.00 of 30.00 yuan used, 30.00 left."
    ]
    assert snapshot() == before


def test_redeem_of_nothing_is_refused_on_the_field(cast):
    ready(cast)
    before = snapshot()
    response = as_user(cast.users[Role.RESIDENT]).post(
        REDEEM, {"house": cast.a.house.pk, "hours": "0", "minutes": "0"}
    )
    assert response.status_code == 400
    assert field_errors(response, "hours") == ["Enter how many hours, at least one minute."]
    assert snapshot() == before


def test_redeem_for_another_household_is_refused(cast):
    ready(cast)
    before = snapshot()
    response = as_user(cast.users[Role.RESIDENT]).post(
        REDEEM, {"house": cast.a.neighbour_house.pk, "hours": "1", "confirm": "1"}
    )
    assert response.status_code == 400
    assert field_errors(response, "house") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert snapshot() == before


@pytest.mark.parametrize("role", [*OTHERS, Role.COMMUNITY])
def test_redeem_and_donate_are_for_residents_only(cast, role):
    ready(cast)
    before = snapshot()
    client = as_user(cast.users[role])
    data = {"house": cast.a.house.pk, "hours": "1", "confirm": "1"}
    assert client.post(REDEEM, data).status_code == 404
    data["to_house"] = cast.a.neighbour_house.pk
    assert client.post(DONATE, data).status_code == 404
    assert client.get(REDEEM).status_code == 405
    assert snapshot() == before


# --- Donate ------------------------------------------------------------------------------------


def test_donate_asks_to_confirm_then_gives_the_hours(cast):
    ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    neighbour = cast.a.neighbour_house
    page = text(client.get(MINE))
    assert f'<option value="{neighbour.pk}">1号楼-1-102</option>' in page
    before = snapshot()
    data = {"house": cast.a.house.pk, "to_house": neighbour.pk, "hours": "1", "minutes": "0"}

    confirm = client.post(DONATE, data)

    assert confirm.status_code == 200
    assert "1:00 h → household 1号楼-1-102" in text(confirm)
    assert snapshot() == before

    done = client.post(DONATE, {**data, "confirm": "1", "note": "给邻居王奶奶"})

    assert done.status_code == 302
    donation = Donation.objects.get()
    assert (donation.from_house, donation.to_house, donation.minutes, donation.on_behalf) == (
        cast.a.house,
        neighbour,
        60,
        False,
    )
    assert donation.note == "给邻居王奶奶"
    assert ledger.balance(ledger.household_account(cast.a.house)) == 300
    assert ledger.balance(ledger.household_account(neighbour)) == 60
    page = text(client.get(MINE))
    assert "Done: 1:00 hours given to household 1号楼-1-102." in page
    assert "1:00 h given to household 1号楼-1-102 · 给邻居王奶奶" in page
    assert re.search(r"data-balance>5:00<", page)


def test_donate_to_a_house_of_another_compound_is_refused_on_the_field(cast):
    ready(cast)
    before = snapshot()
    other = cast.b.house
    response = as_user(cast.users[Role.RESIDENT]).post(
        DONATE, {"house": cast.a.house.pk, "to_house": other.pk, "hours": "1", "confirm": "1"}
    )
    assert response.status_code == 400
    assert field_errors(response, "to_house") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert snapshot() == before


def test_donate_beyond_the_hours_held_is_refused_on_the_field(cast):
    ready(cast)
    before = snapshot()
    response = as_user(cast.users[Role.RESIDENT]).post(
        DONATE,
        {"house": cast.a.house.pk, "to_house": cast.a.neighbour_house.pk, "hours": "8"},
    )
    assert response.status_code == 400
    assert field_errors(response, "hours") == [
        "The household holds 6:00 hours (h:mm) that can be given."
    ]
    assert snapshot() == before


# --- Claim -------------------------------------------------------------------------------------


def yesterday_activity(cast, **kwargs):
    return h.activity(cast, timezone.localdate() - datetime.timedelta(days=1), 9, 12, **kwargs)


def test_the_volunteer_claims_with_the_activity_times_filled_in(cast):
    volunteer = h.volunteer(cast)
    activity = yesterday_activity(cast)
    client = as_user(cast.users[Role.RESIDENT])
    day = activity.start.astimezone(h.TZ).date().isoformat()

    page = text(client.get(f"{CLAIM}?activity={activity.pk}"))

    assert f'value="{day}T09:00"' in page
    assert f'value="{day}T12:00"' in page

    response = client.post(
        f"{CLAIM}?activity={activity.pk}",
        {"start": f"{day}T09:30", "end": f"{day}T12:00", "note": "扫了三个单元"},
    )

    assert response.status_code == 302
    assert response["Location"] == MINE
    claim = Claim.objects.get()
    assert (claim.volunteer, claim.minutes, claim.on_behalf, claim.claimed_by) == (
        volunteer,
        150,
        False,
        cast.users[Role.RESIDENT],
    )
    assert claim.status == ClaimStatus.PENDING
    assert claim.note == "扫了三个单元"
    page = text(client.get(MINE))
    assert "Your claim of 2:30 hours was sent" in page
    assert 'data-status="pending"' in page


def test_claim_errors_are_on_their_fields_and_nothing_is_made(cast):
    h.volunteer(cast)
    activity = yesterday_activity(cast)
    client = as_user(cast.users[Role.RESIDENT])
    day = activity.start.astimezone(h.TZ).date().isoformat()
    before = snapshot()

    backwards = client.post(
        f"{CLAIM}?activity={activity.pk}", {"start": f"{day}T11:00", "end": f"{day}T10:00"}
    )
    outside = client.post(
        f"{CLAIM}?activity={activity.pk}", {"start": f"{day}T08:00", "end": f"{day}T10:00"}
    )
    empty = client.post(f"{CLAIM}?activity={activity.pk}", {"start": "", "end": ""})

    assert backwards.status_code == 400
    assert field_errors(backwards, "end") == ["Check-out must be after check-in."]
    assert field_errors(outside, "start") == [
        f"The claim must lie within the activity, {day} 09:00 to {day} 12:00 (3:00 hours)."
    ]
    assert field_errors(empty, "start") == ["This field is required."]
    assert snapshot() == before


def test_a_second_claim_of_the_same_activity_is_refused(cast):
    h.volunteer(cast)
    activity = yesterday_activity(cast)
    client = as_user(cast.users[Role.RESIDENT])
    day = activity.start.astimezone(h.TZ).date().isoformat()
    data = {"start": f"{day}T09:00", "end": f"{day}T10:00"}
    assert client.post(f"{CLAIM}?activity={activity.pk}", data).status_code == 302
    again = client.post(f"{CLAIM}?activity={activity.pk}", data)
    assert again.status_code == 400
    assert Claim.objects.count() == 1


def test_the_community_claims_on_the_volunteers_behalf(cast):
    volunteer = h.volunteer(cast)
    activity = yesterday_activity(cast)
    client = as_user(cast.users[Role.COMMUNITY])
    url = f"{CLAIM}?activity={activity.pk}&volunteer={volunteer.pk}"
    day = activity.start.astimezone(h.TZ).date().isoformat()

    page = text(client.get(url))
    assert "For the volunteer of household 1号楼-1-101." in page

    response = client.post(url, {"start": f"{day}T09:00", "end": f"{day}T12:00"})

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("timebank:claim_detail", kwargs={"pk": claim.pk})
    assert (claim.volunteer, claim.minutes, claim.on_behalf, claim.claimed_by) == (
        volunteer,
        180,
        True,
        cast.users[Role.COMMUNITY],
    )


def test_the_organiser_claims_on_the_volunteers_behalf(cast):
    volunteer = h.volunteer(cast)
    organiser = cast.users[Role.GRID]
    activity = yesterday_activity(cast, organiser=organiser)
    day = activity.start.astimezone(h.TZ).date().isoformat()
    response = as_user(organiser).post(
        f"{CLAIM}?activity={activity.pk}&volunteer={volunteer.pk}",
        {"start": f"{day}T10:00", "end": f"{day}T11:00"},
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert (claim.on_behalf, claim.claimed_by, claim.minutes) == (True, organiser, 60)


@pytest.mark.parametrize("role", OTHERS)
def test_claim_page_refuses_other_roles(cast, role):
    volunteer = h.volunteer(cast)
    activity = yesterday_activity(cast)
    client = as_user(cast.users[role])
    assert client.get(f"{CLAIM}?activity={activity.pk}").status_code == 404
    assert client.get(f"{CLAIM}?activity={activity.pk}&volunteer={volunteer.pk}").status_code == 404
    day = activity.start.astimezone(h.TZ).date().isoformat()
    response = client.post(
        f"{CLAIM}?activity={activity.pk}&volunteer={volunteer.pk}",
        {"start": f"{day}T09:00", "end": f"{day}T12:00"},
    )
    assert response.status_code == 404
    assert Claim.objects.count() == 0


def test_claim_page_answers_404_for_activities_out_of_scope_or_missing(cast):
    h.volunteer(cast)
    client = as_user(cast.users[Role.RESIDENT])
    assert client.get(CLAIM).status_code == 404
    assert client.get(f"{CLAIM}?activity=abc").status_code == 404
    assert client.get(f"{CLAIM}?activity=999999").status_code == 404


def test_a_resident_who_is_not_a_volunteer_cannot_claim(cast):
    activity = yesterday_activity(cast)
    assert (
        as_user(cast.users[Role.RESIDENT]).get(f"{CLAIM}?activity={activity.pk}").status_code == 404
    )


# --- The community's household page -------------------------------------------------------------


def household_url(house):
    return reverse("timebank:household", kwargs={"house_id": house.pk})


def test_the_community_sees_a_households_hours_and_volunteers(cast):
    volunteer, _ = ready(cast)
    yesterday_activity(cast, title="助老探访")
    response = as_user(cast.users[Role.COMMUNITY]).get(household_url(cast.a.house))
    assert response.status_code == 200
    page = text(response)
    assert re.search(r"data-balance>6:00<", page)
    assert f'data-volunteer="{volunteer.pk}"' in page
    assert "甲居民" in page
    assert "助老探访" in page
    assert f"&amp;volunteer={volunteer.pk}" in response.content.decode()
    assert "Property fees owed now: 86.40 yuan." in page


def test_the_community_redeems_and_donates_on_the_households_behalf(cast):
    _, pool = ready(cast)
    client = as_user(cast.users[Role.COMMUNITY])
    url = household_url(cast.a.house)
    data = {"action": "redeem", "house": cast.a.house.pk, "hours": "3", "minutes": "0"}

    confirm = client.post(url, data)

    assert confirm.status_code == 200
    page = text(confirm)
    assert "3:00 h → 30.00 yuan off your fees, from pool 甲社区公益金" in page
    assert "You act on the household's behalf; this is recorded." in page
    assert Redemption.objects.count() == 0

    done = client.post(url, {**data, "pool": pool.pk, "confirm": "1"})

    assert done.status_code == 302
    assert done["Location"] == url
    redemption = Redemption.objects.get()
    assert (redemption.minutes, redemption.amount, redemption.on_behalf) == (
        180,
        D("30.00"),
        True,
    )
    assert redemption.created_by == cast.users[Role.COMMUNITY]

    gift = {
        "action": "donate",
        "house": cast.a.house.pk,
        "to_house": cast.a.neighbour_house.pk,
        "hours": "1",
        "minutes": "30",
        "confirm": "1",
    }
    assert client.post(url, gift).status_code == 302
    donation = Donation.objects.get()
    assert (donation.minutes, donation.on_behalf) == (90, True)
    page = text(client.get(url))
    assert re.search(r"data-balance>1:30<", page)


def test_household_refusals_show_on_the_field_and_write_nothing(cast):
    ready(cast)
    before = snapshot()
    response = as_user(cast.users[Role.COMMUNITY]).post(
        household_url(cast.a.house),
        {"action": "redeem", "house": cast.a.house.pk, "hours": "9", "confirm": "1"},
    )
    assert response.status_code == 400
    assert field_errors(response, "hours") == [
        "The household holds 6:00 hours (h:mm) that can be redeemed."
    ]
    assert snapshot() == before


@pytest.mark.parametrize("role", [*OTHERS, Role.RESIDENT])
def test_the_household_page_is_for_the_community_only(cast, role):
    ready(cast)
    before = snapshot()
    client = as_user(cast.users[role])
    url = household_url(cast.a.house)
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"action": "redeem", "house": cast.a.house.pk, "hours": "1", "confirm": "1"}
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_the_household_page_answers_404_outside_the_community(cast):
    client = as_user(cast.users[Role.COMMUNITY])
    assert client.get(household_url(cast.b.house)).status_code == 404
    assert client.get("/timebank/households/999999/").status_code == 404


def test_the_confirmation_step_schedules_no_notification(cast, django_capture_on_commit_callbacks):
    ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(REDEEM, {"house": cast.a.house.pk, "hours": "1", "minutes": "0"})
    assert response.status_code == 200
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            REDEEM, {"house": cast.a.house.pk, "hours": "1", "minutes": "0", "confirm": "1"}
        )
    assert len(callbacks) == 1


def test_the_volunteer_claims_with_a_photo(cast):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    h.volunteer(cast)
    activity = yesterday_activity(cast)
    day = activity.start.astimezone(h.TZ).date().isoformat()
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 90, 200)).save(out, "JPEG")
    photo = SimpleUploadedFile("work.jpg", out.getvalue(), content_type="image/jpeg")
    response = as_user(cast.users[Role.RESIDENT]).post(
        f"{CLAIM}?activity={activity.pk}",
        {"start": f"{day}T09:00", "end": f"{day}T12:00", "photo": photo},
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.photo.name.startswith("timebank/")
    assert claim.minutes == 180


def test_a_bad_photo_is_refused_on_its_field(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    h.volunteer(cast)
    activity = yesterday_activity(cast)
    day = activity.start.astimezone(h.TZ).date().isoformat()
    response = as_user(cast.users[Role.RESIDENT]).post(
        f"{CLAIM}?activity={activity.pk}",
        {
            "start": f"{day}T09:00",
            "end": f"{day}T12:00",
            "photo": SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg"),
        },
    )
    assert response.status_code == 400
    assert len(field_errors(response, "photo")) == 1
    assert Claim.objects.count() == 0


def test_the_page_is_in_chinese_by_default(cast):
    ready(cast)
    client = as_user(cast.users[Role.RESIDENT])
    client.cookies["django_language"] = "zh-hans"
    response = client.get(MINE)
    assert response.status_code == 200
    assert re.search(r"data-balance>6:00<", response.content.decode())
