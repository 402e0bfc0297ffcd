"""The hours ledger: lots spent oldest first across redemptions, donations and expiry; a donation
keeps the oldest day; reversals once and never of a reversal; entries and postings that neither
the model nor the database lets change; ``timebank_check`` passing and catching a planted fault."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.timebank import checks
from laoyuan.timebank.enums import HourAccountKind, HourEntryKind
from laoyuan.timebank.models import HourEntry, HourPosting
from laoyuan.timebank.services import claims, exchange, ledger
from laoyuan.timebank.tests import helpers as h

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def earn(cast, day, start, end, actor=None):
    activity = h.activity(cast, day, start, end)
    made = claims.create_claim(
        actor=actor or cast.users[Role.RESIDENT],
        activity=activity,
        start=activity.start,
        end=activity.end,
        volunteer=None if actor is None else _volunteer_b(cast),
        now=h.at(day, 20),
    )
    return claims.verify_claim(actor=h.organiser(cast), claim=made)


def _volunteer_b(cast):
    from laoyuan.timebank.models import Volunteer

    return Volunteer.objects.get(house=cast.a.neighbour_house)


def neighbour_volunteer(cast):
    from laoyuan.people.models import Person
    from laoyuan.timebank.services import orgs

    return orgs.register_volunteer(
        actor=cast.users[Role.COMMUNITY],
        person=Person.objects.get(name="甲邻居"),
        house=cast.a.neighbour_house,
        on=D(2026, 1, 5),
    )


def account(house):
    return ledger.household_account(house)


def give(cast, minutes, day, back=False):
    a, b = cast.a.house, cast.a.neighbour_house
    return exchange.donate(
        actor=cast.users[Role.COMMUNITY],
        house=b if back else a,
        to_house=a if back else b,
        minutes=minutes,
        today=day,
    )


def test_minutes_leave_oldest_first_across_donation_redemption_and_expiry(cast):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)  # 60
    earn(cast, D(2026, 3, 10), 9, 11)  # 120
    earn(cast, D(2026, 5, 12), 9, 12)  # 180
    mine, theirs = account(cast.a.house), account(cast.a.neighbour_house)
    assert ledger.lots(mine) == [(D(2026, 1, 10), 60), (D(2026, 3, 10), 120), (D(2026, 5, 12), 180)]

    donation = give(cast, 90, D(2026, 6, 1))
    assert donation.entry.on == D(2026, 1, 10)  # the oldest minutes given
    assert ledger.lots(mine) == [(D(2026, 3, 10), 90), (D(2026, 5, 12), 180)]
    assert ledger.lots(theirs) == [(D(2026, 1, 10), 90)]

    redemption = exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=30, today=D(2026, 7, 1)
    )
    assert str(redemption.amount) == "5.00"
    assert ledger.lots(mine) == [(D(2026, 3, 10), 60), (D(2026, 5, 12), 180)]
    assert ledger.balance(mine) == 240

    assert ledger.expiry_cutoff(D(2028, 1, 10)) == D(2026, 1, 10)
    assert (ledger.expiring(mine, D(2028, 1, 9)), ledger.expiring(theirs, D(2028, 1, 9))) == (0, 0)
    assert (ledger.expiring(mine, D(2028, 1, 10)), ledger.expiring(theirs, D(2028, 1, 10))) == (
        0,
        90,
    )
    assert ledger.expiring(mine, D(2028, 3, 10)) == 60
    assert ledger.expiring(mine, D(2028, 5, 12)) == 240

    assert exchange.expire_all(today=D(2028, 3, 10)) == 2
    assert (ledger.balance(mine), ledger.balance(theirs)) == (180, 0)
    assert ledger.lots(mine) == [(D(2026, 5, 12), 180)]
    expired = ledger.system_account(cast.district.pk, HourAccountKind.EXPIRED)
    assert ledger.balance(expired) == 150
    assert exchange.expire_all(today=D(2028, 3, 10)) == 0
    assert checks.first_discrepancy() is None


def test_giving_hours_back_and_forth_never_makes_them_last_longer(cast):
    h.volunteer(cast)
    neighbour_volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)  # house A: 60 from 10 January
    earn(cast, D(2026, 6, 1), 9, 10, actor=cast.users[Role.COMMUNITY])  # B: 60 from 1 June
    mine, theirs = account(cast.a.house), account(cast.a.neighbour_house)
    give(cast, 60, D(2026, 7, 1))
    assert ledger.lots(theirs) == [(D(2026, 1, 10), 60), (D(2026, 6, 1), 60)]
    back = give(cast, 60, D(2026, 8, 1), back=True)
    assert back.entry.on == D(2026, 1, 10)
    assert ledger.lots(mine) == [(D(2026, 1, 10), 60)]
    assert ledger.lots(theirs) == [(D(2026, 6, 1), 60)]
    # A mixed gift carries its oldest day for all its minutes: shorter, never longer.
    give(cast, 30, D(2026, 8, 2))
    give(cast, 90, D(2026, 8, 3), back=True)
    # Lots are kept per day: 60 + 60 + 90 in, 60 + 30 out.
    assert ledger.lots(mine) == [(D(2026, 1, 10), 120)]
    assert ledger.balance(theirs) == 0
    assert ledger.expiring(mine, D(2028, 1, 10)) == 120


def test_a_donation_beyond_the_hours_held_is_refused(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)
    with pytest.raises(Exception) as refused:
        give(cast, 61, D(2026, 2, 1))
    assert refused.value.message_dict == {
        "minutes": ["The household holds 1:00 hours (h:mm) that can be given."]
    }
    assert HourEntry.objects.filter(kind=HourEntryKind.DONATE).count() == 0


def test_a_reversal_cannot_be_reversed_nor_an_entry_reversed_twice(cast):
    h.volunteer(cast)
    done = earn(cast, D(2026, 3, 10), 9, 12)
    entry = HourEntry.objects.get(claim=done)
    mirror = ledger.reverse(entry=entry, actor=None, memo="test")
    assert (mirror.kind, mirror.reverses_id, mirror.on) == (
        HourEntryKind.EARN,
        entry.pk,
        D(2026, 3, 10),
    )
    assert sorted(mirror.postings.values_list("minutes", flat=True)) == [-180, 180]
    with pytest.raises(ledger.HoursError, match="a reversal cannot be reversed"):
        ledger.reverse(entry=mirror, actor=None, memo="again")
    with pytest.raises(ledger.HoursError, match="this entry has already been reversed"):
        ledger.reverse(entry=entry, actor=None, memo="again")
    assert HourEntry.objects.count() == 2


def test_post_refuses_unbalanced_fractional_or_empty_lines(cast):
    issued = ledger.system_account(cast.district.pk, HourAccountKind.ISSUED)
    house = account(cast.a.house)
    for lines, message in (
        ([], "an entry must move some minutes"),
        ([ledger.HourLine(house, 0), ledger.HourLine(issued, 0)], "an entry must move some"),
        ([ledger.HourLine(house, 30), ledger.HourLine(issued, -29)], "must sum to zero"),
        ([ledger.HourLine(house, 1.5), ledger.HourLine(issued, -1.5)], "whole numbers"),
    ):
        with pytest.raises(ledger.HoursError, match=message):
            ledger.post(kind="earn", lines=lines, district_id=cast.district.pk, on=D(2026, 1, 1))
    assert HourEntry.objects.count() == 0


def test_reversing_a_newer_claim_keeps_the_older_minutes_day(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)  # 60 from 10 January
    newer = earn(cast, D(2026, 11, 10), 9, 10)  # 60 from 10 November, found false
    claims.reverse_claim(actor=cast.users[Role.COMMUNITY], claim=newer, reason="虚报")
    mine = account(cast.a.house)
    assert ledger.balance(mine) == 60
    assert ledger.lots(mine) == [(D(2026, 1, 10), 60)]
    assert ledger.expiring(mine, D(2028, 1, 10)) == 60


# --- Append-only ----------------------------------------------------------------------------


def test_entries_and_postings_are_append_only_in_the_model(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    entry, posting = HourEntry.objects.get(), HourPosting.objects.first()
    for row in (entry, posting):
        with pytest.raises(TypeError, match="append-only"):
            row.save()
        with pytest.raises(TypeError, match="append-only"):
            row.delete()
    with pytest.raises(TypeError, match="append-only"):
        HourEntry.objects.update(memo="x")
    with pytest.raises(TypeError, match="append-only"):
        HourPosting.objects.update(minutes=0)
    with pytest.raises(TypeError, match="append-only"):
        HourPosting.objects.all().delete()
    assert sorted(HourPosting.objects.values_list("minutes", flat=True)) == [-180, 180]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE timebank_hourposting SET minutes = 0",
        "UPDATE timebank_hourentry SET memo = 'x'",
        "UPDATE timebank_hourentry SET on = '2030-01-01'",
    ],
)
def test_the_database_refuses_updates(cast, sql):
    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    sql = sql.replace(" on =", ' "on" =')
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert sorted(HourPosting.objects.values_list("minutes", flat=True)) == [-180, 180]
    assert HourEntry.objects.get().on == D(2026, 3, 10)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite refuses UPDATE only")
def test_postgresql_refuses_deletes_too(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM timebank_hourposting")
    assert HourPosting.objects.count() == 2


# --- timebank_check -------------------------------------------------------------------------


def run_check():
    out = io.StringIO()
    try:
        call_command("timebank_check", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), None


def test_the_check_passes_on_a_whole_ledger(cast):
    h.bills(cast)
    h.rate(cast)
    h.pool(cast)
    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    give(cast, 30, D(2026, 3, 11))
    exchange.redeem(
        actor=cast.users[Role.RESIDENT], house=cast.a.house, minutes=60, today=D(2026, 3, 12)
    )
    assert run_check() == (
        "ok   every hours entry balances\n"
        "ok   no household holds fewer than zero minutes\n"
        "ok   verified claims posted their minutes once\n"
        "ok   redemptions took their minutes\n"
        "ok   the monthly verified hours equal the ledger\n",
        None,
    )


def planted_entry(cast, lines):
    """An entry written behind the ledger's back (raw INSERTs, which the triggers allow)."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO timebank_hourentry (kind, category, district_id, "on", memo, created_at)'
            " VALUES ('earn', '', %s, '2026-03-10', 'planted', %s)",
            [cast.district.pk, h.at(D(2026, 3, 10), 9)],
        )
    entry = HourEntry.objects.get(memo="planted")
    with connection.cursor() as cursor:
        for account_id, minutes in lines:
            cursor.execute(
                "INSERT INTO timebank_hourposting (entry_id, account_id, minutes)"
                " VALUES (%s, %s, %s)",
                [entry.pk, account_id, minutes],
            )
    return entry


