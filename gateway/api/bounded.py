"""Request fields bounded by what the legacy system can hold (SPEC §3, §4).

Numbers must be JSON numbers (``"12.5"`` is refused, not coerced), quantities fit the legacy
DECIMAL(13, 3), timestamps the legacy ``YYYYMMDDHHMMSS`` years after conversion to plant time,
and identifiers carry no leading, trailing or non-ASCII whitespace, which the legacy system
would pad, trim or match differently from the gateway.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import ValidationError, fields, validate

from gateway.domain.reservation_rules import (
    EARLIEST_INSTANT,
    LATEST_INSTANT,
    LEGACY_FRACTION_DIGITS,
    LEGACY_QUANTITY_MAX,
    check_legacy_quantity,
    legacy_instant_fits,
)

MAX_CURSOR = 2**62
"""Cursors and offsets fit a 64-bit database integer."""

IDENTIFIER = (
    "^(?![ ])(?!.*[ ]$)"
    "[^\\x00-\\x1f\\x7f\\u0085\\u00a0\\u1680\\u2000-\\u200b\\u2028\\u2029"
    "\\u202f\\u205f\\u3000\\ufeff\\ufffe\\uffff]*$"
)
"""No control character, no whitespace but inner ASCII spaces, none at either end."""


class Identifier(fields.String):
    """An id, SKU, lot or code, refused with odd whitespace rather than trimmed."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        rules = [validate.Regexp(IDENTIFIER, error="must not have leading, trailing or "
                                 "non-ASCII whitespace, nor control characters")]  # fmt: skip
        rules += list(extra) if isinstance(extra, list | tuple) else [extra] if extra else []
        super().__init__(validate=rules, **kwargs)


class LegacyQuantity(fields.Decimal):
    """A JSON number the legacy quantity fields hold exactly (else invalid_quantity)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "maximum": LEGACY_QUANTITY_MAX,
            "multipleOf": Decimal(1).scaleb(-LEGACY_FRACTION_DIGITS),
            **kwargs.pop("metadata", {}),
        }
        super().__init__(as_string=False, allow_nan=False, metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
            raise ValidationError("must be a JSON number")
        number = Decimal(value) if not isinstance(value, float) else Decimal(str(value))
        check_legacy_quantity(number, self.data_key or attr or "quantity")
        result = super()._deserialize(number, attr, data, **kwargs)
        assert isinstance(result, Decimal)
        return result


class LegacyTimestamp(fields.AwareDateTime):
    """An aware timestamp inside the years the legacy stamps can carry."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if not legacy_instant_fits(moment):
            raise ValidationError(
                f"must lie between {EARLIEST_INSTANT.isoformat()} and {LATEST_INSTANT.isoformat()}"
            )
        return moment


class JsonBoolean(fields.Boolean):
    """JSON true or false only: not "yes", and not 1 or 1.0 (which equal True in Python)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if type(value) is not bool:
            raise ValidationError("must be true or false")
        return value


def strict_integer(**kwargs: Any) -> fields.Integer:
    """An integer given as one: 50.5 and "50" are refused, not truncated or coerced."""
    return fields.Integer(strict=True, **kwargs)
