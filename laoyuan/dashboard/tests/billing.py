"""Billing data for the overview's collection and arrears figures (shared with the API tests)."""

import datetime
from decimal import Decimal

from laoyuan.billing.models import Receipt
from laoyuan.billing.services.payments import take_payment
from laoyuan.billing.tests.factories import bill, posted_scheme
from laoyuan.factories import Cast
from laoyuan.places.models import House

JAN, FEB, MAR = (datetime.date(2026, month, 1) for month in (1, 2, 3))


def taken(cast: Cast, house: House, amount: str, reference: str, channel: str = "cash") -> Receipt:
    """A payment for ``house`` taken at compound A's company desk."""
    return take_payment(
        house=house,
        amount=Decimal(amount),
        channel=channel,
        reference=reference,
        actor=cast.users["company"],
    )


def two_billed_months(cast: Cast) -> None:
    """Compound A at 0.50 a m² a month, billed for January and February 2026: 43.20 a month for
    the 86.40 m² house, 30.00 for its 60.00 m² neighbour (73.20 a month). The house pays 50.00,
    which settles January and 6.80 of February; the neighbour pays nothing."""
    posted_scheme(cast.a.compound, rate="0.50")
    for period in (JAN, FEB):
        bill(cast.a.house, period)
        bill(cast.a.neighbour_house, period)
    taken(cast, cast.a.house, "50.00", "OVERVIEW-1")
