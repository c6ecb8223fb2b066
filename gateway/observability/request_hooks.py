"""Per request: take or make the correlation id, measure, log one access line, echo the id."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from gateway.observability import tracing
from gateway.observability.correlation import HEADER, current, taken_or_new
from gateway.observability.metrics import observe_request

access_log = logging.getLogger("gateway.access")


def install_request_hooks(app: Flask) -> None:
    """Register the hooks; the correlation id is set before any other hook runs."""
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)


def _begin() -> None:
    g.correlation_id = taken_or_new(request.headers.get(HEADER))
    g.correlation_token = current.set(g.correlation_id)
    g.trace_token = tracing.begin(tracing.environ_headers(request.environ))
    g.started = time.perf_counter()


def _end(response: Response) -> Response:
    response.headers[HEADER] = g.get("correlation_id", "")
    seconds = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    observe_request(request.method, route, response.status_code, seconds)
    access_log.info(
        "%s %s %s",
        request.method,
        route,
        response.status_code,
        extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 2),
               "path": request.path, "method": request.method},
    )  # fmt: skip
    return response


def _forget(_: BaseException | None) -> None:
    trace_token = g.pop("trace_token", None)
    if trace_token is not None:
        tracing.end(trace_token)
    token = g.pop("correlation_token", None)
    if token is not None:
        current.reset(token)
