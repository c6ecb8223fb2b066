"""The OpenAPI document: errors are problem+json, ids in paths carry their pattern."""

from __future__ import annotations

import http
from typing import Any

from flask_smorest import Api
from flask_smorest.utils import prepare_response
from werkzeug.routing import BaseConverter

from gateway.api.problems import PROBLEM_JSON
from gateway.api.schemas import ProblemSchema

PATH_ID = "^[^/\\x00-\\x1f\\ufffe\\uffff]{1,40}$"


class IdConverter(BaseConverter):
    """An id in a path: 1–40 characters, none of them XML cannot carry (else 404)."""

    regex = "[^/\x00-\x1f\ud800-\udfff\ufffe\uffff]{1,40}"


class GatewayApi(Api):
    """flask-smorest's Api with RFC 9457 problems as the documented error answers."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "An error (RFC 9457 problem)", "schema": self.ERROR_SCHEMA}
        prepare_response(default, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", default, lazy=True)


def register_path_ids(app: Any, api: GatewayApi) -> None:
    """``<id:name>`` in routes, documented with its pattern."""
    app.url_map.converters["id"] = IdConverter
    api.register_converter(IdConverter, lambda _: {"type": "string", "pattern": PATH_ID})
