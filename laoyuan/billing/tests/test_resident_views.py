"""A resident's own bills, payments and receipts, and paying online through the simulator."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import Channel, OnlineOrderStatus
from laoyuan.billing.models import JournalEntry, OnlineOrder, Payment, Receipt
from laoyuan.billing.services.accounts import settle_account
from laoyuan.billing.services.ledger import balance, household_account
from laoyuan.billing.services.online import SIGNATURE_HEADER, simulate_payment
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.core.views import LARGE_TYPE_COOKIE
from laoyuan.factories import PASSWORD, Cast, anonymous, as_user, user_with

pytestmark = pytest.mark.django_db

JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)
BILLS_URL = "/billing/my/"


@pytest.fixture
def owing(cast: Cast) -> Cast:
    """House A (86.40 m² at 0.50): January a free trial month (worth 43.20), February and March
    owed, 86.40 in all. The neighbour's house owes February."""
    posted_scheme(cast.a.compound, effective_from=JAN, trial_months=1)
    for period in (JAN, FEB, MAR):
        bill(cast.a.house, period)
    bill(cast.a.neighbour_house, FEB)
    return cast


def pay_cash(cast: Cast, amount: str, reference: str, house=None) -> Receipt:
    return take_payment(
        house=house or cast.a.house,
        amount=Decimal(amount),
        channel=Channel.CASH,
        reference=reference,
        actor=cast.users[Role.COMPANY],
        received_on=datetime.date(2026, 3, 5),
    )


def resident(cast: Cast) -> Client:
    return as_user(cast.users[Role.RESIDENT])


def other_resident(cast: Cast) -> Client:
    """A resident of street B: the outsider of the resident pages."""
    return as_user(user_with(Role.RESIDENT, cast.b.house, "resident_b"))


def pay_url(cast: Cast) -> str:
    return reverse("billing:resident_pay", args=[cast.a.house.pk])


def nothing_paid(cast: Cast) -> None:
    assert Payment.objects.count() == 0
    assert balance(household_account(cast.a.house)) == Decimal("86.40")


# --- My bills ----------------------------------------------------------------------------------


