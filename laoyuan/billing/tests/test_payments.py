import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import AccountKind, Channel, EntryKind
from laoyuan.billing.models import (
    Account,
    Bill,
    JournalEntry,
    Payment,
    Posting,
    Receipt,
    ReceiptCounter,
)
from laoyuan.billing.services.accounts import settle_account
from laoyuan.billing.services.ledger import (
    balance,
    company_account,
    household_account,
    unallocated_credit,
)
from laoyuan.billing.services.payments import (
    PaymentRow,
    PaymentRowsError,
    payment_ceiling,
    record_payments,
    refund_credit,
    reverse_payment,
    take_payment,
)
from laoyuan.billing.services.receipts import payment_reversal
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.core.models import AuditEvent
from laoyuan.factories import HouseFactory, user_with
from laoyuan.places.models import House

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = (datetime.date(2026, m, 1) for m in (1, 2, 3))
D = Decimal


def pay(cast, amount, reference="R-1", house=None, channel=Channel.CASH, actor=None):
    return take_payment(
        house=house or cast.a.house,
        amount=D(amount),
        channel=channel,
        reference=reference,
        actor=actor or cast.users[Role.COMPANY],
    )


def paid(*bills):
    return [Bill.objects.get(pk=b.pk).paid for b in bills]


def written():
    """What a refused call must leave unchanged."""
    return (
        Payment.objects.count(),
        Receipt.objects.count(),
        JournalEntry.objects.count(),
        Posting.objects.count(),
        Account.objects.count(),
        list(ReceiptCounter.objects.values_list("company_id", "last")),
    )


def english_messages(error, field):
    return error.value.message_dict[field]


@pytest.fixture
def billed(cast):
    """House a (86.40 m² at 0.50: 43.20 a month) with January and February billed."""
    posted_scheme(cast.a.compound, rate="0.50")
    return bill(cast.a.house, JAN), bill(cast.a.house, FEB)


def test_payment_pays_the_oldest_bills_and_keeps_the_rest(cast, billed):
    jan, feb = billed
    receipt = pay(cast, "50.00")
    assert receipt.number == f"{cast.a.company.code}-00000001"
    assert paid(jan, feb) == [D("43.20"), D("6.80")]
    account = household_account(cast.a.house)
    assert balance(account) == D("36.40")
    assert balance(company_account(cast.a.company, AccountKind.CASH)) == D("50.00")
    receipt2 = pay(cast, "100.00", reference="R-2")
    assert receipt2.number == f"{cast.a.company.code}-00000002"
    assert paid(jan, feb) == [D("43.20"), D("43.20")]
    assert (balance(account), unallocated_credit(account)) == (D("-63.60"), D("63.60"))
    payment = receipt.payment
    assert (payment.amount, payment.channel, payment.reference, payment.received_on) == (
        D("50.00"),
        "cash",
        "R-1",
        timezone.localdate(),
    )
    assert payment.received_by == cast.users[Role.COMPANY]
    event = AuditEvent.objects.get(action="payment.taken", target_id=payment.pk)
    assert event.changes["receipt"] == receipt.number
    assert event.changes["taken_by"] == "company staff"
    assert checks.first_discrepancy() is None


def test_duplicate_reference_credits_once(cast, billed):
    first = pay(cast, "50.00", reference="BANK-0001")
    before = written()
    account = household_account(cast.a.house)
    again = pay(cast, "50.00", reference="BANK-0001")
    assert again.number == first.number
    assert Payment.objects.count() == 1
    assert written() == before
    assert balance(account) == D("36.40")
    assert checks.first_discrepancy() is None


def test_same_reference_for_another_house_or_amount_is_refused(cast, billed):
    first = pay(cast, "50.00", reference="BANK-0001")
    before = written()
    for house, amount in ((cast.a.neighbour_house, "50.00"), (cast.a.house, "50.01")):
        with translation.override("en"), pytest.raises(ValidationError) as error:
            pay(cast, amount, reference="BANK-0001", house=house)
        assert english_messages(error, "reference") == [
            f"The reference BANK-0001 was already used for another house or amount "
            f"(receipt {first.number}); check the reference."
        ]
    assert written() == before


