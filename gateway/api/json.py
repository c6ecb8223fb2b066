"""JSON with Decimals as exact numbers both ways (Flask's default writes them as strings)."""

from __future__ import annotations

from typing import Any

import simplejson
from flask.json.provider import JSONProvider


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class DecimalJSONProvider(JSONProvider):
    """Quantities stay Decimal end to end: parsed as Decimal, written as JSON numbers."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _default)
        return simplejson.dumps(obj, use_decimal=True, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return simplejson.loads(s, use_decimal=True, **kwargs)
