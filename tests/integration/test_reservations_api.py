"""SPEC §5.3 through the REST API, against the sandbox's SOAP inventory service."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import body, create, problem_code, set_available


@pytest.fixture(scope="module")
def manager_a(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(roles=('Reservations.Manager',), subject='manager-a')}"}


@pytest.fixture(scope="module")
def staff_b(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(owners=('PLANT-B',), subject='staff-b')}"}


def test_create_reduces_available_not_on_hand(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    before = inventory.get_stock_level("RM-1002", "W02")
    response = create(client, staff_a, quantity="2.5")
    assert response.status_code == 201, response.data
    created = response.get_json()
    assert created["status"] == "OPEN" and created["quantity"] == Decimal("2.5")
    after = inventory.get_stock_level("RM-1002", "W02")
    assert after.available == before.available - Decimal("2.5")
    assert after.on_hand == before.on_hand


def test_create_list_release_walk_through(client: FlaskClient, staff_a: dict[str, str]) -> None:
    made = create(client, staff_a, quantity=3).get_json()
    source_id = made["source"]["id"]
    listed = client.get(f"/api/inventory/reservations?sourceId={source_id}", headers=staff_a)
    assert [r["id"] for r in listed.get_json()["items"]] == [made["id"]]
    released = client.put(f"/api/inventory/reservations/{made['id']}/release", headers=staff_a)
    assert released.status_code == 200
    assert released.get_json()["status"] == "RELEASED"
    again = client.put(f"/api/inventory/reservations/{made['id']}/release", headers=staff_a)
    assert again.status_code == 409
    assert problem_code(again) == "inventory.reservation.already_released"


def test_consume_drops_on_hand_and_reserved_and_reports_the_transaction(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    made = create(client, staff_a, quantity=4).get_json()
    before = inventory.get_stock_level("RM-1002", "W02")
    consumed = client.put(f"/api/inventory/reservations/{made['id']}/consume", headers=staff_a)
    assert consumed.status_code == 200, consumed.data
    transaction = consumed.get_json()["transaction"]
    assert transaction["previousOnHand"] - transaction["newOnHand"] == Decimal(4)
    after = inventory.get_stock_level("RM-1002", "W02")
    assert after.on_hand == before.on_hand - 4
    assert after.reserved == before.reserved - 4
    closed = client.put(f"/api/inventory/reservations/{made['id']}/release", headers=staff_a)
    assert problem_code(closed) == "inventory.reservation.already_closed"


def test_list_is_sorted_by_priority_then_age_and_paginated(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    ids = [
        create(client, staff_a, source=source, priority=p).get_json()["id"]
        for p in (10, 90, 50, 90)
    ]
    page = client.get(
        f"/api/inventory/reservations?sourceId={source['id']}&limit=3", headers=staff_a
    ).get_json()
    assert page["total"] == 4
    assert [r["id"] for r in page["items"]] == [ids[1], ids[3], ids[2]]
    rest = client.get(
        f"/api/inventory/reservations?sourceId={source['id']}&offset=3&limit=3", headers=staff_a
    ).get_json()
    assert [r["id"] for r in rest["items"]] == [ids[0]]


def test_stock_and_low_stock_alerts(client: FlaskClient, staff_a: dict[str, str]) -> None:
    alerts = client.get("/api/inventory/alerts/low-stock", headers=staff_a).get_json()
    assert alerts and all(a["available"] <= a["reorderPoint"] for a in alerts)
    assert all(a["warehouseId"] != "W03" for a in alerts)  # PLANT-B's warehouse is not ours


def test_manager_may_override_insufficient_stock_staff_may_not(
    client: FlaskClient, staff_a: dict[str, str], manager_a: dict[str, str], inventory: Any
) -> None:
    too_much = inventory.get_stock_level("RM-1003", "W02").available + 10
    refused = create(client, staff_a, sku="RM-1003", quantity=too_much, override=True)
    assert refused.status_code == 409
    assert problem_code(refused) == "inventory.reservation.insufficient_stock"
    allowed = create(client, manager_a, sku="RM-1003", quantity=too_much, override=True)
    assert allowed.status_code == 201
    client.put(f"/api/inventory/reservations/{allowed.get_json()['id']}/release", headers=manager_a)


def test_item_allowing_negative_stock_needs_no_override(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    level = inventory.get_stock_level("RM-1025", "W01")
    beyond = max(level.available, Decimal(0)) + 5
    response = create(client, staff_a, sku="RM-1025", warehouseId="W01", quantity=beyond)
    assert response.status_code == 201


def test_staff_may_not_release_another_callers_reservation_manager_may(
    client: FlaskClient,
    staff_a: dict[str, str],
    manager_a: dict[str, str],
    mint: Callable[..., str],
) -> None:
    other_staff = {"Authorization": f"Bearer {mint(subject='another-staff')}"}
    made = create(client, other_staff).get_json()
    refused = client.put(f"/api/inventory/reservations/{made['id']}/release", headers=staff_a)
    assert refused.status_code == 403
    assert problem_code(refused) == "auth.forbidden"
    allowed = client.put(f"/api/inventory/reservations/{made['id']}/release", headers=manager_a)
    assert allowed.status_code == 200


def test_owner_a_cannot_see_release_or_consume_owner_b_reservations(
    client: FlaskClient, staff_a: dict[str, str], staff_b: dict[str, str]
) -> None:
    made = create(client, staff_b, warehouseId="W03", ownerId="PLANT-B", sku="RM-1007").get_json()
    url = f"/api/inventory/reservations/{made['id']}"
    for response in (
        client.get(url, headers=staff_a),
        client.put(url + "/release", headers=staff_a),
        client.put(url + "/consume", headers=staff_a),
    ):
        assert response.status_code == 404
        assert problem_code(response) == "inventory.reservation.not_found"
    listed = client.get(
        f"/api/inventory/reservations?sourceId={made['source']['id']}", headers=staff_a
    ).get_json()
    assert listed["total"] == 0
    assert client.get(url, headers=staff_b).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"itemSkuId": None}, 400, "request.invalid"),
        ({"quantity": 0}, 400, "inventory.reservation.invalid_quantity"),
        ({"quantity": -1}, 400, "inventory.reservation.invalid_quantity"),
        ({"type": "GIFT"}, 400, "inventory.reservation.invalid_type"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, 400, "inventory.reservation.invalid_expiry"),
        ({"expiresAt": "2030-01-01T00:00:00"}, 400, "request.invalid"),
        ({"itemSkuId": "SV-5001", "warehouseId": "W01"}, 400, "inventory.item.not_stock_tracked"),
        ({"ownerId": "PLANT-B"}, 403, "inventory.reservation.invalid_owner"),
        ({"itemSkuId": "NO-SUCH-ITEM"}, 404, "inventory.item.not_found"),
        ({"source": {"type": "work_order", "id": "WO-0000"}}, 404,
         "inventory.reservation.target_not_found"),
        ({"quantity": 10**9}, 409, "inventory.reservation.insufficient_stock"),
    ],
)  # fmt: skip
def test_each_error_code_of_create(
    client: FlaskClient, staff_a: dict[str, str], overrides: dict[str, Any], status: int, code: str
) -> None:
    request = body(**overrides)
    request = {k: v for k, v in request.items() if v is not None}
    response = client.post("/api/inventory/reservations", json=request, headers=staff_a)
    assert response.status_code == status, response.data
    assert problem_code(response) == code


def test_no_token_and_wrong_role(client: FlaskClient, mint: Callable[..., str]) -> None:
    assert problem_code(client.post("/api/inventory/reservations", json=body())) == (
        "auth.unauthenticated"
    )
    admin = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',))}"}
    response = client.post("/api/inventory/reservations", json=body(), headers=admin)
    assert response.status_code == 403 and problem_code(response) == "auth.forbidden"


def test_unknown_reservation_is_not_found(client: FlaskClient, staff_a: dict[str, str]) -> None:
    response = client.get("/api/inventory/reservations/99999999", headers=staff_a)
    assert response.status_code == 404
    assert problem_code(response) == "inventory.reservation.not_found"


def test_too_large_body_is_413(client: FlaskClient, staff_a: dict[str, str]) -> None:
    payload = b'{"pad": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/inventory/reservations",
        data=payload,
        headers={**staff_a, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert problem_code(response) == "request.too_large"


def test_batch_is_all_or_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    before = inventory.get_stock_level("RM-1002", "W02").available
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source), body(quantity=2, source=source),
             body(quantity=10**9, source=source)]  # fmt: skip
    response = client.post(
        "/api/inventory/reservations/batch", json={"lines": lines}, headers=staff_a
    )
    assert response.status_code == 409
    assert inventory.get_stock_level("RM-1002", "W02").available == before
    made = client.get(f"/api/inventory/reservations?sourceId={source['id']}", headers=staff_a)
    assert all(r["status"] == "RELEASED" for r in made.get_json()["items"])
    assert all(r["releaseReason"] == "cancelled" for r in made.get_json()["items"])
    ok = client.post(
        "/api/inventory/reservations/batch", json={"lines": lines[:2]}, headers=staff_a
    )
    assert ok.status_code == 201
    assert len(ok.get_json()["reservations"]) == 2


def test_fifty_threads_never_reserve_more_than_available(
    gateway_app: Flask, staff_a: dict[str, str], inventory: Any
) -> None:
    set_available(inventory, "RM-1151", "W02", Decimal(100))
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    quantities = [1 + n % 5 for n in range(50)]  # 1..5 each, 150 asked in all
    results: list[int] = []

    def attempt(quantity: int) -> None:
        with gateway_app.test_client() as client:
            answer = create(client, staff_a, sku="RM-1151", quantity=quantity, source=source)
            results.append(quantity if answer.status_code == 201 else 0)
            assert answer.status_code in (201, 409), answer.data

    threads = [threading.Thread(target=attempt, args=(q,)) for q in quantities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reserved = sum(results)
    assert 0 < reserved <= 100
    assert inventory.get_stock_level("RM-1151", "W02").available == 100 - reserved
    with gateway_app.test_client() as client:
        listed = client.get(
            f"/api/inventory/reservations?sourceId={source['id']}&limit=500", headers=staff_a
        ).get_json()
    assert sum(r["quantity"] for r in listed["items"]) == reserved


def test_expired_reservation_is_released_by_the_sweeper(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    from gateway.background import sweep_once
    from gateway.domain.model import ReservationRequest, ReservationType, Source, SourceType

    before = inventory.get_stock_level("RM-1002", "W02").available
    cursor = client.get("/api/events?after=0&limit=1000", headers=staff_a).get_json()["nextCursor"]
    made = inventory.reserve(
        ReservationRequest(
            reference=f"EXP-{uuid.uuid4().hex[:12]}", item_sku_id="RM-1002", warehouse_id="W02",
            quantity=Decimal(3), type=ReservationType.SALES,
            source=Source(SourceType.SALES_ORDER, "SO-EXPIRY"), owner_id="PLANT-A",
            expires_at=datetime.now(UTC) - timedelta(minutes=5),
        )
    )  # fmt: skip
    assert inventory.get_stock_level("RM-1002", "W02").available == before - 3
    assert sweep_once(gateway_app) >= 1
    after = client.get(f"/api/inventory/reservations/{made.id}", headers=staff_a).get_json()
    assert (after["status"], after["releaseReason"]) == ("RELEASED", "expired")
    assert inventory.get_stock_level("RM-1002", "W02").available == before
    feed = client.get(f"/api/events?after={cursor}", headers=staff_a).get_json()["events"]
    expired = [e for e in feed if e["type"] == "InventoryExpired" and e["aggregateId"] == made.id]
    assert len(expired) == 1
    sweep_once(gateway_app)
    feed = client.get(f"/api/events?after={cursor}", headers=staff_a).get_json()["events"]
    assert (
        len([e for e in feed if e["type"] == "InventoryExpired" and e["aggregateId"] == made.id])
        == 1
    )


def test_quantities_in_a_request_body_stay_exact_to_the_legacy_scale(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    made = client.post(
        "/api/inventory/reservations",
        data='{"itemSkuId": "RM-1002", "warehouseId": "W02", "quantity": 0.001,'
        ' "type": "SALES", "source": {"type": "sales_order", "id": "SO-EXACT"}}',
        headers={**staff_a, "Content-Type": "application/json"},
    )
    assert made.status_code == 201, made.data
    assert made.get_json()["quantity"] == Decimal("0.001")
    assert inventory.get_reservation(made.get_json()["id"]).quantity == Decimal("0.001")


def test_a_failed_batch_retried_with_the_same_key_reserves_anew(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    headers = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    set_available(inventory, "RM-1013", "W02", Decimal(5))
    lines = [body(quantity=1, source=source), body(sku="RM-1013", quantity=8, source=source)]
    failed = client.post(
        "/api/inventory/reservations/batch", json={"lines": lines}, headers=headers
    )
    assert failed.status_code == 409  # line 0 was reserved, then cancelled
    set_available(inventory, "RM-1013", "W02", Decimal(10))  # stock arrives; the client retries
    retry = client.post("/api/inventory/reservations/batch", json={"lines": lines}, headers=headers)
    assert retry.status_code == 201, retry.data
    assert [r["status"] for r in retry.get_json()["reservations"]] == ["OPEN", "OPEN"]
    listed = client.get(f"/api/inventory/reservations?sourceId={source['id']}&status=OPEN",
                        headers=staff_a).get_json()  # fmt: skip
    assert listed["total"] == 2


@pytest.mark.parametrize("odd", ["¹2", "٣", "12x"])
def test_a_reservation_id_the_legacy_system_cannot_hold_is_not_found(
    client: FlaskClient, staff_a: dict[str, str], odd: str
) -> None:
    for answer in (
        client.get(f"/api/inventory/reservations/{odd}", headers=staff_a),
        client.put(f"/api/inventory/reservations/{odd}/release", headers=staff_a),
        client.put(f"/api/inventory/reservations/{odd}/consume", headers=staff_a),
    ):
        assert answer.status_code == 404
        assert problem_code(answer) == "inventory.reservation.not_found"
