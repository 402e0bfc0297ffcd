import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone, translation

from laoyuan.accounts.enums import Role
from laoyuan.accounts.tests.test_security import import_settings
from laoyuan.billing import checks
from laoyuan.billing.enums import OnlineOrderStatus
from laoyuan.billing.models import JournalEntry, OnlineOrder, Payment, Receipt
from laoyuan.billing.services.ledger import balance, household_account
from laoyuan.billing.services.online import (
    CallbackRefused,
    InvalidSignature,
    PaymentFailed,
    SimulatorProvider,
    create_online_order,
    get_provider,
    handle_callback,
    pay_url,
    simulate_payment,
)
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.billing.tests.test_payments_concurrency import race
from laoyuan.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(cast):
    """House A owes January and February: 86.40."""
    posted_scheme(cast.a.compound)
    bill(cast.a.house, datetime.date(2026, 1, 1))
    bill(cast.a.house, datetime.date(2026, 2, 1))
    return cast


def order_for(cast, amount="86.40", who=Role.RESIDENT):
    return create_online_order(house=cast.a.house, amount=Decimal(amount), actor=cast.users[who])


def signed(body: dict) -> tuple[bytes, str]:
    raw = json.dumps(body).encode()
    provider = get_provider()
    assert isinstance(provider, SimulatorProvider)
    return raw, provider.sign(raw)


def nothing_credited(cast, order):
    order.refresh_from_db()
    assert (order.status, order.payment) == (OnlineOrderStatus.CREATED, None)
    assert Payment.objects.count() == 0
    assert balance(household_account(cast.a.house)) == Decimal("86.40")


def test_resident_pays_online_through_the_simulator(owing):
    cast = owing
    order = order_for(cast)
    assert order.out_trade_no.startswith("SIM-") and len(order.out_trade_no) == 36
    assert (order.amount, order.company, order.provider, order.status) == (
        Decimal("86.40"),
        cast.a.company,
        "simulator",
        OnlineOrderStatus.CREATED,
    )
    assert pay_url(order) == f"/billing/online/simulator/{order.out_trade_no}/"
    body, signature = simulate_payment(order)
    receipt = handle_callback(body=body, signature=signature)
    order.refresh_from_db()
    assert (order.status, order.payment) == (OnlineOrderStatus.PAID, receipt.payment)
    payment = receipt.payment
    assert (payment.channel, payment.reference, payment.amount, payment.received_by) == (
        "online",
        order.out_trade_no,
        Decimal("86.40"),
        None,
    )
    assert balance(household_account(cast.a.house)) == Decimal("0.00")
    assert AuditEvent.objects.filter(action="online_order.paid", target_id=order.pk).count() == 1
    assert checks.first_discrepancy() is None


def test_a_repeated_callback_returns_the_same_receipt_and_credits_once(owing):
    cast = owing
    order = order_for(cast, "43.20")
    body, signature = simulate_payment(order)
    first = handle_callback(body=body, signature=signature)
    entries = JournalEntry.objects.count()
    again = handle_callback(body=body, signature=signature)
    assert again == first
    assert (Payment.objects.count(), Receipt.objects.count()) == (1, 1)
    assert JournalEntry.objects.count() == entries
    assert balance(household_account(cast.a.house)) == Decimal("43.20")
    assert checks.first_discrepancy() is None


def test_a_tampered_body_is_refused_and_writes_nothing(owing):
    cast = owing
    order = order_for(cast, "1.00")
    body, signature = simulate_payment(order)
    tampered = body.replace(b'"amount":"1.00"', b'"amount":"86.40"')
    assert tampered != body
    with pytest.raises(InvalidSignature):
        handle_callback(body=tampered, signature=signature)
    with pytest.raises(InvalidSignature):
        handle_callback(body=body, signature="0" * 64)
    with pytest.raises(InvalidSignature):
        handle_callback(body=body, signature="")
    forged = SimulatorProvider("somebody else's key").sign(body)
    with pytest.raises(InvalidSignature):
        handle_callback(body=body, signature=forged)
    order.refresh_from_db()
    assert (order.status, order.payment) == (OnlineOrderStatus.CREATED, None)
    assert Payment.objects.count() == 0
    assert balance(household_account(cast.a.house)) == Decimal("86.40")


def test_invalid_signature_is_a_validation_error_for_the_callback_view():
    assert issubclass(InvalidSignature, ValidationError)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": "86.39"}, "The callback's amount 86.39 is not the order's 86.40."),
        ({"out_trade_no": "SIM-nobody"}, "No such order."),
        ({"status": "refunded"}, "The callback's status is unknown."),
        ({"paid_at": "yesterday"}, "The callback's amount or time is malformed."),
        ({"amount": None}, "The callback lacks amount."),
    ],
)
def test_a_signed_callback_that_does_not_fit_its_order_writes_nothing(owing, change, message):
    cast = owing
    order = order_for(cast)
    fields = {
        "out_trade_no": order.out_trade_no,
        "amount": "86.40",
        "status": "paid",
        "paid_at": "2026-03-01T10:00:00+08:00",
    }
    body, signature = signed({**fields, **change})
    with translation.override("en"), pytest.raises(CallbackRefused) as refused:
        handle_callback(body=body, signature=signature)
    assert refused.value.messages == [message]
    nothing_credited(cast, order)


def test_a_body_that_is_not_json_is_refused(owing):
    body = b"out_trade_no=SIM-1&amount=1.00"
    provider = get_provider()
    assert isinstance(provider, SimulatorProvider)
    with pytest.raises(CallbackRefused):
        handle_callback(body=body, signature=provider.sign(body))
    assert Payment.objects.count() == 0


