"""The demo's money at a small scale: the seed's schemes, a year of bills and payments, and books
that balance."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from laoyuan.billing import checks
from laoyuan.billing.enums import SchemeBasis
from laoyuan.billing.models import Bill, FeeScheme, Payment, Receipt
from laoyuan.billing.queries import collection
from laoyuan.demo.billing import HOUSEHOLD_TIERS, PUBLIC_AREA_RATE
from laoyuan.demo.tests.test_seed_demo import seed
from laoyuan.places.enums import ManagementMode, OpenSpace
from laoyuan.places.models import Compound, House

pytestmark = pytest.mark.django_db

FIRST, LAST = datetime.date(2025, 12, 1), datetime.date(2026, 11, 1)


def test_demo_schemes_follow_the_seed() -> None:
    seed()
    with_company = Compound.objects.filter(company__isnull=False)
    assert FeeScheme.objects.count() == with_company.count() > 0
    for scheme in FeeScheme.objects.select_related("compound"):
        compound = scheme.compound
        assert scheme.status == "posted"
        assert scheme.effective_from <= FIRST
        assert scheme.posted_on is not None
        assert scheme.effective_from >= scheme.posted_on + datetime.timedelta(days=31)
        if compound.management_mode != ManagementMode.PUBLIC:
            assert scheme.basis == SchemeBasis.PER_AREA
        elif compound.open_space != OpenSpace.SMALL and compound.parking_motor > 0:
            assert (scheme.basis, scheme.rate) == (SchemeBasis.PER_AREA, PUBLIC_AREA_RATE)
        else:
            assert scheme.basis == SchemeBasis.PER_HOUSEHOLD
            assert scheme.rate in {rate for _, rate in HOUSEHOLD_TIERS}
        assert scheme.package and scheme.costs


def test_demo_bills_a_year_for_every_served_house_and_the_books_balance() -> None:
    seed()
    served = House.objects.filter(compound__company__isnull=False).count()
    assert Bill.objects.count() == served * 12
    assert set(Bill.objects.values_list("period", flat=True).distinct()) == {
        datetime.date(2025 + (11 + n) // 12, (11 + n) % 12 + 1, 1) for n in range(12)
    }
    assert Payment.objects.count() == Receipt.objects.count() > served
    paid = Bill.objects.aggregate(total=Sum("paid"))["total"]
    received = Payment.objects.aggregate(total=Sum("amount"))["total"]
    # Every yuan received is on a bill or held as credit; none is lost or made up.
    assert Decimal(paid) <= Decimal(received)
    assert checks.first_discrepancy() is None
    call_command("ledger_check", stdout=io.StringIO())


def test_demo_collection_differs_by_compound_and_is_below_full(django_user_model) -> None:
    seed()
    superuser = django_user_model.objects.create_superuser("root-test", password="x-x-x-x-x")
    rows = collection(user=superuser, period=datetime.date(2026, 10, 1), by="compound")
    rates = {row.rate for row in rows if row.rate is not None}
    assert len(rates) > 3
    total = collection(user=superuser, period=datetime.date(2026, 10, 1), by="street")
    assert all(Decimal("0.5") < row.rate < Decimal("1") for row in total if row.rate is not None)
