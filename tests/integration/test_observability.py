"""One request's correlation id end to end: response, both upstreams, logs and /metrics."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from gateway.observability.logs import CorrelationFilter


def test_correlation_id_reaches_both_upstreams_the_logs_and_the_metrics(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    correlation = f"corr-{uuid.uuid4().hex[:12]}"
    caplog.handler.addFilter(CorrelationFilter())
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        response = client.get(
            "/api/work-orders/WO-1001/reservations",
            headers={**staff_a, "X-Request-ID": correlation},
        )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == correlation

    inventory_seen = sandbox.inventory.calls.correlations()
    assert {"operation": "ListReservationsBySources", "http_header": correlation,
            "soap_header": correlation} in inventory_seen  # fmt: skip
    workorders_seen = requests.get(
        sandbox.describe()["workOrdersAdminUrl"] + "/correlations", timeout=10
    ).json()
    assert {"operation": "get_work_order", "http_header": correlation} in workorders_seen

    access = [r for r in caplog.records if r.name == "gateway.access"]
    assert any(getattr(r, "correlation_id", None) == correlation for r in access)

    metrics = client.get("/metrics", headers={"Accept": "application/openmetrics-text"})
    text = metrics.get_data(as_text=True)
    assert "gateway_request_seconds_bucket" in text
    assert any(
        line.startswith("gateway_upstream_call_seconds_bucket{")
        and 'operation="GetBalances"' in line
        and 'upstream="inventory"' in line
        for line in text.splitlines()
    )
    assert f'correlation_id="{correlation}"' in text  # an exemplar names this very request


def test_metrics_cover_breakers_outbox_tokens_and_sweeps(
    gateway_app: Any, client: FlaskClient
) -> None:
    from gateway.background import sweep_once

    sweep_once(gateway_app)
    text = client.get("/metrics").get_data(as_text=True)
    sweeps = [line for line in text.splitlines() if line.startswith("gateway_expiry_sweeps_total ")]
    assert sweeps and float(sweeps[0].split()[1]) >= 1
    fetched = [
        line for line in text.splitlines() if line.startswith("gateway_token_fetches_total{")
    ]
    assert any("sandbox-inventory" in line and float(line.split()[-1]) >= 1 for line in fetched)
    for name in (
        "gateway_breaker_open",
        "gateway_outbox_pending",
        "gateway_token_fetches_total",
        "gateway_expiry_sweeps_total",
        "gateway_upstream_errors_total",
    ):
        assert name in text, name


def test_log_lines_are_json_with_the_correlation_id(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from gateway.observability.correlation import current
    from gateway.observability.logs import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO")
        token = current.set("corr-json-1")
        logging.getLogger("gateway.test").info("hello %s", "world")
        current.reset(token)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["message"] == "hello world"
    assert line["correlation_id"] == "corr-json-1"
    assert line["level"] == "INFO"
