"""GET /api/work-orders/{id}/reservations through the gateway, against the real sandbox."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient


def upstream_calls(sandbox: Any) -> int:
    return sum(sandbox.inventory.calls.counts().values()) + sum(
        sandbox.workorders.calls.counts().values()
    )


def test_work_order_materials_come_with_their_reservations(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    response = client.get("/api/work-orders/WO-1001/reservations", headers=staff_a)
    assert response.status_code == 200, response.data
    body = response.get_json()
    assert body["workOrder"]["status"] == "RELEASED"
    flour = next(m for m in body["materials"] if m["itemNumber"] == "RM-1001")
    assert flour["description"]
    lots = {(r["location"], r["lot"], r["quantity"]) for r in flour["reservations"]}
    assert ("A-01-01", "L2610-014", Decimal("150.000")) in lots
    assert all(
        r["source"] == {"type": "work_order", "id": "WO-1001"} for r in flour["reservations"]
    )
    assert b'"quantity": 150.000' in response.data


@pytest.mark.parametrize("work_order_id", ["WO-1005", "WO-3000"])
def test_round_trips_are_the_same_for_1_and_240_materials(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, work_order_id: str
) -> None:
    client.get("/api/work-orders/WO-1001/reservations", headers=staff_a)  # tokens cached
    before = upstream_calls(sandbox)
    response = client.get(f"/api/work-orders/{work_order_id}/reservations", headers=staff_a)
    assert response.status_code == 200
    materials = response.get_json()["materials"]
    assert len(materials) == (1 if work_order_id == "WO-1005" else 240)
    assert all(m["reservations"] for m in materials)
    assert upstream_calls(sandbox) - before == 3


def test_filters_reach_the_answer(client: FlaskClient, staff_a: dict[str, str]) -> None:
    response = client.get(
        "/api/work-orders/WO-1001/reservations?itemSkuId=RM-1001&status=OPEN&warehouseId=W01",
        headers=staff_a,
    )
    materials = response.get_json()["materials"]
    assert [m["itemNumber"] for m in materials] == ["RM-1001"]
    assert materials[0]["reservations"]
    assert all(r["status"] == "OPEN" for r in materials[0]["reservations"])


def test_unknown_work_order_is_404_with_its_code(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    response = client.get("/api/work-orders/WO-0000/reservations", headers=staff_a)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "workorder.not_found"


def test_work_order_of_another_plant_is_invisible(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    response = client.get("/api/work-orders/WO-2001/reservations", headers=staff_a)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda mint: mint(lifetime=-120), id="expired"),
        pytest.param(lambda mint: mint(audience="api://someone-else"), id="other-audience"),
        pytest.param(lambda mint: mint()[:-6] + "AAAAAA", id="bad-signature"),
        pytest.param(lambda mint: "not-a-jwt", id="garbage"),
    ],
)
def test_bad_tokens_are_unauthenticated(
    client: FlaskClient, mint: Callable[..., str], make_token: Callable[..., str]
) -> None:
    response = client.get(
        "/api/work-orders/WO-1001/reservations",
        headers={"Authorization": f"Bearer {make_token(mint)}"},
    )
    assert response.status_code == 401
    assert response.get_json()["code"] == "auth.unauthenticated"


def test_token_signed_by_a_foreign_key_is_unauthenticated(client: FlaskClient) -> None:
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode(
        {"sub": "x", "aud": "api://reservation-gateway", "iat": now, "exp": now + 600,
         "roles": ["Reservations.Manager"], "owners": ["*"]},
        key,
        algorithm="RS256",
        headers={"kid": "made-up"},
    )  # fmt: skip
    response = client.get(
        "/api/work-orders/WO-1001/reservations", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401


def test_stock_level_comes_from_the_legacy_balance(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    response = client.get("/api/inventory/items/RM-1001/stock?warehouseId=W01", headers=staff_a)
    assert response.status_code == 200
    body = response.get_json()
    assert body["onHand"] == Decimal("730.000")
    assert body["available"] == body["onHand"] - body["reserved"]


def test_unknown_item_stock_is_404(client: FlaskClient, staff_a: dict[str, str]) -> None:
    response = client.get("/api/inventory/items/NOPE/stock?warehouseId=W01", headers=staff_a)
    assert response.status_code == 404
    assert response.get_json()["code"] == "inventory.item.not_found"


def test_readyz_checks_every_dependency(client: FlaskClient, faults: Any) -> None:
    assert client.get("/readyz").get_json()["status"] == "ready"
    faults.workorders.knobs.update({"error_rate": 1.0})
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["workOrders"] == "upstream.unavailable"
    assert answer.get_json()["checks"]["inventory"] == "ok"


def test_upstream_outage_is_503_problem(
    client: FlaskClient, staff_a: dict[str, str], faults: Any
) -> None:
    faults.inventory.knobs.update({"error_rate": 1.0})
    response = client.get("/api/work-orders/WO-1001/reservations", headers=staff_a)
    assert response.status_code == 503
    assert response.get_json()["code"] == "upstream.unavailable"
