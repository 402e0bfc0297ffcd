"""Checking the amounts and years the rating services are given, with the field named."""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from laoyuan.core.money import to_fen

LIMIT = Decimal("1000000000")


def parse_amount(value: Any, field: str = "amount", *, zero: bool = False) -> Decimal:
    """Yuan with at most two decimals, above zero (or at least zero with ``zero``)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount in yuan.")}) from None
    if (
        not amount.is_finite()
        or to_fen(amount) != amount
        or not (amount >= 0 if zero else amount > 0)
    ):
        raise ValidationError({field: _("Enter a positive amount with at most two decimals.")})
    if amount >= LIMIT:
        raise ValidationError({field: _("Enter a smaller amount.")})
    return amount


def parse_year(value: Any, field: str = "year", *, message: str | None = None) -> int:
    """A four-digit year from 2000 to 2999."""
    text = str(value or "").strip()
    if not (len(text) == 4 and text.isascii() and text.isdigit() and 2000 <= int(text) <= 2999):
        raise ValidationError({field: message or _("Enter a year, such as 2026.")})
    return int(text)