def test_a_failed_payment_marks_the_order_and_credits_nothing(owing):
    cast = owing
    order = order_for(cast)
    body, signature = simulate_payment(order, status="failed")
    with pytest.raises(PaymentFailed):
        handle_callback(body=body, signature=signature)
    order.refresh_from_db()
    assert order.status == OnlineOrderStatus.FAILED
    assert Payment.objects.count() == 0


def test_company_staff_may_start_an_online_payment(owing):
    order = order_for(owing, "10.00", who=Role.COMPANY)
    assert order.created_by == owing.users[Role.COMPANY]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.00", "Enter an amount above 0.00 in yuan and fen."),
        ("-5.00", "Enter an amount above 0.00 in yuan and fen."),
        ("1.005", "Enter an amount above 0.00 in yuan and fen."),
        # 86.40 owed plus 12 months of 43.20.
        (
            "604.81",
            "At most 604.80 may be paid now: what is owed plus 12 months ahead (Zhengzhou "
            "regulation art. 42).",
        ),
    ],
)
def test_an_order_beyond_the_rules_is_refused(owing, amount, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        order_for(owing, amount)
    assert refused.value.message_dict == {"amount": [message]}
    assert OnlineOrder.objects.count() == 0


def test_no_order_without_a_provider(owing, settings):
    settings.ONLINE_PAYMENT_PROVIDER = ""
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        order_for(owing, "10.00")
    assert refused.value.messages == ["Online payment is not available; please pay at the desk."]
    assert OnlineOrder.objects.count() == 0


def test_the_ceiling_itself_may_be_paid(owing):
    assert order_for(owing, "604.80").amount == Decimal("604.80")


@pytest.mark.parametrize("who", ["outsider", Role.STREET, Role.COMMITTEE, "neighbour"])
def test_only_the_household_or_its_company_starts_an_order(owing, who):
    cast = owing
    if who == "neighbour":
        # The resident of house A may not pay the neighbour's house.
        with pytest.raises(PermissionDenied):
            create_online_order(
                house=cast.a.neighbour_house,
                amount=Decimal("10.00"),
                actor=cast.users[Role.RESIDENT],
            )
    else:
        with pytest.raises(PermissionDenied):
            order_for(cast, "10.00", who=who)
    assert OnlineOrder.objects.count() == 0


def test_settings_require_the_simulator_secret_outside_debug():
    base = {
        "SECRET_KEY": "s" * 50,
        "ID_NUMBER_KEY": "k" * 44,
        "ID_HASH_KEY": "h" * 32,
        "SMS_BACKEND": "provider.sms.Backend",
    }
    refused = import_settings(**base, ONLINE_PAYMENT_PROVIDER="simulator")
    assert refused.returncode != 0
    assert "ONLINE_SIMULATOR_SECRET must be set" in refused.stderr
    started = import_settings(
        **base, ONLINE_PAYMENT_PROVIDER="simulator", ONLINE_SIMULATOR_SECRET="x" * 32
    )
    assert started.returncode == 0, started.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL to race")
@pytest.mark.django_db(transaction=True)
def test_concurrent_callbacks_credit_once(owing):
    cast = owing
    order = order_for(cast)
    body, signature = simulate_payment(order)
    results = race([lambda: handle_callback(body=body, signature=signature) for _ in range(4)])
    assert all(isinstance(result, Receipt) for result in results), results
    assert len({result.pk for result in results}) == 1
    assert Payment.objects.count() == 1
    assert balance(household_account(cast.a.house)) == Decimal("0.00")
    assert checks.first_discrepancy() is None


def test_the_payment_is_dated_by_the_providers_clock_never_after_today(owing):
    cast = owing
    early, late = order_for(cast, "10.00"), order_for(cast, "20.00")
    for order, paid_at in ((early, "2026-03-01T23:30:00+00:00"), (late, "2099-01-01T08:00:00")):
        body, signature = signed(
            {
                "out_trade_no": order.out_trade_no,
                "amount": f"{order.amount:.2f}",
                "status": "paid",
                "paid_at": paid_at,
            }
        )
        handle_callback(body=body, signature=signature)
    # 23:30 UTC on 1 March is 07:30 on 2 March in Shanghai.
    assert Payment.objects.get(reference=early.out_trade_no).received_on == datetime.date(
        2026, 3, 2
    )
    assert Payment.objects.get(reference=late.out_trade_no).received_on == timezone.localdate()


def test_money_the_provider_took_is_credited_even_if_the_ceiling_fell_meanwhile(owing):
    cast = owing
    order = order_for(cast, "604.80")  # the whole ceiling: 86.40 owed + 12 × 43.20
    take_payment(
        house=cast.a.house,
        amount=Decimal("86.40"),
        channel="cash",
        reference="DESK-1",
        actor=cast.users[Role.COMPANY],
    )
    body, signature = simulate_payment(order)
    receipt = handle_callback(body=body, signature=signature)
    assert receipt.payment.amount == Decimal("604.80")
    assert balance(household_account(cast.a.house)) == Decimal("-604.80")
    assert checks.first_discrepancy() is None


def test_orders_waiting_for_their_callback_count_against_the_ceiling(owing):
    cast = owing
    order_for(cast, "604.80")
    with pytest.raises(ValidationError) as refused:
        order_for(cast, "0.01")
    assert refused.value.message_dict["amount"] == [
        "At most 0.00 may be paid now: what is owed plus 12 months ahead "
        "(Zhengzhou regulation art. 42)."
    ]
    assert OnlineOrder.objects.count() == 1