def test_the_check_finds_a_planted_unbalanced_entry(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    entry = planted_entry(cast, [(account(cast.a.house).pk, 30)])
    out, error = run_check()
    assert out == (
        "FAIL every hours entry balances\n"
        f"     hours entry {entry.pk} sums to 30 minutes\n"
        "ok   no household holds fewer than zero minutes\n"
        "ok   verified claims posted their minutes once\n"
        "ok   redemptions took their minutes\n"
        "ok   the monthly verified hours equal the ledger\n"
    )
    assert error == "the hours ledger has discrepancies"
    assert checks.first_discrepancy() == f"hours entry {entry.pk} sums to 30 minutes"


def test_the_check_finds_a_household_below_zero(cast):
    issued = ledger.system_account(cast.district.pk, HourAccountKind.ISSUED)
    planted_entry(cast, [(account(cast.a.house).pk, -45), (issued.pk, 45)])
    out, error = run_check()
    assert out.splitlines()[:3] == [
        "ok   every hours entry balances",
        "FAIL no household holds fewer than zero minutes",
        f"     household {cast.a.house.pk} holds -45 minutes",
    ]
    assert error == "the hours ledger has discrepancies"


def test_a_reversal_takes_back_from_its_own_day_then_the_next(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)  # 60
    march = earn(cast, D(2026, 3, 10), 9, 10)  # 60
    earn(cast, D(2026, 5, 12), 9, 10)  # 60
    give(cast, 90, D(2026, 6, 1))  # January's 60 and 30 of March's
    mine = account(cast.a.house)
    assert ledger.lots(mine) == [(D(2026, 3, 10), 30), (D(2026, 5, 12), 60)]
    # The claim's own minutes are partly gone: reversing the claim is refused, and May's
    # minutes are not taken in their place.
    with pytest.raises(ValidationError) as refused:
        claims.reverse_claim(actor=cast.users[Role.COMMUNITY], claim=march, reason="虚报")
    assert refused.value.message_dict == {
        "claim": [
            "Only 0:30 of the claim's 1:00 hours are still held; the rest were redeemed, given "
            "away or expired."
        ]
    }
    assert ledger.lots(mine) == [(D(2026, 3, 10), 30), (D(2026, 5, 12), 60)]
    # A reversing entry posted in the ledger itself nets on its own day first, then the next.
    entry = HourEntry.objects.get(claim=march, reverses__isnull=True)
    ledger.reverse(entry=entry, actor=cast.users[Role.COMMUNITY], memo="虚报")
    assert ledger.balance(mine) == 30
    assert ledger.lots(mine) == [(D(2026, 5, 12), 30)]
    # Posted by hand, the claim still reads verified: the check says so.
    assert checks.first_discrepancy() == f"claim {march.pk} (verified, 60 min) posted 0 min"


def test_hours_are_given_within_the_district_only(cast):
    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)
    with pytest.raises(Exception) as refused:
        exchange.donate(
            actor=cast.users[Role.RESIDENT],
            house=cast.a.house,
            to_house=cast.c.house,
            minutes=10,
            today=D(2026, 2, 1),
        )
    assert refused.value.message_dict == {
        "to_house": ["Hours can be given within the district only."]
    }
    with pytest.raises(Exception) as refused:
        exchange.donate(
            actor=cast.users[Role.RESIDENT],
            house=cast.a.house,
            to_house=cast.a.house,
            minutes=10,
            today=D(2026, 2, 1),
        )
    assert refused.value.message_dict == {"to_house": ["Choose another household."]}
    with pytest.raises(PermissionDenied):
        exchange.donate(
            actor=cast.users[Role.STREET],
            house=cast.a.house,
            to_house=cast.a.neighbour_house,
            minutes=10,
            today=D(2026, 2, 1),
        )
    assert ledger.balance(account(cast.a.house)) == 60