def test_my_bills_shows_the_balance_bills_newest_first_and_the_trial(owing: Cast) -> None:
    response = resident(owing).get(BILLS_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-house="{owing.a.house.pk}"' in html
    assert f'data-house="{owing.a.neighbour_house.pk}"' not in html
    assert 'data-balance="86.40"' in html
    assert "You owe" in html
    assert '<p class="balance-figure text-danger-emphasis mb-2">86.40 yuan</p>' in html
    assert re.findall(r'data-bill="([\d-]+)"', html) == ["2026-03", "2026-02", "2026-01"]
    assert "Trial month — free (worth 43.20)" in html
    assert html.count("Not paid yet") == 2
    assert "No payments yet." in html
    assert "data-member" not in html  # months overdue: not a paying member
    assert f'href="{pay_url(owing)}"' in html
    assert "no-cache" in response["Cache-Control"]


def test_my_bills_lists_payments_with_their_receipts(owing: Cast) -> None:
    receipt = pay_cash(owing, "50.00", "CASH-1")

    html = resident(owing).get(BILLS_URL).content.decode()

    assert 'data-balance="36.40"' in html
    assert f'data-payment="{receipt.number}"' in html
    assert reverse("billing:resident_receipt", args=[receipt.number]) in html
    assert '<div class="fw-semibold money">50.00 yuan</div>' in html
    assert "2026-03-05 · Cash" in html
    # February paid in full, March partly.
    assert "Paid</span>" in html
    assert "6.80 paid so far" in html


def test_my_bills_all_paid_and_in_credit(owing: Cast) -> None:
    pay_cash(owing, "86.40", "CASH-1")
    html = resident(owing).get(BILLS_URL).content.decode()
    assert "All paid. Thank you!" in html
    assert "Paying member (缴费会员)" in html

    pay_cash(owing, "100.00", "CASH-2")
    html = resident(owing).get(BILLS_URL).content.decode()
    assert "You are in credit (paid ahead)" in html
    assert '<p class="balance-figure text-success-emphasis mb-2">100.00 yuan</p>' in html


def test_my_bills_before_any_bill(cast: Cast) -> None:
    html = resident(cast).get(BILLS_URL).content.decode()
    assert "All paid. Thank you!" in html
    assert "No bills yet." in html


def test_my_bills_in_large_type(owing: Cast) -> None:
    client = resident(owing)
    client.cookies[LARGE_TYPE_COOKIE] = "1"
    assert '<body class="large-type"' in client.get(BILLS_URL).content.decode()


def test_resident_pages_are_404_to_every_other_role(owing: Cast) -> None:
    receipt = pay_cash(owing, "43.20", "CASH-1")
    urls = [
        BILLS_URL,
        pay_url(owing),
        reverse("billing:resident_receipt", args=[receipt.number]),
    ]
    for role in [r for r in Role.values if r in owing.users and r != Role.RESIDENT]:
        client = as_user(owing.users[role])
        for url in urls:
            assert client.get(url).status_code == 404, (role, url)
    assert as_user(owing.users["outsider"]).get(BILLS_URL).status_code == 404


def test_another_resident_sees_nothing_of_house_a(owing: Cast) -> None:
    receipt = pay_cash(owing, "43.20", "CASH-1")
    client = other_resident(owing)

    html = client.get(BILLS_URL).content.decode()
    assert f'data-house="{owing.b.house.pk}"' in html
    assert f'data-house="{owing.a.house.pk}"' not in html
    assert client.get(reverse("billing:resident_receipt", args=[receipt.number])).status_code == 404
    assert client.get(pay_url(owing)).status_code == 404
    assert client.post(pay_url(owing), {"amount": "86.40"}).status_code == 404
    assert OnlineOrder.objects.count() == 0


def test_an_earlier_partys_receipts_are_not_the_new_households(owing: Cast) -> None:
    receipt = pay_cash(owing, "43.20", "CASH-1")
    settle_account(
        house=owing.a.house, holder=None, on=timezone.localdate(), actor=owing.users[Role.COMPANY]
    )
    client = resident(owing)

    assert client.get(reverse("billing:resident_receipt", args=[receipt.number])).status_code == 404
    html = client.get(BILLS_URL).content.decode()
    assert "No payments yet." in html
    assert "No bills yet." in html


def test_resident_pages_ask_anonymous_to_sign_in(owing: Cast) -> None:
    client = anonymous()
    for url in (BILLS_URL, pay_url(owing), "/billing/online/simulator/SIM-x/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url


def test_my_bills_queries_do_not_grow_with_bills_and_payments(owing: Cast) -> None:
    client = resident(owing)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(BILLS_URL).status_code == 200
        return len(queries)

    before = count()
    for month in range(4, 10):
        bill(owing.a.house, datetime.date(2026, month, 1))
    pay_cash(owing, "100.00", "CASH-1")
    pay_cash(owing, "20.00", "CASH-2")
    assert count() == before


# --- The receipt -------------------------------------------------------------------------------


def test_receipt_shows_the_months_paid_the_trial_and_the_credit(owing: Cast) -> None:
    receipt = pay_cash(owing, "100.00", "CASH-1")

    response = resident(owing).get(reverse("billing:resident_receipt", args=[receipt.number]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<strong data-number>{receipt.number}</strong>" in html
    assert 'data-amount="100.00"' in html
    lines = re.findall(r'<tr data-line="([^"]+)"', html)
    assert lines == ["2026-01", "2026-02", "2026-03", "credit"]
    assert "trial month, free" in html
    assert "<s>43.20</s> 0.00" in html
    assert '<td class="num money">13.60</td>' in html
    assert "data-print" in html
    assert "data-reversed" not in html


# --- Paying online -----------------------------------------------------------------------------


def test_pay_page_offers_what_is_owed_and_names_the_ceiling(owing: Cast) -> None:
    html = resident(owing).get(pay_url(owing)).content.decode()
    assert 'value="86.40"' in html
    # 86.40 owed plus twelve months of 43.20.
    assert 'data-ceiling="604.80"' in html
    assert "You may pay up to 604.80 yuan now" in html


def test_pay_page_without_a_scheme_offers_nothing_to_pay(cast: Cast) -> None:
    html = resident(cast).get(pay_url(cast)).content.decode()
    assert "There is nothing to pay now" in html
    assert 'name="amount"' not in html


def test_without_an_online_provider_there_is_no_pay_online(owing: Cast, settings) -> None:
    settings.ONLINE_PAYMENT_PROVIDER = ""
    client = resident(owing)
    assert pay_url(owing) not in client.get(BILLS_URL).content.decode()
    html = client.get(pay_url(owing)).content.decode()
    assert "Online payment is not available at the moment." in html
    assert 'name="amount"' not in html
    response = client.post(pay_url(owing), {"amount": "43.20"})
    assert "Online payment is not available" in response.content.decode()
    assert OnlineOrder.objects.count() == 0


def test_pay_beyond_the_ceiling_is_refused_and_writes_nothing(owing: Cast) -> None:
    response = resident(owing).post(pay_url(owing), {"amount": "604.81"})

    assert response.status_code == 200
    # The refusal names the maximum and the rule, on the amount field.
    html = response.content.decode()
    error = re.search(r'<div class="invalid-feedback" id="amount-error">([^<]+)</div>', html)
    assert error is not None
    assert error.group(1).startswith("At most 604.80 ")
    assert "12 months ahead" in error.group(1)
    assert OnlineOrder.objects.count() == 0
    nothing_paid(owing)


def test_pay_a_bad_amount_is_refused(owing: Cast) -> None:
    for amount in ("0", "-5", "abc", "1.234"):
        response = resident(owing).post(pay_url(owing), {"amount": amount})
        assert response.status_code == 200, amount
        assert "is-invalid" in response.content.decode(), amount
    assert OnlineOrder.objects.count() == 0


def test_pay_online_through_the_simulator_to_the_receipt(owing: Cast) -> None:
    client = resident(owing)

    response = client.post(pay_url(owing), {"amount": "86.40"})
    order = OnlineOrder.objects.get()
    simulator = f"/billing/online/simulator/{order.out_trade_no}/"
    assert response.status_code == 302
    assert response["Location"] == simulator
    assert (order.amount, order.house, order.status) == (
        Decimal("86.40"),
        owing.a.house,
        OnlineOrderStatus.CREATED,
    )

    page = client.get(simulator).content.decode()
    assert "Test payment page (simulator)" in page
    assert "No real money moves." in page
    assert "Pay 86.40 yuan" in page
    nothing_paid(owing)

    response = client.post(simulator, {"pay": ""})
    receipt = Receipt.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:resident_receipt", args=[receipt.number])
    assert (receipt.payment.amount, receipt.payment.channel) == (Decimal("86.40"), "online")
    assert balance(household_account(owing.a.house)) == Decimal("0.00")
    html = client.get(response["Location"]).content.decode()
    assert "Paid. Thank you! Here is your receipt." in html
    assert "Online" in html

    # Pressing Pay again (or going back) pays nothing more: it shows the receipt.
    again = client.post(simulator, {"pay": ""})
    assert again["Location"] == response["Location"]
    assert Payment.objects.count() == 1
    assert checks.first_discrepancy() is None


def test_cancel_on_the_simulator_pays_nothing(owing: Cast) -> None:
    client = resident(owing)
    client.post(pay_url(owing), {"amount": "43.20"})
    order = OnlineOrder.objects.get()
    simulator = reverse("billing:resident_simulator", args=[order.out_trade_no])

    response = client.post(simulator, {"cancel": ""})

    assert response.status_code == 302
    assert response["Location"] == BILLS_URL
    order.refresh_from_db()
    assert order.status == OnlineOrderStatus.FAILED
    nothing_paid(owing)
    assert "The payment was cancelled. Nothing was paid." in client.get(BILLS_URL).content.decode()
    page = client.get(simulator).content.decode()
    assert 'data-status="failed"' in page
    client.post(simulator, {"pay": ""})
    nothing_paid(owing)


def test_simulator_of_another_household_is_404(owing: Cast) -> None:
    resident(owing).post(pay_url(owing), {"amount": "43.20"})
    order = OnlineOrder.objects.get()
    simulator = reverse("billing:resident_simulator", args=[order.out_trade_no])
    for client in (other_resident(owing), as_user(owing.users[Role.COMPANY])):
        assert client.get(simulator).status_code == 404
        assert client.post(simulator, {"pay": ""}).status_code == 404
    nothing_paid(owing)


def test_simulator_is_gone_when_a_real_provider_is_configured(owing: Cast, settings) -> None:
    resident(owing).post(pay_url(owing), {"amount": "43.20"})
    order = OnlineOrder.objects.get()
    settings.ONLINE_PAYMENT_PROVIDER = "wechat"
    simulator = reverse("billing:resident_simulator", args=[order.out_trade_no])
    assert resident(owing).post(simulator, {"pay": ""}).status_code == 404
    nothing_paid(owing)


# --- The provider's callback -------------------------------------------------------------------


def callback(body: bytes, signature: str):
    # A provider's server has no session and no CSRF token.
    client = Client(enforce_csrf_checks=True)
    return client.post(
        "/billing/online/callback/",
        body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: signature},
    )


def test_callback_with_a_bad_signature_is_400_and_writes_nothing(owing: Cast) -> None:
    resident(owing).post(pay_url(owing), {"amount": "86.40"})
    order = OnlineOrder.objects.get()
    body, signature = simulate_payment(order)
    entries = JournalEntry.objects.count()

    for bad in ("0" * 64, "", signature[:-1] + ("0" if signature[-1] != "0" else "1")):
        response = callback(body, bad)
        assert response.status_code == 400
        assert response.content == b"fail"
    tampered = body.replace(b'"amount":"86.40"', b'"amount":"1.00"')
    assert callback(tampered, signature).status_code == 400

    order.refresh_from_db()
    assert (order.status, order.payment) == (OnlineOrderStatus.CREATED, None)
    assert JournalEntry.objects.count() == entries
    nothing_paid(owing)


def test_repeated_callback_pays_once(owing: Cast) -> None:
    resident(owing).post(pay_url(owing), {"amount": "86.40"})
    order = OnlineOrder.objects.get()
    body, signature = simulate_payment(order)

    first = callback(body, signature)
    second = callback(body, signature)

    assert (first.status_code, first.content) == (200, b"success")
    assert (second.status_code, second.content) == (200, b"success")
    assert Payment.objects.count() == 1
    assert Receipt.objects.count() == 1
    assert balance(household_account(owing.a.house)) == Decimal("0.00")
    order.refresh_from_db()
    assert order.status == OnlineOrderStatus.PAID
    # The resident coming back from the provider's page finds the receipt.
    simulator = reverse("billing:resident_simulator", args=[order.out_trade_no])
    response = resident(owing).get(simulator)
    assert response["Location"] == reverse(
        "billing:resident_receipt", args=[Receipt.objects.get().number]
    )


def test_callback_answers_get_with_405(owing: Cast) -> None:
    assert anonymous().get("/billing/online/callback/").status_code == 405


# --- In a real browser -------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_resident_pays_online_on_a_phone_in_large_type(browser_page, live_server, owing) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 390, "height": 844})
    page.context.add_cookies(
        [
            {"name": "django_language", "value": "en", "url": live_server.url},
            {"name": LARGE_TYPE_COOKIE, "value": "1", "url": live_server.url},
        ]
    )
    page.goto(f"{live_server.url}/accounts/login/?next={BILLS_URL}")
    page.fill("input[name=username]", owing.users[Role.RESIDENT].username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{BILLS_URL}")
    assert page.locator("body").get_attribute("class") == "large-type"
    assert page.locator(".balance-figure").inner_text() == "86.40 yuan"
    # The balance fits the phone's width on one line.
    box = page.locator(".balance-figure").bounding_box()
    assert box is not None and box["width"] <= 390
    page.screenshot(path="test-artifacts/resident-bills-phone.png", full_page=True)

    page.get_by_role("link", name="Pay online").click()
    assert page.locator("input[name=amount]").input_value() == "86.40"
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url("**/billing/online/simulator/**")
    assert "No real money moves." in page.content()
    page.get_by_role("button", name="Pay 86.40 yuan").click()
    page.wait_for_url("**/billing/my/receipts/**")
    assert page.locator("[data-amount]").inner_text() == "86.40 yuan"
    page.screenshot(path="test-artifacts/resident-receipt-phone.png", full_page=True)
    assert Payment.objects.get().amount == Decimal("86.40")
    assert errors == []
