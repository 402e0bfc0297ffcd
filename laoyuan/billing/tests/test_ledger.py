import datetime
import io
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from laoyuan.accounts.enums import Role
from laoyuan.billing import calc, checks
from laoyuan.billing.enums import AccountKind, EntryKind, SchemeBasis
from laoyuan.billing.models import (
    Bill,
    BillSummary,
    JournalEntry,
    OwingAccount,
    Posting,
    Receipt,
)
from laoyuan.billing.services.ledger import (
    LedgerError,
    Line,
    allocate_credit,
    balance,
    company_account,
    correct_bill,
    household_account,
    post_entry,
    reverse_entry,
    unallocated_credit,
)
from laoyuan.billing.services.payments import reverse_payment, take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))


def _take(house, amount, reference, cashier):
    return take_payment(
        house=house, amount=Decimal(amount), channel="cash", reference=reference, actor=cashier
    )


def pay(house, amount):  # A bare credit to the house, as a payment would post it.
    account = household_account(house)
    cash = company_account(house.compound.company, AccountKind.CASH)
    amount = Decimal(amount)
    entry = post_entry(
        kind=EntryKind.PAYMENT,
        lines=[Line(cash, amount), Line(account, -amount)],
        district_id=account.district_id,
        house_id=house.pk,
    )
    allocate_credit(account=account)
    return entry


