"""The legacy quantity column, DECIMAL(13, 3): what it can hold, and fault 240 for the rest."""

from __future__ import annotations

from decimal import Decimal

from sandbox.inventory.errors import INVALID_QUANTITY, LegacyError

QUANTITY_TOTAL_DIGITS = 13
QUANTITY_FRACTION_DIGITS = 3
QUANTITY_INTEGER_DIGITS = QUANTITY_TOTAL_DIGITS - QUANTITY_FRACTION_DIGITS
QUANTITY_MAX = Decimal(10) ** QUANTITY_INTEGER_DIGITS - Decimal(10) ** -QUANTITY_FRACTION_DIGITS
"""9999999999.999; the column's least value is its negative."""
TOO_WIDE = "INVALID QUANTITY - MAX 10 INTEGER AND 3 DECIMAL DIGITS"
TOTAL_TOO_WIDE = "INVALID QUANTITY - BALANCE WOULD EXCEED 10 INTEGER DIGITS"


def fits_quantity_column(value: Decimal) -> bool:
    """Whether the column holds ``value`` exactly: finite, ≤ 10 integer and ≤ 3 fraction digits."""
    if not value.is_finite():
        return False
    # quantize only once the value is in range, so it can never exceed the context precision
    return abs(value) <= QUANTITY_MAX and value == _at_column_scale(value)


def check_quantity(value: Decimal, message: str = TOO_WIDE) -> None:
    """Fault 240 when the column cannot hold ``value``."""
    if not fits_quantity_column(value):
        raise LegacyError(INVALID_QUANTITY, message)


def _at_column_scale(value: Decimal) -> Decimal:
    """``value`` rounded to the column's 3 decimals (only ever compared with ``value``)."""
    return value.quantize(Decimal(10) ** -QUANTITY_FRACTION_DIGITS)