def test_an_officer_cannot_give_a_households_hours_to_their_own_household(cast):
    from laoyuan.factories import grant

    h.volunteer(cast)
    earn(cast, D(2026, 1, 10), 9, 10)
    officer = h.organiser(cast)  # a community officer of A ...
    grant(officer, Role.RESIDENT, cast.a.neighbour_house)  # ... living next door
    with pytest.raises(ValidationError) as refused:
        exchange.donate(
            actor=officer,
            house=cast.a.house,
            to_house=cast.a.neighbour_house,
            minutes=60,
            today=D(2026, 2, 1),
        )
    assert refused.value.message_dict == {
        "to_house": ["Staff may not give a household's hours to their own household."]
    }


def _months(cast):
    from laoyuan.timebank.models import HoursMonth

    return list(
        HoursMonth.objects.filter(compound=cast.a.compound)
        .order_by("month")
        .values_list("month", "minutes")
    )


def test_monthly_verified_hours_follow_verifications_and_reversals(cast):
    """Each verified claim adds its minutes to its compound's month (the month of the day they
    count from); a reversal takes them back from that month, whenever it is made."""
    from laoyuan.timebank import reports
    from laoyuan.workorders.reports import month_period

    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)  # 180 minutes in March
    late = earn(cast, D(2026, 4, 2), 14, 16)  # 120 in April
    earn(cast, D(2026, 4, 3), 9, 10)  # 60 in April
    assert _months(cast) == [(D(2026, 3, 1), 180), (D(2026, 4, 1), 180)]
    claims.reverse_claim(actor=cast.users[Role.STREET], claim=late, reason="虚报")
    assert _months(cast) == [(D(2026, 3, 1), 180), (D(2026, 4, 1), 60)]
    assert checks.first_discrepancy() is None
    street = cast.users[Role.STREET]
    april = month_period(D(2026, 4, 1))
    assert reports.figures(street, april)["minutes_verified"] == 60
    assert reports.report(street, april).total.minutes == 60
    # A quarter reads the summaries too; a span of days reads the postings.
    quarter = reports.Period(D(2026, 3, 1), D(2026, 5, 31))
    assert reports.figures(street, quarter)["minutes_verified"] == 240
    days = reports.Period(D(2026, 3, 10), D(2026, 4, 2))
    assert reports.figures(street, days)["minutes_verified"] == 180
    assert reports.figures(cast.users["outsider"], april)["minutes_verified"] == 0


def test_the_check_finds_a_wrong_monthly_summary_and_the_rebuild_mends_it(cast):
    from laoyuan.timebank.models import HoursMonth

    h.volunteer(cast)
    earn(cast, D(2026, 3, 10), 9, 12)
    HoursMonth.objects.filter(compound=cast.a.compound).update(minutes=200)
    assert checks.first_discrepancy() == (
        f"compound {cast.a.compound.pk} verified 180 minutes in 2026-03; "
        "its monthly summary says 200"
    )
    out = io.StringIO()
    call_command("timebank_check", "--rebuild", stdout=out)
    assert out.getvalue().startswith("rebuilt 1 monthly verified-hours summaries\nok   every")
    assert _months(cast) == [(D(2026, 3, 1), 180)]
    assert checks.first_discrepancy() is None