def test_per_area_month_is_area_times_rate(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    issued = bill(cast.a.house, JAN)
    assert (issued.list_amount, issued.amount, issued.paid, issued.trial) == (
        Decimal("43.20"),
        Decimal("43.20"),
        Decimal("0.00"),
        False,
    )
    assert balance(household_account(cast.a.house)) == Decimal("43.20")
    assert balance(company_account(cast.a.company, AccountKind.INCOME)) == Decimal("-43.20")


@given(st.integers(min_value=1, max_value=10_000_000))
def test_annual_shares_sum_exactly(fen):
    annual = Decimal(fen) / 100
    shares = [calc.annual_share(annual, month) for month in range(1, 13)]
    assert sum(shares) == annual
    assert max(shares) - min(shares) <= Decimal("0.01")


def test_150_a_year_is_twelve_charges_of_12_50(cast):
    posted_scheme(cast.a.compound, basis=SchemeBasis.PER_HOUSEHOLD, rate="150")
    amounts = [bill(cast.a.house, datetime.date(2026, m, 1)).amount for m in range(1, 13)]
    assert amounts == [Decimal("12.50")] * 12
    assert sum(amounts) == Decimal("150.00")


def test_trial_months_are_zero_with_their_list_amount(cast):
    posted_scheme(cast.a.compound, effective_from=JAN, trial_months=2)
    bills = [bill(cast.a.house, period) for period in (JAN, FEB, MAR)]
    assert [(b.amount, b.list_amount, b.trial) for b in bills] == [
        (Decimal("0.00"), Decimal("43.20"), True),
        (Decimal("0.00"), Decimal("43.20"), True),
        (Decimal("43.20"), Decimal("43.20"), False),
    ]
    # A trial bill moves no money, so it has no entry.
    assert JournalEntry.objects.filter(bill=bills[0]).count() == 0


def test_vacant_and_unsold_follow_the_scheme_policy(cast):
    posted_scheme(cast.a.compound, vacant_percent=50, unsold_percent=0)
    cast.a.house.status = "vacant"
    cast.a.house.save()
    cast.a.neighbour_house.status = "unsold"
    cast.a.neighbour_house.save()
    assert bill(cast.a.house, JAN).amount == Decimal("21.60")
    assert bill(cast.a.neighbour_house, JAN).amount == Decimal("0.00")


def test_issuing_twice_makes_one_bill(cast):
    posted_scheme(cast.a.compound)
    first = bill(cast.a.house, JAN)
    again = bill(cast.a.house, JAN)
    assert first.pk == again.pk
    assert Bill.objects.count() == 1
    assert Posting.objects.count() == 2


def test_payment_goes_to_the_oldest_bill_and_surplus_stays_credit(cast):
    posted_scheme(cast.a.compound)
    jan, feb = bill(cast.a.house, JAN), bill(cast.a.house, FEB)
    pay(cast.a.house, "50.00")
    jan.refresh_from_db()
    feb.refresh_from_db()
    assert (jan.paid, feb.paid) == (Decimal("43.20"), Decimal("6.80"))
    pay(cast.a.house, "100.00")
    feb.refresh_from_db()
    account = household_account(cast.a.house)
    assert feb.paid == Decimal("43.20")
    assert unallocated_credit(account) == Decimal("63.60")
    assert balance(account) == Decimal("-63.60")
    # The next bill takes the prepaid credit at once.
    mar = bill(cast.a.house, MAR)
    assert mar.paid == Decimal("43.20")
    assert unallocated_credit(account) == Decimal("20.40")
    assert checks.first_discrepancy() is None


def test_unbalanced_entry_is_refused_and_nothing_written(cast):
    account = household_account(cast.a.house)
    income = company_account(cast.a.company, AccountKind.INCOME)
    with pytest.raises(LedgerError, match="sum to zero"):
        post_entry(
            kind=EntryKind.CHARGE,
            lines=[Line(account, Decimal("1.00")), Line(income, Decimal("-0.99"))],
            district_id=account.district_id,
        )
    assert JournalEntry.objects.count() == 0


def test_reversal_restores_the_balance_and_cannot_repeat(cast):
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    entry = pay(cast.a.house, "43.20")
    account = household_account(cast.a.house)
    assert balance(account) == Decimal("0.00")
    reverse_entry(entry=entry, actor=None, memo="bounced")
    allocate_credit(account=account)
    jan = Bill.objects.get()
    assert balance(account) == Decimal("43.20")
    assert (jan.paid, unallocated_credit(account)) == (Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(LedgerError, match="already been reversed"):
        reverse_entry(entry=entry, actor=None, memo="again")
    assert checks.first_discrepancy() is None


def test_correcting_a_paid_bill_returns_the_overpayment_to_credit(cast):
    posted_scheme(cast.a.compound)
    jan = bill(cast.a.house, JAN)
    pay(cast.a.house, "43.20")
    corrected = correct_bill(bill=jan, amount=Decimal("30.00"), actor=None, reason="area fixed")
    account = household_account(cast.a.house)
    assert (corrected.amount, corrected.paid) == (Decimal("30.00"), Decimal("30.00"))
    assert unallocated_credit(account) == Decimal("13.20")
    assert balance(account) == Decimal("-13.20")
    assert checks.first_discrepancy() is None


def test_ledger_rows_cannot_be_changed(cast):
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    posting = Posting.objects.first()
    with pytest.raises(TypeError, match="append-only"):
        posting.save()
    with pytest.raises(TypeError, match="append-only"):
        Posting.objects.update(amount=0)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE billing_posting SET amount = 0")


def test_ledger_check_passes_and_fails_on_a_tampered_posting(cast):
    from django.core.management import CommandError, call_command

    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    pay(cast.a.house, "20.00")
    call_command("ledger_check", stdout=io.StringIO())
    posting = Posting.objects.get(amount=Decimal("-20.00"), entry__kind=EntryKind.PAYMENT)
    with connection.cursor() as cursor:
        # Somebody edits the database behind the application's back.
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            cursor.execute("DROP TRIGGER billing_posting_append_only")
        cursor.execute("UPDATE billing_posting SET amount = -25 WHERE id = %s", [posting.pk])
    with pytest.raises(CommandError, match=f"journal entry {posting.entry_id}'s postings sum to"):
        call_command("ledger_check", stdout=io.StringIO())


def _summary(compound, period):
    return list(
        BillSummary.objects.filter(compound=compound, period=period)
        .order_by("trial")
        .values_list("trial", "amount", "paid")
    )


def test_monthly_summaries_follow_bills_payments_and_reversals(cast):
    """The summaries the collection figures read move with every bill written: issued, paid,
    paid back. Two houses of one compound share its month's row."""
    posted_scheme(cast.a.compound)  # 43.20 and 30.00 a month for the two houses of side A
    cashier = cast.users[Role.COMPANY]
    bill(cast.a.house, JAN)
    bill(cast.a.neighbour_house, JAN)
    assert _summary(cast.a.compound, JAN) == [(False, Decimal("73.20"), Decimal("0.00"))]
    # 43.20 to January, 6.80 left as credit
    receipt = _take(cast.a.house, "50.00", "S-1", cashier)
    assert _summary(cast.a.compound, JAN) == [(False, Decimal("73.20"), Decimal("43.20"))]
    bill(cast.a.house, FEB)  # the credit pays 6.80 of February at once
    assert _summary(cast.a.compound, FEB) == [(False, Decimal("43.20"), Decimal("6.80"))]
    _take(cast.a.neighbour_house, "30.00", "S-2", cashier)
    assert _summary(cast.a.compound, JAN) == [(False, Decimal("73.20"), Decimal("73.20"))]
    reverse_payment(payment=receipt.payment, actor=cashier, reason="bounced")
    # The bounced 50.00 is taken back from both months; the neighbour's January stays paid.
    assert _summary(cast.a.compound, JAN) == [(False, Decimal("73.20"), Decimal("30.00"))]
    assert _summary(cast.a.compound, FEB) == [(False, Decimal("43.20"), Decimal("0.00"))]
    assert checks.first_discrepancy() is None


def test_ledger_check_finds_a_wrong_summary_and_rebuild_mends_it(cast):
    from django.core.management import CommandError, call_command

    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    pay(cast.a.house, "20.00")
    BillSummary.objects.filter(compound=cast.a.compound, period=JAN).update(paid=Decimal("25"))
    with pytest.raises(
        CommandError,
        match=(
            f"the bills of compound {cast.a.compound.pk} and company {cast.a.company.pk} for "
            "2026-01 sum to 43.20 billed, 20.00 paid; their summary says 43.20 and 25.00"
        ),
    ):
        call_command("ledger_check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ledger_check", "--rebuild", stdout=out)
    assert "rebuilt 1 monthly bill summaries" in out.getvalue()
    assert _summary(cast.a.compound, JAN) == [(False, Decimal("43.20"), Decimal("20.00"))]


def _owing(house):
    return list(
        OwingAccount.objects.filter(account__house=house).values_list("company_id", "oldest")
    )


def test_owing_rows_follow_the_oldest_bill_still_owing(cast):
    """Arrears by age count households from their owing row: the month of the oldest bill the
    account still owes, gone when it owes nothing."""
    posted_scheme(cast.a.compound)  # 43.20 a month for the house
    company = cast.a.company.pk
    assert _owing(cast.a.house) == []
    bill(cast.a.house, JAN)
    bill(cast.a.house, FEB)
    assert _owing(cast.a.house) == [(company, JAN)]
    cashier = cast.users[Role.COMPANY]
    _take(cast.a.house, "43.20", "O-1", cashier)  # January paid: February is the oldest owing
    assert _owing(cast.a.house) == [(company, FEB)]
    second = _take(cast.a.house, "43.20", "O-2", cashier)
    assert _owing(cast.a.house) == []
    reverse_payment(payment=second.payment, actor=cashier, reason="bounced")
    assert _owing(cast.a.house) == [(company, FEB)]
    first = Receipt.objects.get(payment__reference="O-1")
    reverse_payment(payment=first.payment, actor=cashier, reason="bounced")
    assert _owing(cast.a.house) == [(company, JAN)]
    assert checks.first_discrepancy() is None


def test_ledger_check_finds_a_wrong_owing_row(cast):
    from django.core.management import CommandError, call_command

    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    bill(cast.a.house, FEB)
    account = household_account(cast.a.house)
    OwingAccount.objects.filter(account=account).update(oldest=FEB)
    with pytest.raises(
        CommandError,
        match=(
            f"account {account.pk} owes on bills of company {cast.a.company.pk} in compound "
            f"{cast.a.compound.pk} since 2026-01; its owing row says 2026-02"
        ),
    ):
        call_command("ledger_check", stdout=io.StringIO())
    call_command("ledger_check", "--rebuild", stdout=io.StringIO())
    assert _owing(cast.a.house) == [(cast.a.company.pk, JAN)]
