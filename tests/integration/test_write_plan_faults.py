"""Every step of a v2 update and of a batch, refused or with its answer lost, against the
sandbox: a lost answer is found on its reference and the write goes on; a refusal leaves the
upstreams as before once the outbox has drained, and every compensation leaves its audit entry
and (for a reservation) its event under the request's correlation id."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.store.feeds import audit_after, events_after
from tests.integration.reservation_helpers import body, problem_code
from tests.integration.workorder_update_helpers import drain_outbox, own_work_order, upstream_state

INCREASE = [
    {"operation": 10, "itemNumber": "RM-1003", "quantity": 6, "uom": "KG"},
    {"operation": 10, "itemNumber": "RW-9001", "quantity": 15, "uom": "KG"},
]  # PATCH, 2 material PUTs | Reserve, PostTransaction
DECREASE = [{"operation": 10, "itemNumber": "RW-9001", "quantity": 3.5, "uom": "KG"}]
# PATCH, 1 material PUT | Release 7.5, Release 5, Reserve 3.5, PostTransaction
SCENARIOS = {"increase": INCREASE, "decrease": DECREASE}
WRITES = {
    "increase": {"workorders": 3, "inventory": 2},
    "decrease": {"workorders": 2, "inventory": 4},
}
CASES = [(s, service, k) for s, counts in WRITES.items() for service, n in counts.items()
         for k in range(1, n + 1)]  # fmt: skip


def update(client: FlaskClient, headers: dict[str, str], order: str, scenario: str) -> Any:
    return client.put(
        f"/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE",
        json={"batchQuantity": 600, "plannedStart": "2027-07-01T05:00:00Z",
              "materials": SCENARIOS[scenario]},
        headers=headers,
    )  # fmt: skip


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """The upstream state without what differs between two work orders (their id)."""
    return {**state, "workOrder": {**state["workOrder"], "id": None}}


@pytest.fixture(scope="module")
def updated() -> dict[str, dict[str, Any]]:
    return {}


def fault_free(client: FlaskClient, staff_a: dict[str, str], sandbox: Any, scenario: str,
               cache: dict[str, dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    if scenario not in cache:
        with own_work_order(sandbox) as order:
            assert update(client, staff_a, order, scenario).status_code == 200
            cache[scenario] = comparable(upstream_state(sandbox, order))
    return cache[scenario]


@pytest.mark.parametrize(("scenario", "service", "k"), CASES)
def test_the_kth_write_of_an_update_losing_its_answer_is_found_and_the_update_goes_on(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, updated: dict[str, Any],
    scenario: str, service: str, k: int,
) -> None:  # fmt: skip
    expected = fault_free(client, staff_a, faults, scenario, updated)
    knobs = getattr(faults, service).knobs
    with own_work_order(faults) as order:
        knobs.update({"lose_answer_of_write": k})
        response = update(client, staff_a, order, scenario)
        knobs.reset()
        assert response.status_code == 200, response.get_data(as_text=True)
        assert comparable(upstream_state(faults, order)) == expected


@pytest.mark.parametrize(("scenario", "service", "k"), CASES)
def test_every_compensation_of_a_refused_update_leaves_its_audit_entry_and_event(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, gateway_app: Flask,
    scenario: str, service: str, k: int,
) -> None:  # fmt: skip
    knobs = getattr(faults, service).knobs
    engine = gateway_app.extensions["gateway"].store.engine
    with own_work_order(faults) as order:
        before = upstream_state(faults, order)
        correlation = str(uuid.uuid4())
        knobs.update({"fail_writes_from": k})  # this write and every later one (undo included)
        response = update(client, {**staff_a, "X-Request-ID": correlation}, order, scenario)
        assert (response.status_code, problem_code(response)) == (503, "upstream.unavailable")
        knobs.reset()
        drain_outbox(gateway_app, correlation)
        assert upstream_state(faults, order) == before
        audit = [e for e in audit_after(engine, 0, 100_000) if e["correlation_id"] == correlation]
        events = [e for e in events_after(engine, 0, 100_000, None)
                  if e["correlation_id"] == correlation]  # fmt: skip
    actions = [e["action"] for e in audit]
    assert "workorder.update_failed" in actions
    made = {e["target_id"] for e in audit if e["action"] == "reservation.create"}
    cancelled = {e["target_id"] for e in audit if e["action"] == "reservation.cancel"}
    assert made <= cancelled  # every reservation the update made, cancelled and audited
    released = {e["target_id"] for e in audit if e["action"] == "reservation.release"}
    restored = [e for e in audit if e["action"] == "reservation.restore"]
    assert len(restored) == len(released)  # every release taken back, audited
    types = {(e["type"], e["aggregate_id"]) for e in events}
    assert {("InventoryReleased", rid) for rid in cancelled} <= types
    assert {("InventoryReserved", e["target_id"]) for e in restored} <= types
    compensated = {e["action"] for e in audit if e["target_type"] == "compensation"}
    assert compensated <= {
        "workorder.restore_header",
        "workorder.restore_material",
        "workorder.remove_material",
        "inventory.reverse_transaction",
    }


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_kth_line_of_a_batch_losing_its_answer_is_found_and_the_batch_goes_on(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, inventory: Any, k: int
) -> None:
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source) for _ in range(3)]
    faults.inventory.knobs.update({"lose_answer_of_write": k, "operations": ["Reserve"]})
    response = client.post("/api/inventory/reservations/batch", json={"lines": lines},
                           headers=staff_a)  # fmt: skip
    faults.inventory.knobs.reset()
    assert response.status_code == 201, response.get_data(as_text=True)
    made = [r["id"] for r in response.get_json()["reservations"]]
    upstream = inventory.list_reservations_by_sources([source["id"]])
    assert sorted(r.id for r in upstream if r.status.value == "OPEN") == sorted(made)
    assert len(upstream) == 3


@pytest.mark.parametrize("k", [1, 2, 3])
def test_a_refused_kth_line_undoes_the_batch_with_audit_and_events(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, inventory: Any,
    gateway_app: Flask, k: int,
) -> None:  # fmt: skip
    engine = gateway_app.extensions["gateway"].store.engine
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source) for _ in range(3)]
    balance = inventory.get_stock_level("RM-1002", "W02").reserved
    correlation = str(uuid.uuid4())
    faults.inventory.knobs.update({"fail_writes_from": k, "operations": ["Reserve", "Release"]})
    response = client.post("/api/inventory/reservations/batch", json={"lines": lines},
                           headers={**staff_a, "X-Request-ID": correlation})  # fmt: skip
    faults.inventory.knobs.reset()
    assert problem_code(response) == "upstream.unavailable"
    drain_outbox(gateway_app, correlation)
    upstream = inventory.list_reservations_by_sources([source["id"]])
    assert [r for r in upstream if r.status.value == "OPEN"] == []
    assert len(upstream) == k - 1  # the lines before the refused one, made and cancelled
    assert inventory.get_stock_level("RM-1002", "W02").reserved == balance
    audit = [e for e in audit_after(engine, 0, 100_000) if e["correlation_id"] == correlation]
    events = {(e["type"], e["aggregate_id"]) for e in events_after(engine, 0, 100_000, None)
              if e["correlation_id"] == correlation}  # fmt: skip
    for reservation in upstream:
        actions = [e["action"] for e in audit if e["target_id"] == reservation.id]
        assert "reservation.create" in actions and "reservation.cancel" in actions
        assert {("InventoryReserved", reservation.id), ("InventoryReleased", reservation.id)} <= (
            events
        )
    assert Decimal(0) <= inventory.get_stock_level("RM-1002", "W02").reserved
