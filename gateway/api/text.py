"""Text fields for request schemas."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import fields, validate

NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""What XML 1.0 (hence the legacy upstream) cannot carry."""
SAFE_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]*$"
"""The same rule as NOT_XML_TEXT, as a JSON Schema pattern for the OpenAPI document."""


class Text(fields.String):
    """A string field that refuses what XML (hence the legacy upstream) cannot carry."""

    def __init__(self, **kwargs: Any) -> None:
        extra = kwargs.pop("validate", None)
        rules = [validate.Regexp(SAFE_TEXT, error="contains control characters")]
        rules += list(extra) if isinstance(extra, list | tuple) else [extra] if extra else []
        super().__init__(validate=rules, **kwargs)
