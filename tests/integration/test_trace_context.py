"""W3C trace context through the gateway: the caller's trace id reaches both upstreams (REST and
SOAP calls alike) under a span id of the gateway's own, and the JSON logs carry it."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from gateway.auth.legacy_clients import new_client
from gateway.observability.logs import CorrelationFilter
from tests.live_server import serving
from tests.soap_helpers import PATH, basic, envelope, headers

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN}-01"
W3C = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
PASSWORD = "trace-password-1"


def traces_seen(sandbox: Any) -> list[dict[str, str]]:
    """What both upstreams received, inventory first."""
    work_orders = requests.get(sandbox.describe()["workOrdersAdminUrl"] + "/traces", timeout=30)
    return [*sandbox.inventory.calls.traces(), *work_orders.json()]


def parts(traceparent: str) -> tuple[str, str, str]:
    matched = W3C.fullmatch(traceparent)
    assert matched, traceparent
    return matched.group(1), matched.group(2), matched.group(3)


@pytest.fixture
def fresh_traces(sandbox: Any) -> None:
    sandbox.inventory.calls.reset()
    requests.delete(sandbox.describe()["workOrdersAdminUrl"] + "/calls", timeout=30)


@pytest.mark.usefixtures("fresh_traces")
def test_the_caller_s_trace_reaches_both_upstreams_under_the_gateway_s_span(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(CorrelationFilter())
    with caplog.at_level(logging.INFO, logger="gateway.access"):
        response = client.get(
            "/api/work-orders/WO-1001/reservations",
            headers={**staff_a, "traceparent": TRACEPARENT, "tracestate": "mes=7"},
        )
    assert response.status_code == 200

    seen = traces_seen(sandbox)
    operations = {entry["operation"] for entry in seen}
    assert "ListReservationsBySources" in operations and "get_work_order" in operations
    spans = set()
    for entry in seen:
        trace_id, span_id, flags = parts(entry["traceparent"])
        assert (trace_id, flags) == (TRACE_ID, "01")
        spans.add(span_id)
    assert spans and CALLER_SPAN not in spans  # the gateway's own hop, one for the request
    assert len(spans) == 1
    access = [r for r in caplog.records if r.name == "gateway.access"]
    assert any(getattr(r, "trace_id", None) == TRACE_ID for r in access)


@pytest.mark.parametrize("given", [None, "garbage", f"00-{'0' * 32}-{CALLER_SPAN}-01"])
@pytest.mark.usefixtures("fresh_traces")
def test_a_request_without_a_valid_traceparent_starts_a_trace_of_its_own(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, given: str | None
) -> None:
    extra = {} if given is None else {"traceparent": given}
    for _ in range(2):
        url = "/api/inventory/items/RM-1002/stock?warehouseId=W02"
        assert client.get(url, headers={**staff_a, **extra}).status_code == 200
    seen = [parts(entry["traceparent"]) for entry in traces_seen(sandbox)]
    assert len(seen) == 2
    (first, _, flags), (second, _, _) = seen
    assert first != second and "0" * 32 not in (first, second)
    assert flags == "00"  # started here, recorded by nobody: not sampled


@pytest.fixture(scope="module")
def soap_url(gateway_app: Flask) -> Iterator[str]:
    with serving(gateway_app) as base:
        yield base + PATH


@pytest.mark.usefixtures("fresh_traces")
def test_a_soap_call_passes_its_trace_and_correlation_id_upstream(
    gateway_app: Flask, soap_url: str, sandbox: Any
) -> None:
    name = f"mes-{uuid.uuid4().hex[:10]}"
    legacy = new_client(name, frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}),
                        PASSWORD, None, False, datetime.now(UTC))  # fmt: skip
    gateway_app.extensions["gateway"].store.legacy_clients.add(legacy)
    correlation = f"corr-{uuid.uuid4().hex[:12]}"
    inner = "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>"
    call = headers("GetStockLevel", **basic(name, PASSWORD))
    answer = requests.post(
        soap_url,
        data=envelope("GetStockLevel", inner),
        headers={**call, "traceparent": TRACEPARENT, "X-Request-ID": correlation},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text

    (seen,) = sandbox.inventory.calls.traces()
    assert parts(seen["traceparent"])[0] == TRACE_ID
    assert parts(seen["traceparent"])[1] != CALLER_SPAN
    correlations = sandbox.inventory.calls.correlations()
    assert {"http_header": correlation, "soap_header": correlation} == {
        key: correlations[-1][key] for key in ("http_header", "soap_header")
    }
