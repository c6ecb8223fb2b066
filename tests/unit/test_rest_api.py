from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.domain.errors import UpstreamUnavailable
from gateway.domain.model import (
    Item,
    Material,
    Operation,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)
from gateway.domain.principal import Principal
from gateway.domain.roles import ADMIN, STAFF
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders

STAFF_A = {"Authorization": "Bearer staff-a"}


@pytest.fixture
def inventory() -> FakeInventory:
    fake = FakeInventory()
    fake.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    fake.levels[("RM-1", "W01")] = StockLevel(
        "RM-1",
        "W01",
        Decimal("100.125"),
        Decimal("0.1"),
        True,
        False,
        Decimal(5),
        Decimal(10),
        "PLANT-A",
    )
    return fake


@pytest.fixture
def app(inventory: FakeInventory) -> Flask:
    order = WorkOrder(
        "WO-1", WorkOrderStatus.RELEASED, "R", Decimal("500"), "KG",
        datetime(2027, 1, 1, tzinfo=UTC), "PLANT-A",
        (Operation(10, "Mix", (Material("RM-1", Decimal("0.3"), "KG"),)),),
    )  # fmt: skip
    validator = FakeTokenValidator(
        {
            "staff-a": Principal("s", frozenset({STAFF}), frozenset({"PLANT-A"})),
            "admin": Principal("a", frozenset({ADMIN}), frozenset({"PLANT-A"})),
        }
    )
    return create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://"},
        adapters=Adapters(inventory, FakeWorkOrders({"WO-1": order}), validator),
    )


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def test_work_order_reservations_are_returned_with_exact_quantities(client: FlaskClient) -> None:
    response = client.get("/api/work-orders/WO-1/reservations", headers=STAFF_A)
    assert response.status_code == 200
    assert b'"quantity": 0.3' in response.data
    body = response.get_json()
    assert body["workOrder"]["id"] == "WO-1"
    assert body["materials"][0]["description"] == "Flour"


def test_unknown_work_order_is_a_problem_with_its_code(client: FlaskClient) -> None:
    response = client.get("/api/work-orders/WO-404/reservations", headers=STAFF_A)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "workorder.not_found"


@pytest.mark.parametrize("header", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "x"}])
def test_missing_or_bad_token_is_unauthenticated(client: FlaskClient, header: dict) -> None:
    response = client.get("/api/work-orders/WO-1/reservations", headers=header)
    assert response.status_code == 401
    assert response.get_json()["code"] == "auth.unauthenticated"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_caller_without_a_reservation_role_is_forbidden(client: FlaskClient) -> None:
    response = client.get(
        "/api/work-orders/WO-1/reservations", headers={"Authorization": "Bearer admin"}
    )
    assert response.status_code == 403
    assert response.get_json()["code"] == "auth.forbidden"


def test_invalid_filter_lists_the_field(client: FlaskClient) -> None:
    response = client.get("/api/work-orders/WO-1/reservations?status=BOGUS", headers=STAFF_A)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "request.invalid"
    assert "status" in body["errors"]


def test_stock_level_reports_available_to_promise(client: FlaskClient) -> None:
    response = client.get("/api/inventory/items/RM-1/stock?warehouseId=W01", headers=STAFF_A)
    assert response.status_code == 200
    body = response.get_json()
    assert body["available"] == Decimal("100.025")
    assert b'"onHand": 100.125' in response.data


def test_stock_level_needs_a_warehouse(client: FlaskClient) -> None:
    response = client.get("/api/inventory/items/RM-1/stock", headers=STAFF_A)
    assert response.status_code == 400
    assert "warehouseId" in response.get_json()["errors"]


def test_upstream_down_is_503_with_its_code(client: FlaskClient, inventory: FakeInventory) -> None:
    def down(*args: object) -> None:
        raise UpstreamUnavailable("inventory")

    inventory.get_stock_level = down  # type: ignore[method-assign]
    response = client.get("/api/inventory/items/RM-1/stock?warehouseId=W01", headers=STAFF_A)
    assert response.status_code == 503
    assert response.get_json()["code"] == "upstream.unavailable"


def test_an_unexpected_error_hides_its_details(
    client: FlaskClient, inventory: FakeInventory
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("secret=hunter2 at line 42")

    inventory.get_stock_level = broken  # type: ignore[method-assign]
    response = client.get(
        "/api/inventory/items/RM-1/stock?warehouseId=W01",
        headers={**STAFF_A, "X-Request-ID": "corr-123"},
    )
    assert response.status_code == 500
    body = response.get_json()
    assert body["code"] == "internal.error"
    assert body["correlationId"] == "corr-123"
    assert b"hunter2" not in response.data and b"Traceback" not in response.data


def test_unknown_route_is_a_problem_too(client: FlaskClient) -> None:
    response = client.get("/api/nothing-here", headers=STAFF_A)
    assert response.status_code == 404
    assert response.get_json()["code"] == "request.not_found"


def test_openapi_document_describes_the_endpoints(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/work-orders/{work_order_id}/reservations" in spec["paths"]
    assert "/api/inventory/items/{sku}/stock" in spec["paths"]
    assert client.get("/docs/").status_code == 200


def test_healthz_answers_without_a_token(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