def test_thirteen_months_ahead_is_refused_and_twelve_accepted(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    assert payment_ceiling(cast.a.house) == D("518.40")
    before = written()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        pay(cast, "561.60")  # 13 × 43.20
    assert english_messages(error, "amount") == [
        "At most 518.40 may be paid now: what is owed plus 12 months ahead "
        "(Zhengzhou regulation art. 42)."
    ]
    assert written() == before
    assert (Payment.objects.count(), Posting.objects.count()) == (0, 0)
    assert not ReceiptCounter.objects.exists()

    receipt = pay(cast, "518.40")
    account = household_account(cast.a.house)
    assert (balance(account), unallocated_credit(account)) == (D("-518.40"), D("518.40"))
    assert receipt.number.endswith("-00000001")
    # The year is now prepaid: nothing more may be paid until a month is billed.
    assert payment_ceiling(cast.a.house) == D("0.00")
    with translation.override("en"), pytest.raises(ValidationError, match=r"At most 0\.00 "):
        pay(cast, "0.01", reference="R-2")
    assert checks.first_discrepancy() is None


def test_ceiling_counts_what_is_owed(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    periods = [datetime.date(2025, 12, 1)] + [datetime.date(2026, m, 1) for m in range(1, 12)]
    for period in periods:
        bill(cast.a.house, period)
    assert payment_ceiling(cast.a.house) == D("1036.80")  # 12 owed + 12 ahead
    with translation.override("en"), pytest.raises(ValidationError) as error:
        pay(cast, "1036.81")
    assert english_messages(error, "amount") == [
        "At most 1,036.80 may be paid now: what is owed plus 12 months ahead "
        "(Zhengzhou regulation art. 42)."
    ]
    pay(cast, "1036.80")
    assert Bill.objects.filter(paid=D("43.20")).count() == 12
    assert unallocated_credit(household_account(cast.a.house)) == D("518.40")
    assert checks.first_discrepancy() is None


def test_ceiling_per_household_scheme_and_without_scheme(cast):
    # No scheme in force: only what is owed (nothing) may be paid.
    assert payment_ceiling(cast.a.house) == D("0.00")
    posted_scheme(cast.a.compound, basis="per_household", rate="150")
    assert payment_ceiling(cast.a.house) == D("150.00")
    # A scheme taking effect next year is not yet the one in force.
    posted_scheme(cast.a.compound, rate="0.50", effective_from=datetime.date(2027, 1, 1))
    assert payment_ceiling(cast.a.house) == D("150.00")
    assert payment_ceiling(cast.a.house, on=datetime.date(2027, 1, 5)) == D("518.40")


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("amount", {"amount": D("0.00")}),
        ("amount", {"amount": D("-1.00")}),
        ("amount", {"amount": D("10.005")}),
        ("amount", {"amount": 10.5}),
        ("channel", {"channel": "cheque"}),
        ("reference", {"reference": "  "}),
        ("reference", {"reference": "x" * 65}),
        ("note", {"note": "x" * 201}),
        ("received_on", {"received_on": timezone.localdate() + datetime.timedelta(days=1)}),
    ],
)
def test_bad_input_is_refused_naming_the_field(cast, billed, field, kwargs):
    arguments = {
        "house": cast.a.house,
        "amount": D("10.00"),
        "channel": Channel.CASH,
        "reference": "R-1",
        "actor": cast.users[Role.COMPANY],
    }
    before = written()
    with pytest.raises(ValidationError) as error:
        take_payment(**(arguments | kwargs))
    assert list(error.value.message_dict) == [field]
    assert written() == before


def test_a_compound_without_company_takes_no_payment(cast):
    house = HouseFactory(building__compound=cast.a.other_compound)
    house = House.objects.get(pk=house.pk)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        take_payment(house=house, amount=D("1.00"), channel="cash", reference="R", actor=None)
    assert english_messages(error, "house") == [
        "This house's compound has no property company to pay fees to."
    ]


def test_only_the_company_and_the_household_online_may_pay(cast, billed):
    other_company = user_with(Role.COMPANY, cast.b.company, "company_b")
    before = written()
    refused = [
        (other_company, Channel.CASH, cast.a.house),
        (cast.users["outsider"], Channel.CASH, cast.a.house),
        (cast.users[Role.STREET], Channel.CASH, cast.a.house),
        (cast.users[Role.DISTRICT], Channel.CASH, cast.a.house),
        (cast.users[Role.RESIDENT], Channel.CASH, cast.a.house),
        (cast.users[Role.RESIDENT], Channel.ONLINE, cast.a.neighbour_house),
    ]
    for actor, channel, house in refused:
        with pytest.raises(PermissionDenied):
            pay(cast, "10.00", actor=actor, channel=channel, house=house)
    assert written() == before
    receipt = pay(cast, "10.00", actor=cast.users[Role.RESIDENT], channel=Channel.ONLINE)
    assert receipt.payment.received_by == cast.users[Role.RESIDENT]
    event = AuditEvent.objects.get(action="payment.taken")
    assert event.changes["taken_by"] == "resident, online"
    assert balance(company_account(cast.a.company, AccountKind.ONLINE)) == D("10.00")


