"""Money is Decimal yuan with two places; this is the one rounding rule (half-up to the fen)."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def to_fen(value: Decimal | int | str) -> Decimal:
    """Round to the fen, half-up. Floats are refused: they cannot hold yuan exactly."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
