import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import Channel
from laoyuan.billing.models import Receipt, ReceiptCounter
from laoyuan.billing.services.payments import (
    PaymentRow,
    record_payments,
    reverse_payment,
    take_payment,
)
from laoyuan.billing.services.receipts import ReceiptLine, receipt_lines
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import user_with

pytestmark = pytest.mark.django_db

D = Decimal
MONTHS = [datetime.date(2026, m, 1) for m in range(1, 13)]
JAN, FEB, MAR, APR = MONTHS[:4]


def pay(house, amount, reference, actor):
    return take_payment(
        house=house, amount=D(amount), channel=Channel.CASH, reference=reference, actor=actor
    )


def test_receipts_are_numbered_without_gaps_per_company(cast):
    posted_scheme(cast.a.compound)
    posted_scheme(cast.b.compound)
    company_a = cast.users[Role.COMPANY]
    company_b = user_with(Role.COMPANY, cast.b.company, "company_b")
    numbers = [
        pay(cast.a.house, "10.00", "A-1", company_a).number,
        pay(cast.b.house, "10.00", "B-1", company_b).number,
        pay(cast.a.neighbour_house, "10.00", "A-2", company_a).number,
    ]
    # A refused payment takes no number.
    with translation.override("en"), pytest.raises(ValidationError, match="At most"):
        pay(cast.a.house, "9999.00", "A-3", company_a)
    numbers += [
        r.number
        for r in record_payments(
            company=cast.a.company,
            rows=[
                PaymentRow(house=cast.a.house, amount=D("1.00"), channel="bank", reference="A-4"),
                PaymentRow(house=cast.a.house, amount=D("2.00"), channel="bank", reference="A-5"),
            ],
            actor=None,
        )
    ]
    numbers.append(pay(cast.b.house, "10.00", "B-2", company_b).number)
    a, b = cast.a.company.code, cast.b.company.code
    assert numbers == [
        f"{a}-00000001",
        f"{b}-00000001",
        f"{a}-00000002",
        f"{a}-00000003",
        f"{a}-00000004",
        f"{b}-00000002",
    ]
    assert list(
        Receipt.objects.filter(company=cast.a.company).values_list("sequence", flat=True)
    ) == [1, 2, 3, 4]
    assert dict(ReceiptCounter.objects.values_list("company_id", "last")) == {
        cast.a.company.pk: 4,
        cast.b.company.pk: 2,
    }
    assert Receipt.objects.get(number=f"{a}-00000002").house == cast.a.neighbour_house
    assert checks.first_discrepancy() is None


@pytest.fixture
def trial(cast):
    """Two trial months (January, February) then March and April billed at 43.20."""
    posted_scheme(cast.a.compound, effective_from=JAN, trial_months=2)
    return [bill(cast.a.house, period) for period in (JAN, FEB, MAR, APR)]


def test_receipt_lists_the_months_paid_the_trial_given_and_the_credit_kept(cast, trial):
    receipt = pay(cast.a.house, "100.00", "R-1", cast.users[Role.COMPANY])
    assert receipt_lines(receipt) == [
        ReceiptLine(JAN, D("0.00"), D("0.00"), D("43.20"), True),
        ReceiptLine(FEB, D("0.00"), D("0.00"), D("43.20"), True),
        ReceiptLine(MAR, D("43.20"), D("43.20"), D("43.20"), False),
        ReceiptLine(APR, D("43.20"), D("43.20"), D("43.20"), False),
        ReceiptLine(None, D("13.60"), D("0.00"), D("0.00"), False),
    ]
    assert receipt_lines(receipt)[-1].is_credit
    assert sum(line.amount for line in receipt_lines(receipt)) == D("100.00")


def test_receipts_of_part_payments_show_what_each_paid(cast, trial):
    company = cast.users[Role.COMPANY]
    first = pay(cast.a.house, "50.00", "R-1", company)
    second = pay(cast.a.house, "50.00", "R-2", company)
    assert receipt_lines(first) == [
        ReceiptLine(JAN, D("0.00"), D("0.00"), D("43.20"), True),
        ReceiptLine(FEB, D("0.00"), D("0.00"), D("43.20"), True),
        ReceiptLine(MAR, D("43.20"), D("43.20"), D("43.20"), False),
        ReceiptLine(APR, D("6.80"), D("43.20"), D("43.20"), False),
    ]
    # The second payment finishes April; the trial was shown on the first receipt.
    assert receipt_lines(second) == [
        ReceiptLine(APR, D("36.40"), D("43.20"), D("43.20"), False),
        ReceiptLine(None, D("13.60"), D("0.00"), D("0.00"), False),
    ]


def test_a_prepayment_receipt_is_all_credit_and_a_reversed_one_keeps_its_lines(cast):
    posted_scheme(cast.a.compound)
    company = cast.users[Role.COMPANY]
    prepaid = pay(cast.a.house, "86.40", "R-1", company)
    assert receipt_lines(prepaid) == [ReceiptLine(None, D("86.40"), D("0.00"), D("0.00"), False)]
    # The next bill takes the credit; the receipt still says what it said when issued.
    bill(cast.a.house, JAN)
    assert receipt_lines(prepaid) == [ReceiptLine(None, D("86.40"), D("0.00"), D("0.00"), False)]
    bill(cast.a.house, FEB)
    bill(cast.a.house, MAR)
    paying = pay(cast.a.house, "43.20", "R-2", company)
    lines = receipt_lines(paying)
    assert lines == [ReceiptLine(MAR, D("43.20"), D("43.20"), D("43.20"), False)]
    reverse_payment(payment=paying.payment, actor=company, reason="bounced")
    assert receipt_lines(paying) == lines
    assert checks.first_discrepancy() is None


def test_a_batch_receipt_lists_its_months(cast, trial):
    receipts = record_payments(
        company=cast.a.company,
        rows=[
            PaymentRow(house=cast.a.house, amount=D("50.00"), channel="bank", reference="B-1"),
            PaymentRow(house=cast.a.house, amount=D("40.00"), channel="bank", reference="B-2"),
        ],
        actor=None,
    )
    assert [receipt_lines(r) for r in receipts] == [
        [
            ReceiptLine(JAN, D("0.00"), D("0.00"), D("43.20"), True),
            ReceiptLine(FEB, D("0.00"), D("0.00"), D("43.20"), True),
            ReceiptLine(MAR, D("43.20"), D("43.20"), D("43.20"), False),
            ReceiptLine(APR, D("6.80"), D("43.20"), D("43.20"), False),
        ],
        [
            ReceiptLine(APR, D("36.40"), D("43.20"), D("43.20"), False),
            ReceiptLine(None, D("3.60"), D("0.00"), D("0.00"), False),
        ],
    ]
