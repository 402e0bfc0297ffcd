"""The time bank under concurrent requests on PostgreSQL: real row locks, several connections at
once. Two redemptions of one household never spend more than its hours or its yearly cap, two
households never spend more than a pool holds, two claims never take more places than an
activity has, and two verifiers never post a claim's hours twice.

SQLite serialises every write, so these run only on PostgreSQL
(``DATABASE_URL=postgres://... pytest laoyuan/timebank/tests/test_concurrency.py``).
"""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks as fee_checks
from laoyuan.billing.tests.factories import bill
from laoyuan.core.tests.locks import blocks_another
from laoyuan.people.models import Person
from laoyuan.timebank import checks
from laoyuan.timebank.enums import ClaimStatus
from laoyuan.timebank.models import Claim, HourEntry, Redemption
from laoyuan.timebank.services import claims, exchange, ledger, orgs
from laoyuan.timebank.tests import helpers as h

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL to race"
    ),
]

D = Decimal
MARCH = datetime.date(2026, 3, 10)
TODAY = datetime.date(2026, 11, 27)


def race(calls):
    """Run the calls at the same moment, each in its own thread and connection (in English);
    their results or the exceptions they raised, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            with translation.override("en"):
                barrier.wait()
                results[index] = call()
        except Exception as error:  # the test inspects what each call raised
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def split(results, kind):
    done = [r for r in results if isinstance(r, kind)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(done) + len(refused) == len(results), results
    return done, refused


def neighbour(cast):
    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=Person.objects.get(name="甲邻居"),
        house=cast.a.neighbour_house,
        on=datetime.date(2026, 1, 5),
    )


def earn(cast, volunteer, day, start, end):
    activity = h.activity(cast, day, start, end)
    made = claims.create_claim(
        actor=cast.users[Role.COMMUNITY],
        activity=activity,
        volunteer=volunteer,
        start=activity.start,
        end=activity.end,
    )
    # Filed on the volunteer's behalf by the community officer: two colleagues verify.
    claims.verify_claim(actor=h.organiser(cast), claim=made)
    if made.needs_second:
        claims.verify_claim(actor=h.colleague(made), claim=made)


def redeem(cast, house, minutes, actor=None):
    return lambda: exchange.redeem(
        actor=actor or cast.users[Role.COMMUNITY], house=house, minutes=minutes, today=TODAY
    )


def test_two_redemptions_of_one_household_never_spend_more_than_its_hours(cast):
    h.bills(cast, months=6)
    h.rate(cast, "10.00", cap="600.00")
    h.pool(cast, "1000.00")
    earn(cast, h.volunteer(cast), MARCH, 9, 12)  # 180 minutes
    results = race(
        [
            redeem(cast, cast.a.house, 120),
            redeem(cast, cast.a.house, 120, actor=cast.users[Role.RESIDENT]),
        ]
    )
    done, refused = split(results, Redemption)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {
        "minutes": ["The household holds 1:00 hours (h:mm) that can be redeemed."]
    }
    assert ledger.balance(ledger.household_account(cast.a.house)) == 60
    assert Redemption.objects.count() == 1
    assert checks.first_discrepancy() is None
    assert fee_checks.first_discrepancy() is None


def test_two_redemptions_of_one_household_never_pass_the_yearly_cap(cast):
    h.bills(cast, months=6)
    h.rate(cast, "10.00", cap="30.00")
    h.pool(cast, "1000.00")
    volunteer = h.volunteer(cast)
    earn(cast, volunteer, MARCH, 9, 12)
    earn(cast, volunteer, MARCH + datetime.timedelta(days=1), 9, 12)  # 360 minutes
    results = race([redeem(cast, cast.a.house, 120), redeem(cast, cast.a.house, 120)])
    done, refused = split(results, Redemption)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {
        "minutes": ["20.00 yuan is above this year's cap: 20.00 of 30.00 yuan used, 10.00 left."]
    }
    assert exchange.redeemed_this_year(cast.a.house, 2026) == D("20.00")
    assert ledger.balance(ledger.household_account(cast.a.house)) == 240
    assert checks.first_discrepancy() is None


def test_two_households_never_spend_more_than_the_pool_holds(cast):
    h.bills(cast, months=2)
    bill(cast.a.neighbour_house, datetime.date(2026, 1, 1))  # 60 m² × 0.50 = 30.00
    h.rate(cast, "10.00")
    pool = h.pool(cast, "20.00")
    earn(cast, h.volunteer(cast), MARCH, 9, 12)
    earn(cast, neighbour(cast), MARCH, 9, 12)
    results = race([redeem(cast, cast.a.house, 120), redeem(cast, cast.a.neighbour_house, 120)])
    done, refused = split(results, Redemption)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {
        "minutes": ["20.00 yuan is more than the pool has left (0.00 yuan)."]
    }
    assert exchange.pool_left(pool) == D("0.00")
    loser = cast.a.neighbour_house if done[0].house_id == cast.a.house.pk else cast.a.house
    assert ledger.balance(ledger.household_account(loser)) == 180
    assert checks.first_discrepancy() is None
    assert fee_checks.first_discrepancy() is None


def test_two_claims_for_the_last_place_take_it_once(cast):
    mine, theirs = h.volunteer(cast), neighbour(cast)
    activity = h.activity(cast, MARCH, 9, 12, capacity=1)
    community = cast.users[Role.COMMUNITY]

    def claim(volunteer):
        return lambda: claims.create_claim(
            actor=community,
            activity=activity,
            volunteer=volunteer,
            start=activity.start,
            end=activity.end,
        )

    results = race([claim(mine), claim(theirs)])
    done, refused = split(results, Claim)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"activity": ["This activity's one place is claimed."]}
    assert Claim.objects.filter(activity=activity).count() == 1


def test_one_volunteer_claiming_one_activity_twice_at_once_claims_once(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)

    def claim(start, end):
        return lambda: claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=h.at(MARCH, start),
            end=h.at(MARCH, end),
        )

    results = race([claim(9, 10), claim(10, 11)])
    done, refused = split(results, Claim)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"activity": ["You have already claimed this activity."]}


def test_two_verifiers_at_once_post_the_hours_once(cast):
    h.volunteer(cast)
    activity = h.activity(cast, MARCH, 9, 12)
    made = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    second = h.organiser(cast)
    results = race(
        [
            lambda: claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made),
            lambda: claims.verify_claim(actor=second, claim=made),
        ]
    )
    done, refused = split(results, Claim)
    assert (len(done), len(refused)) == (1, 1), results
    assert refused[0].message_dict == {"claim": ["This claim is already Verified."]}
    made.refresh_from_db()
    assert made.status == ClaimStatus.VERIFIED
    assert HourEntry.objects.filter(claim=made).count() == 1
    assert ledger.balance(ledger.household_account(cast.a.house)) == 180


def test_two_overlapping_claims_at_once_keep_one(cast):
    h.volunteer(cast)
    morning = h.activity(cast, MARCH, 8, 12, title="垃圾分类督导")
    noon = h.activity(cast, MARCH, 11, 14, title="楼道清扫")

    def claim(activity):
        return lambda: claims.create_claim(
            actor=cast.users[Role.RESIDENT],
            activity=activity,
            start=activity.start,
            end=activity.end,
        )

    results = race([claim(morning), claim(noon)])
    done, refused = split(results, Claim)
    assert (len(done), len(refused)) == (1, 1), results
    assert list(refused[0].message_dict) == ["start"]
    assert Claim.objects.count() == 1


def test_a_rebuild_of_the_verified_hours_while_a_claim_is_verified_keeps_its_minutes(cast):
    """``timebank_check --rebuild`` while a claim's hours are being posted: the rebuild locks
    the monthly table first, so it waits for the posting's commit and reads it (without the
    lock it reads the ledger before the posting and its rewrite loses those minutes)."""

    from django.db import transaction

    from laoyuan.timebank import summaries
    from laoyuan.timebank.models import HoursMonth

    earn(cast, h.volunteer(cast), MARCH, 8, 9)  # a month row already there: 60 minutes
    activity = h.activity(cast, MARCH, 9, 12)
    made = claims.create_claim(
        actor=cast.users[Role.RESIDENT], activity=activity, start=activity.start, end=activity.end
    )
    posted = threading.Event()
    errors: list[BaseException] = []
    waited: list[bool] = []

    def verify() -> None:
        try:
            with transaction.atomic():
                claims.verify_claim(actor=cast.users[Role.COMMUNITY], claim=made)
                posted.set()
                # The rebuild starts meanwhile and must wait for this commit.
                waited.append(blocks_another())
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
            posted.set()
        finally:
            connection.close()

    def rebuild() -> None:
        try:
            posted.wait(30)
            summaries.rebuild()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=verify), threading.Thread(target=rebuild)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and waited == [True]
    assert list(summaries.mismatches()) == []
    assert list(HoursMonth.objects.values_list("minutes", flat=True)) == [240]
