"""What a review of the time bank found, each held by a test: rounding that split redemptions
could game, reversals that took other minutes, organisers whose role ended, the claim window, the
expiry day shown, minutes past their term still shown as held, and ids that crashed pages."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.accounts.models import RoleAssignment, User
from laoyuan.accounts.services.roles import revoke_role
from laoyuan.core.params import parse_id
from laoyuan.factories import as_user, user_with
from laoyuan.people.models import Residency
from laoyuan.timebank import queries
from laoyuan.timebank.enums import ClaimStatus, MemberRole
from laoyuan.timebank.models import Redemption
from laoyuan.timebank.services import claims, exchange, ledger, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = Decimal
MARCH = datetime.date(2026, 3, 10)
NOVEMBER = datetime.date(2026, 11, 2)
TODAY = datetime.date(2026, 11, 27)


def earn(cast, day, start=8, end=9):
    activity = h.activity(cast, day, start, end)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    return claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=claim)


def refused(call, **kwargs):
    with pytest.raises(ValidationError) as error:
        call(**kwargs)
    return error.value.message_dict


# --- Rounding ----------------------------------------------------------------------------------


def test_discounts_round_down_to_the_fen():
    assert exchange.discount_for(1, D("10.00")) == D("0.16")  # 0.1666…
    assert exchange.discount_for(37, D("10.00")) == D("6.16")  # 6.1666…
    assert exchange.discount_for(60, D("10.00")) == D("10.00")
    assert exchange.discount_for(3, D("0.10")) == D("0.00")


def test_many_small_redemptions_never_earn_more_than_one_large(cast):
    h.volunteer(cast)
    h.bills(cast)
    h.rate(cast, "10.00")
    h.pool(cast, "1000.00")
    earn(cast, MARCH, 8, 10)  # 120 minutes

    for _ in range(60):
        exchange.redeem(actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=1, today=TODAY)

    amounts = list(Redemption.objects.values_list("amount", flat=True))
    assert (len(amounts), sum(amounts)) == (60, D("9.60"))  # one 60-minute redemption: 10.00
    assert ledger.balance(ledger.household_account(cast.a.house)) == 60


def test_a_redemption_of_minutes_worth_less_than_a_fen_is_refused(cast):
    h.volunteer(cast)
    h.bills(cast)
    h.rate(cast, "0.10")
    h.pool(cast)
    earn(cast, MARCH)

    assert refused(
        exchange.redeem, actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=3, today=TODAY
    ) == {"minutes": ["3 minutes are worth less than one fen."]}


# --- Reversals take back the claim's own minutes -----------------------------------------------


def test_reversing_a_claim_whose_minutes_expired_is_refused_and_keeps_newer_minutes(cast, settings):
    h.volunteer(cast)
    old = earn(cast, MARCH)
    earn(cast, NOVEMBER)
    settings.TIMEBANK_EXPIRY_MONTHS = 6  # March's minutes have run out by now
    mine = ledger.household_account(cast.a.house)

    assert refused(
        claims.reverse_claim, actor=cast.users[Role.COMMUNITY], claim=old, reason="虚报"
    ) == {
        "claim": [
            "Only 0:00 of the claim's 1:00 hours are still held; the rest were redeemed, given "
            "away or expired."
        ]
    }
    old.refresh_from_db()
    assert old.status == ClaimStatus.VERIFIED
    # Nothing written: November's hour is untouched (the nightly job posts March's expiry).
    assert (ledger.balance(mine), ledger.lots(mine)) == (120, [(MARCH, 60), (NOVEMBER, 60)])


def test_reversing_a_claim_still_held_takes_its_own_minutes(cast):
    h.volunteer(cast)
    march = earn(cast, MARCH)
    earn(cast, NOVEMBER)
    mine = ledger.household_account(cast.a.house)

    claims.reverse_claim(actor=cast.users[Role.COMMUNITY], claim=march, reason="虚报")

    assert (ledger.balance(mine), ledger.lots(mine)) == (60, [(NOVEMBER, 60)])


# --- An organiser acts only while they may organise --------------------------------------------


def test_an_organiser_whose_role_ended_can_no_longer_verify(cast):
    h.volunteer(cast)
    officer = h.organiser(cast)
    activity = h.activity(cast, MARCH, 9, 12, organiser=officer)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    web = as_user(officer)
    assert web.get("/timebank/verify/").status_code == 200
    assert claims.may_verify(officer, claim)

    for assignment in RoleAssignment.objects.filter(user=officer):
        revoke_role(actor=cast.users[Role.DISTRICT], assignment=assignment)
    officer = User.objects.get(pk=officer.pk)  # as their next request loads them

    assert not claims.may_verify(officer, claim)
    assert list(queries.queue(officer)) == []
    assert web.get("/timebank/verify/").status_code == 404
    assert web.get(f"/timebank/claims/{claim.pk}/").status_code == 404
    assert web.post(f"/timebank/claims/{claim.pk}/verify/").status_code == 404
    with pytest.raises(PermissionDenied):
        claims.verify_claim(actor=officer, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def leader(cast):
    """The neighbour (house 102) as a volunteer who leads the organisation, with a login."""
    person = Residency.objects.get(house=cast.a.neighbour_house).person
    user = user_with(Role.RESIDENT, cast.a.neighbour_house, "leader")
    user.person = person
    user.save(update_fields=["person"])
    volunteer = orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=person,
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )
    team = h.org(cast)
    orgs.add_member(
        actor=cast.users[Role.COMMUNITY], org=team, volunteer=volunteer, role=MemberRole.LEADER
    )
    return user, team


def test_an_organisation_leader_verifies_through_the_api_as_on_the_page(cast):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    h.volunteer(cast)
    user, team = leader(cast)
    activity = h.activity(cast, MARCH, 9, 12, organiser=user, org=team)
    claim = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    assert as_user(user).get(f"/timebank/claims/{claim.pk}/").status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")

    response = api.post(f"/api/v1/timebank/claims/{claim.pk}/verify/")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == ClaimStatus.VERIFIED
    assert ledger.balance(ledger.household_account(cast.a.house)) == 180


# --- The claim window --------------------------------------------------------------------------


def test_a_volunteer_claims_within_the_window_of_thirty_days(cast, settings):
    settings.TIMEBANK_CLAIM_WINDOW_DAYS = 30
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    resident = cast.users[Role.RESIDENT]

    assert refused(
        claims.create_claim,
        actor=resident,
        activity=activity,
        start=activity.start,
        end=activity.end,
        now=activity.end + datetime.timedelta(days=30, seconds=1),
    ) == {"activity": ["Claims are made within 30 days of the activity's end; ask the community."]}
    made = claims.create_claim(
        actor=resident,
        activity=activity,
        start=activity.start,
        end=activity.end,
        now=activity.end + datetime.timedelta(days=30),
    )
    assert (made.status, made.on_behalf) == (ClaimStatus.PENDING, False)


def test_the_community_may_enter_a_late_claim_on_the_volunteers_behalf(cast, settings):
    settings.TIMEBANK_CLAIM_WINDOW_DAYS = 30
    volunteer = h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)

    made = claims.create_claim(
        actor=cast.users[Role.COMMUNITY],
        activity=activity,
        volunteer=volunteer,
        start=activity.start,
        end=activity.end,
        now=activity.end + datetime.timedelta(days=200),
    )

    assert (made.status, made.on_behalf) == (ClaimStatus.PENDING, True)


def test_the_window_setting_defaults_to_thirty_days():
    from laoyuan import settings as project_settings

    assert project_settings.TIMEBANK_CLAIM_WINDOW_DAYS == 30


# --- Expiry: the day shown is the day the ledger applies ----------------------------------------


@pytest.mark.parametrize("months", [24, 18, 1])
def test_the_expiry_day_shown_agrees_with_the_ledger_every_day(settings, months):
    settings.TIMEBANK_EXPIRY_MONTHS = months
    day = datetime.date(2024, 1, 1)
    one = datetime.timedelta(days=1)
    while day < datetime.date(2028, 1, 1):
        expires = queries.expires_on(day)
        assert ledger.expiry_cutoff(expires) >= day > ledger.expiry_cutoff(expires - one), day
        day += one


def test_month_end_minutes_expire_the_day_after_the_shorter_months_end(settings):
    settings.TIMEBANK_EXPIRY_MONTHS = 24
    assert queries.expires_on(datetime.date(2024, 2, 29)) == datetime.date(2026, 3, 1)
    assert queries.expires_on(datetime.date(2026, 3, 10)) == datetime.date(2028, 3, 10)
    settings.TIMEBANK_EXPIRY_MONTHS = 18
    assert queries.expires_on(datetime.date(2024, 8, 31)) == datetime.date(2026, 3, 1)


def test_minutes_past_their_term_are_not_shown_as_held(cast, settings):
    h.volunteer(cast)
    earn(cast, MARCH)
    earn(cast, NOVEMBER)
    settings.TIMEBANK_EXPIRY_MONTHS = 6  # March's hour has run out; nothing posted yet
    mine = ledger.household_account(cast.a.house)
    assert ledger.balance(mine) == 120

    shown = queries.account(cast.a.house)

    assert (shown.balance_minutes, shown.lots) == (60, [(NOVEMBER, 60)])
    assert shown.next_expiry == (datetime.date(2027, 5, 2), 60)
    assert timezone.localdate() >= datetime.date(2026, 11, 2)


# --- Ids from requests -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ("12", 12),
        (" 7 ", 7),
        (7, 7),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1.5", None),
        ("", None),
        (None, None),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
    ],
)
def test_parse_id(raw, parsed):
    assert parse_id(raw) == parsed


@pytest.mark.parametrize(
    ("role", "method", "url", "data", "expected"),
    [
        (Role.RESIDENT, "get", "/timebank/claim/?activity=%C2%B2", None, 404),
        (Role.COMMUNITY, "get", "/timebank/verify/?activity=%C2%B2", None, 200),
        (Role.COMMUNITY, "get", "/timebank/reports/?community=%C2%B2", None, 404),
        (Role.COMMUNITY, "get", "/timebank/activities/new/?post=%C2%B2", None, 200),
        (Role.COMMUNITY, "get", "/timebank/volunteers/new/?house=%C2%B2", None, 404),
        (Role.RESIDENT, "post", "/timebank/donate/", {"house": "²", "hours": "1"}, 400),
        (Role.RESIDENT, "post", "/timebank/redeem/", {"house": "²", "hours": "1"}, 400),
        (Role.COMMUNITY, "get", "/workorders/report/?compound=%C2%B2", None, 404),
        (Role.DISTRICT, "get", "/places/compounds/?street=%C2%B2", None, 200),
    ],
)
def test_odd_digits_in_parameters_never_crash_a_page(cast, role, method, url, data, expected):
    h.volunteer(cast)
    client = as_user(cast.users[role])
    client.raise_request_exception = False

    response = getattr(client, method)(url, data) if data else getattr(client, method)(url)

    assert response.status_code == expected
