"""Circuit breakers and timeouts against the sandbox's fault knobs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import create_app
from tests.integration.reservation_helpers import body, problem_code


@pytest.fixture
def fragile_app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    """A gateway whose breakers trip after 3 failed attempts and whose reads time out fast."""
    return create_app(
        {
            **gateway_settings,
            "DATABASE_URL": database_url,
            "BREAKER_FAIL_MAX": 3,
            "BREAKER_RESET_SECONDS": 0.2,
            "UPSTREAM_READ_TIMEOUT": 0.5,
            "UPSTREAM_RETRY_ATTEMPTS": 1,
        }
    )


@pytest.fixture
def fragile(fragile_app: Flask) -> Iterator[FlaskClient]:
    with fragile_app.test_client() as client:
        yield client


def test_an_upstream_that_is_down_trips_its_breaker_and_answers_503_at_once(
    fragile: FlaskClient, staff_a: dict[str, str], faults: Any
) -> None:
    faults.workorders.knobs.update({"error_rate": 1.0})
    url = "/api/work-orders/WO-1001/reservations"
    for _ in range(3):
        assert problem_code(fragile.get(url, headers=staff_a)) == "upstream.unavailable"
    calls_before = faults.workorders.calls.counts().get("get_work_order", 0)
    refused = fragile.get(url, headers=staff_a)
    assert refused.status_code == 503 and problem_code(refused) == "upstream.unavailable"
    assert "circuit open" in refused.get_json()["detail"]
    assert faults.workorders.calls.counts().get("get_work_order", 0) == calls_before
    inventory_still_fine = fragile.get(
        "/api/inventory/items/RM-1001/stock?warehouseId=W01", headers=staff_a
    )
    assert inventory_still_fine.status_code == 200  # one breaker per upstream

    faults.workorders.knobs.reset()
    deadline = time.monotonic() + 10
    # the breaker lets a trial call through once its 0.2 s reset time is over
    while fragile.get(url, headers=staff_a).status_code != 200:
        assert time.monotonic() < deadline, "the breaker never closed again"
        threading.Event().wait(0.02)


def test_answers_in_the_legacy_system_do_not_trip_the_breaker(
    fragile: FlaskClient, staff_a: dict[str, str]
) -> None:
    for _ in range(6):
        missing = fragile.get("/api/inventory/items/NOPE/stock?warehouseId=W01", headers=staff_a)
        assert problem_code(missing) == "inventory.item.not_found"
    found = fragile.get("/api/inventory/items/RM-1001/stock?warehouseId=W01", headers=staff_a)
    assert found.status_code == 200


@pytest.mark.parametrize(
    ("knobs", "code"),
    [
        ({"latency_ms": 1500}, "upstream.timeout"),
        ({"error_rate": 1.0}, "upstream.unavailable"),
        ({"soap_fault": 999}, "upstream.fault"),
    ],
)
def test_each_fault_of_the_inventory_system_has_its_code_and_reserves_nothing(
    fragile: FlaskClient, staff_a: dict[str, str], faults: Any, knobs: dict[str, Any], code: str
) -> None:
    request = body(quantity=1)
    faults.inventory.knobs.update(knobs)
    answer = fragile.post("/api/inventory/reservations", json=request, headers=staff_a)
    assert problem_code(answer) == code
    faults.inventory.knobs.reset()
    listed = fragile.get(
        f"/api/inventory/reservations?sourceId={request['source']['id']}&status=OPEN",
        headers=staff_a,
    ).get_json()
    assert listed["total"] == 0


def test_a_reserve_that_landed_but_lost_its_answer_is_found_and_answers_201(
    fragile: FlaskClient, staff_a: dict[str, str], faults: Any
) -> None:
    request = body(quantity=1)
    faults.inventory.knobs.update({"drop_after_commit": 1, "operations": ["Reserve"]})
    answer = fragile.post("/api/inventory/reservations", json=request, headers=staff_a)
    faults.inventory.knobs.reset()
    assert answer.status_code == 201  # looked up on its reference: never an error with stock held
    listed = fragile.get(
        f"/api/inventory/reservations?sourceId={request['source']['id']}&status=OPEN",
        headers=staff_a,
    ).get_json()
    assert [r["id"] for r in listed["items"]] == [answer.get_json()["id"]]


@pytest.mark.parametrize(
    ("knobs", "code"),
    [({"latency_ms": 1500}, "upstream.timeout"), ({"error_rate": 1.0}, "upstream.unavailable")],
)
def test_each_fault_of_the_work_order_service_has_its_code(
    fragile: FlaskClient, staff_a: dict[str, str], faults: Any, knobs: dict[str, Any], code: str
) -> None:
    faults.workorders.knobs.update(knobs)
    answer = fragile.get("/api/work-orders/WO-1001/reservations", headers=staff_a)
    assert problem_code(answer) == code
