"""Every error becomes RFC 9457 problem+json with a stable ``code`` (SPEC §6), in one place."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json
from werkzeug.exceptions import HTTPException

from gateway.domain.errors import STATUS_BY_CODE, GatewayError

log = logging.getLogger(__name__)


HTTP_CODES = {
    404: "request.not_found",
    405: "request.method_not_allowed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
}

PROBLEM_JSON = "application/problem+json"


def problem(code: str, title: str, detail: str, **extra: Any) -> Response:
    """A problem+json response for ``code``; the correlation id goes with every one."""
    status = STATUS_BY_CODE[code]
    body = {
        "type": f"urn:reservation-gateway:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "correlationId": g.get("correlation_id"),
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="reservation-gateway"'
    return response


def _from_gateway_error(error: GatewayError) -> Response:
    if error.code not in STATUS_BY_CODE or error.code == "internal.error":
        return _from_unexpected(error)
    extra = {
        k: v
        for k, v in error.extra.items()
        if k in ("errors", "upstream", "providerError", "compensationConflicts", "shortfall")
    }
    response = problem(error.code, error.title, error.detail, **extra)
    if "retry_after" in error.extra:
        response.headers["Retry-After"] = str(error.extra["retry_after"])
    return response


def _from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 422 and getattr(error, "data", None):  # webargs/marshmallow validation
        return problem(
            "request.invalid",
            "The request is not valid",
            "One or more fields are invalid",
            errors=_field_errors(error.data.get("messages", {})),  # type: ignore[attr-defined]
        )
    if status >= 500:
        return _from_unexpected(error)
    code = HTTP_CODES.get(status, "request.invalid")
    return problem(code, error.name, error.description or error.name)


def _field_errors(messages: dict[str, Any]) -> dict[str, Any]:
    """Marshmallow's ``{location: {field: [...]}}`` flattened to ``{field: [...]}``."""
    flat: dict[str, Any] = {}
    for by_field in messages.values():
        flat.update(by_field if isinstance(by_field, dict) else {"_": by_field})
    return flat


def _from_unexpected(error: BaseException) -> Response:
    log.error(
        "unhandled error (correlation id %s)", g.get("correlation_id"), exc_info=error
    )  # the stack trace stays in the log; the caller gets only the correlation id
    return problem("internal.error", "Internal error", "Something went wrong on our side")


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(GatewayError, _from_gateway_error)
    app.register_error_handler(HTTPException, _from_http_exception)
    app.register_error_handler(Exception, _from_unexpected)
