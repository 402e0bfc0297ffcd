import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from laoyuan.accounts.enums import Role
from laoyuan.billing import checks
from laoyuan.billing.enums import AccountKind
from laoyuan.billing.models import Account
from laoyuan.billing.services.accounts import settle_account
from laoyuan.billing.services.ledger import balance, household_account
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.core.models import AuditEvent
from laoyuan.factories import PersonFactory
from laoyuan.people.models import Residency

pytestmark = pytest.mark.django_db

JAN, FEB, MAR, APR = (datetime.date(2026, m, 1) for m in (1, 2, 3, 4))


@pytest.fixture
def billed(cast):
    """House A billed January and February (43.20 each), January paid: 43.20 owed."""
    posted_scheme(cast.a.compound)
    bill(cast.a.house, JAN)
    bill(cast.a.house, FEB)
    take_payment(
        house=cast.a.house,
        amount=Decimal("43.20"),
        channel="cash",
        reference="R-1",
        actor=cast.users[Role.COMPANY],
        received_on=datetime.date(2026, 1, 20),
    )
    return cast


def new_owner(house):
    person = PersonFactory(name="新业主", phone="13700001111")
    Residency.objects.create(person=person, house=house, compound=house.compound, role="owner")
    return person


def test_settlement_leaves_the_old_balance_and_starts_the_new_party_clean(billed):
    cast = billed
    house = cast.a.house
    old = household_account(house)
    buyer = new_owner(house)
    new = settle_account(
        house=house, holder=buyer, on=datetime.date(2026, 2, 15), actor=cast.users[Role.COMPANY]
    )
    old.refresh_from_db()
    assert (old.closed_on, balance(old)) == (datetime.date(2026, 2, 15), Decimal("43.20"))
    assert (new.holder, new.opened_on, new.closed_on) == (buyer, datetime.date(2026, 2, 15), None)
    assert balance(new) == Decimal("0.00")
    assert household_account(house) == new
    # Bills issued afterwards go to the new account; the old arrears stay where they were.
    march = bill(house, MAR)
    assert march.account_id == new.pk
    assert (balance(new), balance(old)) == (Decimal("43.20"), Decimal("43.20"))
    assert [b.period for b in old.bills.order_by("period")] == [JAN, FEB]
    event = AuditEvent.objects.get(action="account.settled")
    assert event.changes == {
        "house": house.pk,
        "closed_account": old.pk,
        "closed_balance": "43.20",
        "new_account": new.pk,
        "holder": buyer.pk,
    }
    assert checks.first_discrepancy() is None


def test_the_old_arrears_stay_payable_on_the_closed_account(billed):
    cast = billed
    house = cast.a.house
    old = household_account(house)
    new = settle_account(
        house=house, holder=None, on=datetime.date(2026, 2, 15), actor=cast.users[Role.COMPANY]
    )
    bill(house, MAR)
    receipt = take_payment(
        house=house,
        amount=Decimal("43.20"),
        channel="bank",
        reference="OLD-1",
        actor=cast.users[Role.COMPANY],
        account=old,
    )
    assert receipt.payment.account == old
    assert (balance(old), balance(new)) == (Decimal("0.00"), Decimal("43.20"))
    assert old.bills.get(period=FEB).paid == Decimal("43.20")
    assert checks.first_discrepancy() is None


def test_street_office_settles_and_a_house_without_account_gets_one(cast):
    house = cast.a.neighbour_house
    new = settle_account(
        house=house, holder=None, on=datetime.date(2026, 3, 1), actor=cast.users[Role.STREET]
    )
    assert Account.objects.filter(kind=AccountKind.HOUSEHOLD, house=house).get() == new
    assert (new.holder, new.opened_on, balance(new)) == (None, MAR, Decimal("0.00"))


@pytest.mark.parametrize(
    ("on", "field", "message"),
    [
        (
            datetime.date(2025, 12, 31),
            "on",
            "The open account of house 1号楼-1-101 was opened on 2026-01-01; the change cannot be "
            "dated before that.",
        ),
        (
            datetime.date(2026, 2, 1),
            "on",
            "The open account already holds the bill for 2026-02, a month that starts on or "
            "after the change; correct that bill before settling.",
        ),
        (
            datetime.date(2099, 1, 1),
            "on",
            "The change of holder cannot be dated in the future.",
        ),
    ],
)
def test_settlement_refused_changes_nothing(billed, on, field, message):
    cast = billed
    old = household_account(cast.a.house)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        settle_account(house=cast.a.house, holder=None, on=on, actor=cast.users[Role.COMPANY])
    assert refused.value.message_dict == {field: [message]}
    old.refresh_from_db()
    assert old.closed_on is None
    assert Account.objects.filter(kind=AccountKind.HOUSEHOLD).count() == 1
    assert not AuditEvent.objects.filter(action="account.settled").exists()


def test_holder_must_be_registered_at_the_house(billed):
    cast = billed
    stranger = PersonFactory(name="路人", phone="13700002222")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        settle_account(
            house=cast.a.house,
            holder=stranger,
            on=datetime.date(2026, 2, 15),
            actor=cast.users[Role.COMPANY],
        )
    assert refused.value.message_dict == {
        "holder": ["Register this person at house 1号楼-1-101 first."]
    }
    assert household_account(cast.a.house).closed_on is None


@pytest.mark.parametrize("who", ["outsider", Role.RESIDENT, Role.COMMUNITY, Role.DISTRICT])
def test_only_the_company_or_street_settles(billed, who):
    cast = billed
    with pytest.raises(PermissionDenied):
        settle_account(
            house=cast.a.house, holder=None, on=datetime.date(2026, 2, 15), actor=cast.users[who]
        )
    assert Account.objects.filter(kind=AccountKind.HOUSEHOLD).count() == 1
    assert household_account(cast.a.house).closed_on is None


def test_the_new_resident_never_reads_the_earlier_partys_money(billed):
    from laoyuan.billing.models import Bill, Payment, Receipt
    from laoyuan.factories import as_user, user_with

    cast = billed
    receipt = Receipt.objects.get()
    settle_account(
        house=cast.a.house,
        holder=new_owner(cast.a.house),
        on=datetime.date(2026, 2, 15),
        actor=cast.users[Role.COMPANY],
    )
    bill(cast.a.house, MAR)
    newcomer = user_with(Role.RESIDENT, cast.a.house, "newowner")
    client = as_user(newcomer)
    assert client.get(f"/api/v1/receipts/{receipt.number}/").status_code == 404
    assert client.get(f"/billing/my/receipts/{receipt.number}/").status_code == 404
    from laoyuan.accounts.scoping import scoped

    assert list(scoped(Bill.objects.all(), newcomer).values_list("period", flat=True)) == [MAR]
    assert not scoped(Payment.objects.all(), newcomer).exists()
    # The company still reads the closed account's rows.
    company = cast.users[Role.COMPANY]
    assert scoped(Bill.objects.all(), company).count() == 3
    assert as_user(company).get(f"/api/v1/receipts/{receipt.number}/").status_code == 200
