"""Request bodies with their numbers parsed as Decimal.

webargs, under flask-smorest, parses JSON bodies with the standard library's float numbers:
``15.000`` arrives as ``15.0`` and long quantities lose digits. Quantities are Decimal end to
end (SPEC §4), so a blueprint sets ``ARGUMENTS_PARSER = DecimalParser()``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class DecimalParser(FlaskParser):
    """FlaskParser whose JSON numbers with a fraction or exponent become Decimal."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        # Errors stay the standard library's, which webargs turns into a 400.
        return json.loads(req.get_data(cache=True), parse_float=Decimal)


class Blueprint(flask_smorest.Blueprint):
    """The gateway's blueprints: request bodies keep their numbers exact."""

    ARGUMENTS_PARSER = DecimalParser()
