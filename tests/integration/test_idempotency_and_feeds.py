"""Idempotency-Key (SPEC §8), the event feed and the audit log, through the REST API."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import body, problem_code


def keyed(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "Idempotency-Key": str(uuid.uuid4())}


def test_same_key_and_body_replays_the_first_answer(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    headers, request = keyed(staff_a), body(quantity=2)
    first = client.post("/api/inventory/reservations", json=request, headers=headers)
    available = inventory.get_stock_level("RM-1002", "W02").available
    second = client.post("/api/inventory/reservations", json=request, headers=headers)
    assert second.status_code == first.status_code == 201
    assert second.get_json() == first.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert inventory.get_stock_level("RM-1002", "W02").available == available


def test_same_key_with_another_body_is_key_reused(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    headers = keyed(staff_a)
    client.post("/api/inventory/reservations", json=body(quantity=1), headers=headers)
    other = client.post("/api/inventory/reservations", json=body(quantity=5), headers=headers)
    assert other.status_code == 422
    assert problem_code(other) == "idempotency.key_reused"


def test_same_key_while_the_first_is_running_is_in_progress(
    gateway_app: Flask, staff_a: dict[str, str], faults: Any
) -> None:
    headers, request = keyed(staff_a), body(quantity=1)
    faults.inventory.knobs.update({"latency_ms": 1500, "operations": ["Reserve"]})
    reserves_before = faults.inventory.calls.counts().get("Reserve", 0)
    first: list[Any] = []

    def slow_first() -> None:
        with gateway_app.test_client() as client:
            first.append(client.post("/api/inventory/reservations", json=request, headers=headers))

    thread = threading.Thread(target=slow_first)
    thread.start()
    while faults.inventory.calls.counts().get("Reserve", 0) == reserves_before:
        thread.join(timeout=0.01)  # wait until the first request is inside the upstream call
    with gateway_app.test_client() as client:
        second = client.post("/api/inventory/reservations", json=request, headers=headers)
    thread.join()
    assert second.status_code == 409
    assert problem_code(second) == "idempotency.in_progress"
    assert first[0].status_code == 201


def test_lost_answer_then_retry_with_the_same_key_reserves_once(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, inventory: Any
) -> None:
    headers, request = keyed(staff_a), body(quantity=1)
    faults.inventory.knobs.update({"drop_after_commit": 3, "operations": ["Reserve"]})
    lost = client.post("/api/inventory/reservations", json=request, headers=headers)
    # Every attempt committed upstream and lost its answer: looked up on its reference, found.
    assert lost.status_code == 201
    faults.inventory.knobs.reset()
    retried = client.post("/api/inventory/reservations", json=request, headers=headers)
    assert retried.status_code == 201
    assert retried.get_json()["id"] == lost.get_json()["id"]
    upstream = inventory.list_reservations_by_sources([request["source"]["id"]])
    assert [r.id for r in upstream] == [retried.get_json()["id"]]


def test_a_create_without_a_key_whose_answer_is_lost_is_found_and_answers_201(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, inventory: Any
) -> None:
    request = body(quantity=1)
    faults.inventory.knobs.update({"drop_after_commit": 3, "operations": ["Reserve"]})
    found = client.post("/api/inventory/reservations", json=request, headers=staff_a)
    faults.inventory.knobs.reset()
    assert found.status_code == 201
    upstream = inventory.list_reservations_by_sources([request["source"]["id"]])
    assert [(r.id, r.status.value) for r in upstream] == [(found.get_json()["id"], "OPEN")]


def test_events_follow_every_change_in_order(client: FlaskClient, staff_a: dict[str, str]) -> None:
    start = client.get("/api/events?after=0&limit=1000", headers=staff_a).get_json()["nextCursor"]
    made = client.post("/api/inventory/reservations", json=body(quantity=1), headers=staff_a)
    rid = made.get_json()["id"]
    client.put(f"/api/inventory/reservations/{rid}/release", headers=staff_a)
    consumed_one = client.post(
        "/api/inventory/reservations", json=body(quantity=1), headers=staff_a
    ).get_json()["id"]
    client.put(f"/api/inventory/reservations/{consumed_one}/consume", headers=staff_a)
    seen: list[tuple[str, str]] = []
    cursor = start
    while True:
        page = client.get(f"/api/events?after={cursor}&limit=2", headers=staff_a).get_json()
        if not page["events"]:
            break
        seen += [(e["type"], e["aggregateId"]) for e in page["events"]]
        cursor = page["nextCursor"]
    mine = [s for s in seen if s[1] in (rid, consumed_one)]
    assert mine == [
        ("InventoryReserved", rid),
        ("InventoryReleased", rid),
        ("InventoryReserved", consumed_one),
        ("InventoryConsumed", consumed_one),
    ]


def test_events_of_another_owner_are_not_in_the_feed(
    client: FlaskClient, staff_a: dict[str, str], mint: Callable[..., str]
) -> None:
    staff_b = {"Authorization": f"Bearer {mint(owners=('PLANT-B',))}"}
    made = client.post(
        "/api/inventory/reservations",
        json=body(sku="RM-1007", warehouseId="W03", ownerId="PLANT-B"),
        headers=staff_b,
    ).get_json()
    feed = client.get("/api/events?after=0&limit=1000", headers=staff_a).get_json()["events"]
    assert made["id"] not in {e["aggregateId"] for e in feed}
    assert all(e["ownerId"] == "PLANT-A" for e in feed)


def test_audit_records_who_what_before_and_after_for_admins_only(
    client: FlaskClient, staff_a: dict[str, str], mint: Callable[..., str]
) -> None:
    made = client.post(
        "/api/inventory/reservations", json=body(), headers={**staff_a, "X-Request-ID": "audit-1"}
    ).get_json()
    client.put(f"/api/inventory/reservations/{made['id']}/release", headers=staff_a)
    admin = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',), subject='admin-1')}"}
    entries = client.get(f"/admin/audit?targetId={made['id']}", headers=admin).get_json()["entries"]
    assert [e["action"] for e in entries] == ["reservation.create", "reservation.release"]
    assert entries[0]["actor"] == "test-user" and entries[0]["correlationId"] == "audit-1"
    assert entries[0]["before"] is None and entries[0]["after"]["status"] == "OPEN"
    assert entries[1]["before"]["status"] == "OPEN" and entries[1]["after"]["status"] == "RELEASED"
    assert client.get("/admin/audit", headers=staff_a).status_code == 403
