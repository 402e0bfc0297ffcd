import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import AccountKind, EntryKind
from laoyuan.billing.models import DayClose, JournalEntry
from laoyuan.billing.services.closing import close_day, day_totals
from laoyuan.billing.services.ledger import balance, company_account
from laoyuan.billing.services.payments import reverse_payment, take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.billing.tests.test_payments_concurrency import race
from laoyuan.core.models import AuditEvent
from laoyuan.factories import user_with

pytestmark = pytest.mark.django_db


@pytest.fixture
def takings(cast):
    """Today the company's cashier took 43.20 and 20.00 in cash (the 20.00 reversed at once) and
    50.00 by bank transfer; another cashier took 10.00 in cash."""
    posted_scheme(cast.a.compound)
    for month in (1, 2, 3):
        bill(cast.a.house, datetime.date(2026, month, 1))
    cashier = cast.users[Role.COMPANY]
    colleague = user_with(Role.COMPANY, cast.a.company, "colleague")

    def pay(amount, channel, reference, who=cashier, house=cast.a.house):
        return take_payment(
            house=house, amount=Decimal(amount), channel=channel, reference=reference, actor=who
        )

    pay("43.20", "cash", "C-1")
    wrong = pay("20.00", "cash", "C-2")
    pay("50.00", "bank", "B-1")
    pay("10.00", "cash", "C-3", who=colleague, house=cast.a.neighbour_house)
    reverse_payment(payment=wrong.payment, actor=cashier, reason="wrong house")
    return cast, cashier, colleague


def test_day_totals_are_the_cashiers_takings_net_of_what_was_handed_back(takings):
    cast, cashier, colleague = takings
    today = timezone.localdate()
    assert day_totals(company=cast.a.company, cashier=cashier, day=today) == {
        "cash": Decimal("43.20"),
        "bank": Decimal("50.00"),
        "pos": Decimal("0.00"),
        "online": Decimal("0.00"),
    }
    assert day_totals(company=cast.a.company, cashier=colleague, day=today)["cash"] == Decimal(
        "10.00"
    )
    yesterday = today - datetime.timedelta(days=1)
    assert set(day_totals(company=cast.a.company, cashier=cashier, day=yesterday).values()) == {
        Decimal("0.00")
    }


def test_close_records_the_difference_and_posts_the_cash_shortfall(takings):
    cast, cashier, _colleague = takings
    today = timezone.localdate()
    company = cast.a.company
    close = close_day(
        company=company,
        cashier=cashier,
        day=today,
        counted={"cash": Decimal("40.00"), "bank": Decimal("50.00")},
        note="3.20 short",
        actor=cashier,
    )
    assert (close.expected, close.counted, close.difference) == (
        {"cash": "43.20", "bank": "50.00", "pos": "0.00", "online": "0.00"},
        {"cash": "40.00", "bank": "50.00", "pos": "0.00", "online": "0.00"},
        {"cash": "-3.20", "bank": "0.00", "pos": "0.00", "online": "0.00"},
    )
    entry = JournalEntry.objects.get(kind=EntryKind.DIFFERENCE)
    assert entry.reference == f"DAYCLOSE-{close.pk}"
    assert sorted((p.account.kind, p.amount) for p in entry.postings.all()) == [
        (AccountKind.CASH, Decimal("-3.20")),
        (AccountKind.OVER_SHORT, Decimal("3.20")),
    ]
    # Cash clearing holds what was counted (40.00) and the colleague's 10.00, not yet closed.
    assert balance(company_account(company, AccountKind.CASH)) == Decimal("50.00")
    assert balance(company_account(company, AccountKind.OVER_SHORT)) == Decimal("3.20")
    event = AuditEvent.objects.get(action="day.closed")
    assert event.changes["difference"]["cash"] == "-3.20"
    assert event.changes["entry"] == entry.pk
    assert checks.first_discrepancy() is None


def test_a_matching_count_posts_nothing_and_a_bank_difference_is_recorded_only(takings):
    cast, cashier, _colleague = takings
    close = close_day(
        company=cast.a.company,
        cashier=cashier,
        day=timezone.localdate(),
        counted={"cash": Decimal("43.20"), "bank": Decimal("45.00")},
        note="",
        actor=cast.users[Role.COMPANY],
    )
    assert close.difference == {"cash": "0.00", "bank": "-5.00", "pos": "0.00", "online": "0.00"}
    assert not JournalEntry.objects.filter(kind=EntryKind.DIFFERENCE).exists()
    assert checks.first_discrepancy() is None


