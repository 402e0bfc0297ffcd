"""Billing test helpers shared by the billing, API, dashboard and demo tests."""

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from laoyuan.billing.enums import SchemeBasis, SchemeStatus
from laoyuan.billing.models import Bill, FeeScheme
from laoyuan.billing.services.bills import issue_bill
from laoyuan.places.models import Compound, House


def posted_scheme(
    compound: Compound,
    *,
    basis: str = SchemeBasis.PER_AREA,
    rate: str | Decimal = "0.50",
    effective_from: datetime.date = datetime.date(2025, 1, 1),
    trial_months: int = 0,
    company: Any = None,
    **extra: Any,
) -> FeeScheme:
    """A scheme in force from ``effective_from``, as if proposed, co-signed and posted a month
    before (the services enforce those steps; tests of billing start after them)."""
    compound.refresh_from_db()
    return FeeScheme.objects.create(
        compound=compound,
        district_id=compound.district_id,
        street_id=compound.street_id,
        company=company or compound.company,
        basis=basis,
        rate=Decimal(rate),
        effective_from=effective_from,
        trial_months=trial_months,
        package=extra.pop("package", [{"item": "Guard", "standard": "24 h at the gate"}]),
        costs=extra.pop("costs", [{"item": "Guards' wages", "monthly": "3600.00"}]),
        status=SchemeStatus.POSTED,
        posted_on=effective_from - datetime.timedelta(days=31),
        cosigned_at=timezone.now(),
        **extra,
    )


def bill(house: House, period: datetime.date, scheme: FeeScheme | None = None) -> Bill:
    """Issue ``house``'s bill for ``period`` under ``scheme`` (the compound's newest, if None)."""
    scheme = scheme or FeeScheme.objects.filter(compound=house.compound_id).latest("id")
    issued, _created = issue_bill(house=house, scheme=scheme, period=period)
    return issued