def test_reversal_restores_the_balance_and_bills(cast, billed):
    jan, feb = billed
    receipt = pay(cast, "100.00")
    account = household_account(cast.a.house)
    assert (balance(account), paid(jan, feb)) == (D("-13.60"), [D("43.20"), D("43.20")])
    reversal = reverse_payment(
        payment=receipt.payment, actor=cast.users[Role.COMPANY], reason="transfer bounced"
    )
    assert reversal.reverses.payment == receipt.payment
    assert (balance(account), unallocated_credit(account)) == (D("86.40"), D("0.00"))
    assert paid(jan, feb) == [D("0.00"), D("0.00")]
    assert balance(company_account(cast.a.company, AccountKind.CASH)) == D("0.00")
    # The receipt stays, shown as reversed; its number is not reused.
    assert Receipt.objects.get(pk=receipt.pk) == receipt
    assert payment_reversal(receipt.payment) == reversal
    assert pay(cast, "10.00", reference="R-2").number.endswith("-00000002")
    assert AuditEvent.objects.filter(action="payment.reversed", target_id=receipt.payment.pk)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        reverse_payment(payment=receipt.payment, actor=cast.users[Role.COMPANY], reason="again")
    assert english_messages(error, "payment") == ["This payment has already been reversed."]
    assert checks.first_discrepancy() is None


def test_reversal_needs_the_company_and_a_reason(cast, billed):
    receipt = pay(cast, "50.00")
    before = written()
    for actor in (cast.users["outsider"], cast.users[Role.RESIDENT], cast.users[Role.STREET]):
        with pytest.raises(PermissionDenied):
            reverse_payment(payment=receipt.payment, actor=actor, reason="no")
    with pytest.raises(ValidationError) as error:
        reverse_payment(payment=receipt.payment, actor=cast.users[Role.COMPANY], reason=" ")
    assert list(error.value.message_dict) == ["reason"]
    assert written() == before


def test_refund_pays_back_unallocated_credit_only(cast, billed):
    company = cast.users[Role.COMPANY]
    pay(cast, "186.40")  # 86.40 pays January and February; 100.00 stays as credit
    account = household_account(cast.a.house)
    before = written()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        refund_credit(
            house=cast.a.house, amount=D("100.01"), channel="cash", actor=company, reason="moving"
        )
    assert english_messages(error, "amount") == [
        "At most 100.00 may be refunded: the credit this house holds that no bill has taken."
    ]
    assert written() == before
    entry = refund_credit(
        house=cast.a.house, amount=D("40.00"), channel="cash", actor=company, reason="moving"
    )
    assert entry.kind == EntryKind.REFUND
    assert (balance(account), unallocated_credit(account)) == (D("-60.00"), D("60.00"))
    assert balance(company_account(cast.a.company, AccountKind.CASH)) == D("146.40")
    refund_credit(
        house=cast.a.house, amount=D("60.00"), channel="bank", actor=company, reason="moving"
    )
    assert balance(account) == D("0.00")
    assert balance(company_account(cast.a.company, AccountKind.BANK)) == D("-60.00")
    with translation.override("en"), pytest.raises(ValidationError, match=r"At most 0\.00 "):
        refund_credit(
            house=cast.a.house, amount=D("0.01"), channel="cash", actor=company, reason="x"
        )
    with pytest.raises(PermissionDenied):
        refund_credit(
            house=cast.a.house,
            amount=D("1.00"),
            channel="cash",
            actor=cast.users["outsider"],
            reason="x",
        )
    assert AuditEvent.objects.filter(action="payment.refunded").count() == 2
    assert checks.first_discrepancy() is None


def test_refund_without_any_account_names_zero(cast):
    with translation.override("en"), pytest.raises(ValidationError, match=r"At most 0\.00 "):
        refund_credit(
            house=cast.a.house,
            amount=D("1.00"),
            channel="cash",
            actor=cast.users[Role.COMPANY],
            reason="x",
        )
    assert Account.objects.filter(kind=AccountKind.HOUSEHOLD).count() == 0


# --- record_payments ------------------------------------------------------------------------


def row(house, amount, reference, channel=Channel.BANK, **extra):
    return PaymentRow(house=house, amount=D(amount), channel=channel, reference=reference, **extra)