def test_a_day_closes_once(takings):
    cast, cashier, _colleague = takings
    today = timezone.localdate()
    counted = {"cash": Decimal("44.20"), "bank": Decimal("50.00")}
    close_day(
        company=cast.a.company, cashier=cashier, day=today, counted=counted, note="", actor=cashier
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        close_day(
            company=cast.a.company,
            cashier=cashier,
            day=today,
            counted=counted,
            note="",
            actor=cashier,
        )
    assert refused.value.message_dict["day"][0].startswith(
        f"{today.isoformat()} is already closed for company (at "
    )
    assert DayClose.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.DIFFERENCE).count() == 1


@pytest.mark.parametrize(
    ("counted", "message"),
    [
        ({"bank": Decimal("50.00")}, "Count the Cash takings: the books expect 43.20."),
        (
            {"cash": Decimal("-1.00"), "bank": Decimal("50.00")},
            "The Cash count must be an amount of 0.00 or more, in yuan and fen.",
        ),
        (
            {"cash": Decimal("43.205"), "bank": Decimal("50.00")},
            "The Cash count must be an amount of 0.00 or more, in yuan and fen.",
        ),
        (
            {"cash": Decimal("43.20"), "bank": Decimal("50.00"), "cheque": Decimal("1.00")},
            "cheque is not a payment channel.",
        ),
    ],
)
def test_bad_counts_are_refused_and_nothing_written(takings, counted, message):
    cast, cashier, _colleague = takings
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        close_day(
            company=cast.a.company,
            cashier=cashier,
            day=timezone.localdate(),
            counted=counted,
            note="",
            actor=cashier,
        )
    assert refused.value.message_dict == {"counted": [message]}
    assert DayClose.objects.count() == 0


def test_a_future_day_cannot_be_closed(takings):
    cast, cashier, _colleague = takings
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        close_day(
            company=cast.a.company,
            cashier=cashier,
            day=timezone.localdate() + datetime.timedelta(days=1),
            counted={},
            note="",
            actor=cashier,
        )
    assert refused.value.message_dict == {"day": ["A day in the future cannot be closed."]}


@pytest.mark.parametrize("who", ["outsider", Role.STREET, Role.RESIDENT, "other_company"])
def test_only_the_company_closes_its_cashiers_day(takings, who):
    cast, cashier, _colleague = takings
    actor = (
        user_with(Role.COMPANY, cast.b.company, "b_cashier")
        if who == "other_company"
        else cast.users[who]
    )
    with pytest.raises(PermissionDenied):
        close_day(
            company=cast.a.company,
            cashier=cashier,
            day=timezone.localdate(),
            counted={"cash": Decimal("0.00"), "bank": Decimal("0.00")},
            note="",
            actor=actor,
        )
    assert DayClose.objects.count() == 0
    assert not JournalEntry.objects.filter(kind=EntryKind.DIFFERENCE).exists()


def test_the_cashier_must_be_on_the_companys_staff(takings):
    cast, cashier, _colleague = takings
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        close_day(
            company=cast.a.company,
            cashier=cast.users["outsider"],
            day=timezone.localdate(),
            counted={},
            note="",
            actor=cashier,
        )
    assert list(refused.value.message_dict) == ["cashier"]
    assert DayClose.objects.count() == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL to race")
@pytest.mark.django_db(transaction=True)
def test_two_closes_of_one_day_at_once_close_it_once(takings):
    cast, cashier, _colleague = takings

    def close():
        return close_day(
            company=cast.a.company,
            cashier=cashier,
            day=timezone.localdate(),
            counted={"cash": Decimal("40.00"), "bank": Decimal("50.00")},
            note="",
            actor=cashier,
        )

    results = race([close, close])
    closed = [result for result in results if isinstance(result, DayClose)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(closed), len(refused)) == (1, 1), results
    assert list(refused[0].message_dict) == ["day"]
    assert DayClose.objects.count() == 1
    assert JournalEntry.objects.filter(kind=EntryKind.DIFFERENCE).count() == 1
    assert checks.first_discrepancy() is None
