"""Concurrent payments on PostgreSQL: real row locks and unique keys, several connections at once.

SQLite serialises every write, so these run only on PostgreSQL
(``DATABASE_URL=postgres://... pytest laoyuan/billing/tests/test_payments_concurrency.py``).
"""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.models import Payment, Receipt, ReceiptCounter
from laoyuan.billing.services.ledger import balance, household_account
from laoyuan.billing.services.payments import PaymentRow, record_payments, take_payment
from laoyuan.billing.tests.factories import posted_scheme
from laoyuan.core.tests.locks import blocks_another
from laoyuan.factories import HouseFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL to race"
    ),
]


def race(calls):
    """Run the calls at the same moment, each in its own thread and connection; their results
    (or the exceptions they raised), in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
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
        thread.join()
    return results


def payment(house, actor, reference, amount="100.00"):
    return lambda: take_payment(
        house=house, amount=Decimal(amount), channel="bank", reference=reference, actor=actor
    )


def test_concurrent_payments_with_one_reference_credit_once(cast):
    posted_scheme(cast.a.compound)
    actor = cast.users[Role.COMPANY]
    results = race([payment(cast.a.house, actor, "BANK-42") for _ in range(4)])
    assert all(isinstance(result, Receipt) for result in results), results
    assert {result.number for result in results} == {f"{cast.a.company.code}-00000001"}
    assert Payment.objects.count() == 1
    assert balance(household_account(cast.a.house)) == Decimal("-100.00")
    assert ReceiptCounter.objects.get(company=cast.a.company).last == 1
    assert checks.first_discrepancy() is None


def test_one_reference_raced_for_two_houses_pays_one(cast):
    posted_scheme(cast.a.compound)
    actor = cast.users[Role.COMPANY]
    results = race(
        [
            payment(cast.a.house, actor, "BANK-43"),
            payment(cast.a.neighbour_house, actor, "BANK-43"),
        ]
    )
    receipts = [result for result in results if isinstance(result, Receipt)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert (len(receipts), len(refused)) == (1, 1), results
    assert list(refused[0].message_dict) == ["reference"]
    assert Payment.objects.get().house_id == receipts[0].house_id
    assert checks.first_discrepancy() is None


def test_concurrent_payments_to_one_company_are_numbered_without_gaps(cast):
    posted_scheme(cast.a.compound)
    actor = cast.users[Role.COMPANY]
    houses = [cast.a.house, cast.a.neighbour_house]
    houses += [HouseFactory(building=cast.a.building) for _ in range(4)]
    results = race([payment(house, actor, f"BANK-{n}") for n, house in enumerate(houses)])
    assert all(isinstance(result, Receipt) for result in results), results
    code = cast.a.company.code
    assert sorted(result.number for result in results) == [f"{code}-{n:08d}" for n in range(1, 7)]
    assert ReceiptCounter.objects.get(company=cast.a.company).last == 6
    assert checks.first_discrepancy() is None


def test_the_same_batch_raced_twice_records_it_once(cast):
    posted_scheme(cast.a.compound)
    rows = [
        PaymentRow(house=cast.a.house, amount=Decimal("30.00"), channel="bank", reference="S-1"),
        PaymentRow(
            house=cast.a.neighbour_house, amount=Decimal("20.00"), channel="bank", reference="S-2"
        ),
    ]
    results = race([lambda: record_payments(company=cast.a.company, rows=rows, actor=None)] * 2)
    assert all(isinstance(result, list) for result in results), results
    code = cast.a.company.code
    assert [[r.number for r in result] for result in results] == [
        [f"{code}-00000001", f"{code}-00000002"]
    ] * 2
    assert Payment.objects.count() == 2
    assert balance(household_account(cast.a.house)) == Decimal("-30.00")
    assert checks.first_discrepancy() is None


def test_concurrent_payments_in_one_compound_both_reach_its_summary(cast):
    """Two cashiers pay two houses' bills of one compound and month at the same moment: the
    month's summary row counts both (each adds in one statement; neither overwrites)."""
    import datetime

    from laoyuan.billing.models import BillSummary
    from laoyuan.billing.tests.factories import bill

    posted_scheme(cast.a.compound)
    january = datetime.date(2026, 1, 1)
    bill(cast.a.house, january)
    bill(cast.a.neighbour_house, january)
    actor = cast.users[Role.COMPANY]
    results = race(
        [
            payment(cast.a.house, actor, "BANK-S1", "43.20"),
            payment(cast.a.neighbour_house, actor, "BANK-S2", "30.00"),
        ]
    )
    assert all(isinstance(result, Receipt) for result in results), results
    summary = BillSummary.objects.get(compound=cast.a.compound, period=january)
    assert (summary.amount, summary.paid) == (Decimal("73.20"), Decimal("73.20"))
    assert checks.first_discrepancy() is None


def test_a_desk_payment_and_a_batch_in_one_compound_never_deadlock(cast):
    """A desk payment and an imported batch of one company, paying bills of the same compound
    and month, raced month after month: both lock the account, then the receipt counter, then
    the month's summary, so neither ever waits on the other in a cycle (PostgreSQL would break
    one with a deadlock error)."""
    import datetime

    from laoyuan.billing.models import BillSummary
    from laoyuan.billing.tests.factories import bill

    posted_scheme(cast.a.compound)
    actor = cast.users[Role.COMPANY]
    for month in range(1, 9):
        period = datetime.date(2026, month, 1)
        bill(cast.a.house, period)
        bill(cast.a.neighbour_house, period)
        row = PaymentRow(
            house=cast.a.neighbour_house,
            amount=Decimal("30.00"),
            channel="bank",
            reference=f"BATCH-{month}",
        )
        results = race(
            [
                payment(cast.a.house, actor, f"DESK-{month}", "43.20"),
                lambda row=row: record_payments(company=cast.a.company, rows=[row], actor=actor),
            ]
        )
        assert isinstance(results[0], Receipt), results
        assert isinstance(results[1], list), results
        summary = BillSummary.objects.get(compound=cast.a.compound, period=period)
        assert (summary.amount, summary.paid) == (Decimal("73.20"), Decimal("73.20"))
    assert ReceiptCounter.objects.get(company=cast.a.company).last == 16
    assert checks.first_discrepancy() is None


def test_a_reversal_waits_for_the_company_receipt_counter(cast):
    """A reversal moves its bills' summaries only while it holds the company's receipt counter,
    as every payment path does: here it waits for a transaction holding the counter (a batch
    mid-way) and goes on once that commits."""

    from django.db import transaction

    from laoyuan.billing.services.payments import reverse_payment
    from laoyuan.billing.services.receipts import lock_counter

    posted_scheme(cast.a.compound)
    cashier = cast.users[Role.COMPANY]
    receipt = payment(cast.a.house, cashier, "BANK-77")()
    holding, released = threading.Event(), threading.Event()
    finished: list[bool] = []
    waited: list[bool] = []

    def hold() -> None:
        try:
            with transaction.atomic():
                lock_counter(cast.a.company)
                holding.set()
                waited.append(blocks_another())
                released.set()
        finally:
            connection.close()

    def reverse() -> None:
        try:
            holding.wait(30)
            reverse_payment(payment=receipt.payment, actor=cashier, reason="bounced transfer")
            finished.append(released.is_set())
        finally:
            connection.close()

    threads = [threading.Thread(target=hold), threading.Thread(target=reverse)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # The reversal finished, and only after the counter's holder had let it go.
    assert finished == [True] and waited == [True]
    assert balance(household_account(cast.a.house)) == Decimal("0.00")
    assert checks.first_discrepancy() is None
