"""Request bodies with their numbers parsed as Decimal.

webargs, under flask-smorest, parses JSON bodies with the standard library's float numbers:
``15.000`` arrives as ``15.0`` and long quantities lose digits. Quantities are Decimal end to
end (SPEC §4), so a blueprint sets ``ARGUMENTS_PARSER = DecimalParser()``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import flask
import flask_smorest
from flask_smorest.utils import resolve_schema_instance
from marshmallow import ValidationError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from gateway.api.problems import PROBLEM_JSON
from gateway.api.schemas import ProblemSchema
from gateway.api.text import NOT_XML_TEXT


class DecimalParser(FlaskParser):
    """FlaskParser whose JSON numbers with a fraction or exponent become Decimal."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        # Syntax errors stay the standard library's, which webargs turns into a 400.
        try:
            document = json.loads(
                req.get_data(cache=True),
                parse_float=Decimal,
                parse_constant=_refuse_constant,
                object_pairs_hook=_object_without_duplicates,
            )
        except RecursionError:
            raise ValidationError({"body": [f"nests deeper than {MAX_DEPTH} levels"]}) from None
        if _depth(document) > MAX_DEPTH:
            raise ValidationError({"body": [f"nests deeper than {MAX_DEPTH} levels"]})
        unsafe = list(unsafe_text(document))
        if unsafe:
            raise ValidationError({path: ["contains control characters"] for path in unsafe})
        return document


MAX_DEPTH = 16
"""No request of the API nests deeper than a few levels; a deep one is refused, not recursed."""


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A key given twice is refused: "last wins" lets a proxy and the gateway read two bodies."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValidationError({"body": [f"the member {key!r} is given more than once"]})
        document[key] = value
    return document


def _refuse_constant(name: str) -> Any:
    raise ValidationError({"body": [f"{name} is not a JSON number"]})


def _depth(document: Any) -> int:
    """How deep a parsed document nests, without recursion."""
    deepest, pending = 0, [(document, 1)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, level)
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, level + 1) for child in children)
    return deepest


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


class Blueprint(flask_smorest.Blueprint):
    """The gateway's blueprints: request bodies keep their numbers exact; errors are problems."""

    ARGUMENTS_PARSER = DecimalParser()

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's ``arguments``, with a schema class made an instance once here:
        webargs would build a new instance of a class for every request it parses."""
        return super().arguments(resolve_schema_instance(schema), **kwargs)

    def problem(self, status: int, description: str) -> Any:
        """Document an error answer: problem+json with its codes in the description."""
        return self.alt_response(
            status, schema=ProblemSchema, description=description, content_type=PROBLEM_JSON
        )
