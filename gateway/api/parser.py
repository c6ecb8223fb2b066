"""Request bodies with their numbers parsed as Decimal.

webargs, under flask-smorest, parses JSON bodies with the standard library's float numbers:
``15.000`` arrives as ``15.0`` and long quantities lose digits. Quantities are Decimal end to
end (SPEC §4), so a blueprint sets ``ARGUMENTS_PARSER = DecimalParser()``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import flask
import flask_smorest
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class DecimalParser(FlaskParser):
    """FlaskParser whose JSON numbers with a fraction or exponent become Decimal."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        # Errors stay the standard library's, which webargs turns into a 400.
        document = json.loads(req.get_data(cache=True), parse_float=Decimal)
        unsafe = list(unsafe_text(document))
        if unsafe:
            raise ValidationError({path: ["contains control characters"] for path in unsafe})
        return document


NOT_XML_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry: nothing containing them can reach a SOAP upstream."""


def unsafe_text(value: Any, path: str = "body") -> Iterator[str]:
    """Paths of the strings in a JSON document that XML cannot carry."""
    if isinstance(value, str):
        if NOT_XML_TEXT.search(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unsafe_text(key, path)
            yield from unsafe_text(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unsafe_text(item, f"{path}[{index}]")


PROBLEM_JSON = "application/problem+json"
SAFE_TEXT = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\ufffe\\uffff]*$"
"""The same rule as NOT_XML_TEXT, as a JSON Schema pattern for the OpenAPI document."""


class Blueprint(flask_smorest.Blueprint):
    """The gateway's blueprints: request bodies keep their numbers exact; errors are problems."""

    ARGUMENTS_PARSER = DecimalParser()

    def problem(self, status: int, description: str) -> Any:
        """Document an error answer: problem+json with its codes in the description."""
        from gateway.api.schemas import ProblemSchema

        return self.alt_response(
            status, schema=ProblemSchema, description=description, content_type=PROBLEM_JSON
        )