def test_batch_posts_allocates_and_numbers_like_single_payments(cast, billed):
    jan, feb = billed
    neighbour_jan = bill(cast.a.neighbour_house, JAN)  # 60.00 × 0.50 = 30.00
    single = pay(cast, "10.00", reference="DESK-1")
    receipts = record_payments(
        company=cast.a.company,
        rows=[
            row(cast.a.house, "40.00", "B-1", received_on=datetime.date(2026, 3, 2)),
            row(cast.a.neighbour_house, "45.00", "B-2", channel=Channel.POS),
            row(cast.a.house, "50.00", "B-3", note="bank statement line 3"),
        ],
        actor=cast.users[Role.COMPANY],
    )
    code = cast.a.company.code
    assert [r.number for r in receipts] == [f"{code}-0000000{n}" for n in (2, 3, 4)]
    assert single.number == f"{code}-00000001"
    # 10 + 40 + 50 = 100 on house a: January and February (86.40), 13.60 left as credit.
    assert paid(jan, feb, neighbour_jan) == [D("43.20"), D("43.20"), D("30.00")]
    assert unallocated_credit(household_account(cast.a.house)) == D("13.60")
    assert unallocated_credit(household_account(cast.a.neighbour_house)) == D("15.00")
    assert balance(company_account(cast.a.company, AccountKind.BANK)) == D("90.00")
    assert balance(company_account(cast.a.company, AccountKind.POS)) == D("45.00")
    first = receipts[0].payment
    assert (first.received_on, first.received_by, first.account) == (
        datetime.date(2026, 3, 2),
        cast.users[Role.COMPANY],
        household_account(cast.a.house),
    )
    assert receipts[2].payment.note == "bank statement line 3"
    # Each payment's allocation names the payment, as the single path does.
    assert (
        JournalEntry.objects.filter(kind=EntryKind.ALLOCATION, payment__isnull=False).count() == 4
    )
    event = AuditEvent.objects.get(action="payments.recorded")
    assert event.changes["payments"] == 3
    assert event.changes["total"] == "135.00"
    assert checks.first_discrepancy() is None


def test_batch_rerun_returns_the_same_receipts_and_credits_nothing(cast, billed):
    rows = [row(cast.a.house, "20.00", "B-1"), row(cast.a.neighbour_house, "5.00", "B-2")]
    first = record_payments(company=cast.a.company, rows=rows, actor=None)
    before = written()
    again = record_payments(
        company=cast.a.company,
        rows=[*rows, row(cast.a.house, "20.00", "B-1")],  # also repeated within the batch
        actor=None,
    )
    assert [r.number for r in again] == [first[0].number, first[1].number, first[0].number]
    assert written() == before
    mixed = record_payments(
        company=cast.a.company, rows=[rows[0], row(cast.a.house, "1.00", "B-3")], actor=None
    )
    assert [r.number for r in mixed] == [first[0].number, f"{cast.a.company.code}-00000003"]
    assert checks.first_discrepancy() is None


def test_batch_with_any_bad_row_writes_nothing_and_names_every_row(cast, billed):
    record_payments(company=cast.a.company, rows=[row(cast.a.house, "20.00", "OLD")], actor=None)
    before = written()
    rows = [
        row(cast.a.house, "20.00", "OK-1"),
        row(cast.a.house, "0", "BAD-AMOUNT"),
        row(cast.a.house, "21.00", "OLD"),
        row(cast.b.house, "1.00", "OTHER-COMPANY"),
        row(cast.a.neighbour_house, "1.00", "TWICE"),
        row(cast.a.house, "2.00", "TWICE"),
        row(cast.a.house, "600.00", "TOO-MUCH"),  # 86.40 - 20 - 20 owed + 518.40 = 564.80
        row(cast.a.house, "1.00", "", channel="cheque"),
    ]
    with translation.override("en"), pytest.raises(PaymentRowsError) as error:
        record_payments(company=cast.a.company, rows=rows, actor=None)
    company = cast.a.company.name
    assert error.value.rows == [
        (1, "amount", "Enter a positive amount in yuan with at most two decimal places."),
        (
            2,
            "reference",
            "The reference OLD was already used for another house or amount (receipt "
            f"{cast.a.company.code}-00000001); check the reference.",
        ),
        (3, "house", f"This house is not served by {company}."),
        (5, "reference", "The reference TWICE is also on row 5."),
        (
            6,
            "amount",
            "At most 564.80 may be paid now: what is owed plus 12 months ahead "
            "(Zhengzhou regulation art. 42).",
        ),
        (7, "channel", "Choose how it was paid: cash, bank transfer, POS card or online."),
        (7, "reference", "This field is required."),
    ]
    assert error.value.message_dict["rows"][0] == (
        "Row 2, amount: Enter a positive amount in yuan with at most two decimal places."
    )
    assert written() == before


