"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics

from gateway.api.context import adapters
from gateway.domain.errors import GatewayError
from gateway.observability.metrics import scrape_registry

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Any:
    """The process answers."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Any:
    """Both upstreams and the token endpoint answer; 503 names what does not."""
    checks: dict[str, str] = {}
    for name, probe in adapters().probes.items():
        try:
            probe()
            checks[name] = "ok"
        except GatewayError as error:
            checks[name] = error.code
    ready = all(state == "ok" for state in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@bp.get("/metrics")
def metrics() -> Any:
    """Prometheus metrics of the whole server; OpenMetrics (with correlation-id exemplars in a
    single process) when asked for."""
    registry = scrape_registry()
    if "application/openmetrics-text" in request.headers.get("Accept", ""):
        body = openmetrics.generate_latest(registry)
        return Response(body, mimetype=openmetrics.CONTENT_TYPE_LATEST)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
