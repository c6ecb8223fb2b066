"""Shared helpers for the reservation API tests."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.model import InventoryTransaction, Source, SourceType


def body(sku: str = "RM-1002", quantity: str | int = "1", **overrides: Any) -> dict[str, Any]:
    """A valid create request (a sales-order line of PLANT-A in W02)."""
    request = {
        "itemSkuId": sku,
        "warehouseId": "W02",
        "quantity": Decimal(str(quantity)),
        "type": "SALES",
        "source": {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"},
        "ownerId": "PLANT-A",
        "priority": 50,
    }
    request.update(overrides)
    return request


def create(client: FlaskClient, headers: dict[str, str], **overrides: Any) -> Any:
    return client.post("/api/inventory/reservations", json=body(**overrides), headers=headers)


def set_available(
    inventory: InventorySoapClient, sku: str, warehouse: str, target: Decimal
) -> None:
    """Post a stock adjustment so that exactly ``target`` is available to promise."""
    from datetime import UTC, datetime

    level = inventory.get_stock_level(sku, warehouse)
    delta = target - level.available
    if delta:
        inventory.post_transaction(
            InventoryTransaction(
                reference=f"ADJ-{uuid.uuid4().hex[:16]}", item_sku_id=sku, warehouse_id=warehouse,
                quantity=delta, transaction_type="ADJ", transaction_date=datetime.now(UTC),
                source=Source(SourceType.TRANSACTION, "TEST-ADJ"),
            )
        )  # fmt: skip
    assert inventory.get_stock_level(sku, warehouse).available == target


def problem_code(response: Any) -> str:
    assert response.mimetype == "application/problem+json", response.data
    code: str = response.get_json()["code"]
    return code