def test_batch_needs_the_company(cast, billed):
    rows = [row(cast.a.house, "20.00", "B-1")]
    for actor in (
        cast.users["outsider"],
        cast.users[Role.STREET],
        cast.users[Role.RESIDENT],
        user_with(Role.COMPANY, cast.b.company, "company_b"),
    ):
        with pytest.raises(PermissionDenied):
            record_payments(company=cast.a.company, rows=rows, actor=actor)
    assert Payment.objects.count() == 0


def test_batch_after_a_reversed_refunded_payment_matches_a_single_payment(cast, billed):
    jan, _feb = billed
    company = cast.users[Role.COMPANY]
    receipt = pay(cast, "100.00")  # pays January and February, 13.60 credit
    refund_credit(house=cast.a.house, amount=D("13.60"), channel="cash", actor=company, reason="x")
    reverse_payment(payment=receipt.payment, actor=company, reason="bounced")
    account = household_account(cast.a.house)
    # The bills owe again, and the refunded 13.60 is owed too (no bill carries it).
    assert (balance(account), unallocated_credit(account)) == (D("100.00"), D("-13.60"))
    record_payments(company=cast.a.company, rows=[row(cast.a.house, "20.00", "B-1")], actor=None)
    # 13.60 settles what was refunded, 6.40 goes to January.
    assert (balance(account), unallocated_credit(account)) == (D("80.00"), D("0.00"))
    assert paid(jan) == [D("6.40")]
    assert checks.first_discrepancy() is None


def test_batch_writes_a_fixed_number_of_queries(cast):
    posted_scheme(cast.a.compound, rate="0.50")
    houses = [HouseFactory(building=cast.a.building) for _ in range(12)]
    for house in houses:
        bill(house, JAN)
        bill(house, FEB)
    houses = list(House.objects.filter(pk__in=[h.pk for h in houses]).order_by("pk"))

    def count(batch, prefix):
        rows = [row(house, "50.00", f"{prefix}-{n}") for n, house in enumerate(batch)]
        with CaptureQueriesContext(connection) as queries:
            record_payments(company=cast.a.company, rows=rows, actor=None)
        return len(queries)

    count(houses[:1], "W")  # opens the clearing account and the receipt counter
    assert count(houses[1:3], "S") == count(houses[3:], "L")
    assert checks.first_discrepancy() is None


def test_an_earlier_partys_closed_account_may_pay_its_arrears_only(cast, billed):
    company = cast.users[Role.COMPANY]
    old = household_account(cast.a.house)
    new = settle_account(
        house=cast.a.house, holder=None, on=datetime.date(2026, 2, 15), actor=company
    )
    old.refresh_from_db()
    assert payment_ceiling(cast.a.house, account=old) == D("86.40")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        take_payment(
            house=cast.a.house,
            amount=D("86.41"),
            channel="cash",
            reference="OLD-1",
            actor=company,
            account=old,
        )
    assert english_messages(error, "amount") == [
        "At most 86.40 may be paid now: what is owed plus 12 months ahead "
        "(Zhengzhou regulation art. 42)."
    ]
    receipt = take_payment(
        house=cast.a.house,
        amount=D("86.40"),
        channel="cash",
        reference="OLD-1",
        actor=company,
        account=old,
    )
    assert receipt.payment.account == old
    assert (balance(old), balance(new)) == (D("0.00"), D("0.00"))
    assert paid(*billed) == [D("43.20"), D("43.20")]
    with pytest.raises(ValidationError) as error:
        take_payment(
            house=cast.a.neighbour_house,
            amount=D("1.00"),
            channel="cash",
            reference="OLD-2",
            actor=company,
            account=old,
        )
    assert list(error.value.message_dict) == ["account"]
    assert checks.first_discrepancy() is None


def test_batch_opens_a_missing_account_on_the_first_day_paid(cast):
    posted_scheme(cast.a.compound, rate="0.50")  # the neighbour: 30.00 a month, 360.00 a year
    record_payments(
        company=cast.a.company,
        rows=[
            row(cast.a.neighbour_house, "30.00", "B-1", received_on=datetime.date(2026, 3, 2)),
            row(cast.a.neighbour_house, "30.00", "B-2", received_on=datetime.date(2026, 2, 10)),
        ],
        actor=None,
    )
    account = household_account(cast.a.neighbour_house)
    assert (account.opened_on, unallocated_credit(account)) == (
        datetime.date(2026, 2, 10),
        D("60.00"),
    )
    assert checks.first_discrepancy() is None
