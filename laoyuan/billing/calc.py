"""The fee arithmetic, in one place: what a house owes under a scheme for one month.

Pure functions on Decimals, shared by the ORM path, the set-based SQL path (which mirrors them and
is tested against them), receipts and the public notice.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from laoyuan.billing.enums import SchemeBasis
from laoyuan.core.money import FEN, to_fen
from laoyuan.places.enums import HouseStatus

ZERO = Decimal("0.00")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(earlier: datetime.date, later: datetime.date) -> int:
    """Whole months from ``earlier``'s month to ``later``'s month (0 for the same month)."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def parse_period(text: str) -> datetime.date:
    """``YYYY-MM`` → the first of that month. Raises ValueError with a plain message."""
    try:
        year, month = text.strip().split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a month in the form YYYY-MM") from None


def annual_share(annual: Decimal, month: int) -> Decimal:
    """Month ``month`` (1–12)'s share of an annual fee. The twelve shares sum exactly to the
    annual amount: every month gets the fen-floored twelfth, and the remaining fen (largest
    remainder: all twelve remainders are equal, so the earliest months win) go one each to
    January, February, ..."""
    annual = to_fen(annual)
    fen = int(annual / FEN)
    base, extra = divmod(fen, 12)
    return (Decimal(base + (1 if month <= extra else 0)) * FEN).quantize(FEN)


def monthly_list_amount(*, basis: str, rate: Decimal, area: Decimal, month: int) -> Decimal:
    """What one month of service is worth for one house, before trial and vacancy rules."""
    if basis == SchemeBasis.PER_AREA:
        return to_fen(area * rate)
    return annual_share(rate, month)


def status_share(amount: Decimal, percent: int) -> Decimal:
    """``percent`` of ``amount``, half-up to the fen."""
    return to_fen(amount * percent / Decimal(100))


@dataclass(frozen=True)
class Charge:
    list_amount: Decimal
    amount: Decimal
    trial: bool


def monthly_charge(
    *,
    basis: str,
    rate: Decimal,
    area: Decimal,
    period: datetime.date,
    effective_from: datetime.date,
    trial_months: int,
    house_status: str,
    vacant_percent: int,
    unsold_percent: int,
) -> Charge:
    """The month's charge: the list amount, then zero in a trial month (the first
    ``trial_months`` of the scheme), else the vacant or unsold share."""
    list_amount = monthly_list_amount(basis=basis, rate=rate, area=area, month=period.month)
    if months_between(effective_from, period) < trial_months:
        return Charge(list_amount, ZERO, True)
    if house_status == HouseStatus.VACANT:
        return Charge(list_amount, status_share(list_amount, vacant_percent), False)
    if house_status == HouseStatus.UNSOLD:
        return Charge(list_amount, status_share(list_amount, unsold_percent), False)
    return Charge(list_amount, list_amount, False)


def yearly_amount(*, basis: str, rate: Decimal, area: Decimal) -> Decimal:
    """Twelve months' fees for a house at full rate (the prepayment ceiling's unit)."""
    if basis == SchemeBasis.PER_AREA:
        return to_fen(area * rate) * 12
    return to_fen(rate)
