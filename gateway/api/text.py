"""Text fields for request schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from gateway.api.parser import SAFE_TEXT


class Text(fields.String):
    """A string field that refuses what XML (hence the legacy upstream) cannot carry."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        rules = [validate.Regexp(SAFE_TEXT, error="contains control characters")]
        rules += list(extra) if isinstance(extra, list | tuple) else [extra] if extra else []
        super().__init__(validate=rules, **kwargs)
