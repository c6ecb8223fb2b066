"""JSON for stored payloads: Decimals stay exact, datetimes become ISO 8601."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Any

import simplejson


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, default=_default, sort_keys=True)


def loads(text: str | None) -> Any:
    return None if text is None else simplejson.loads(text, use_decimal=True)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
