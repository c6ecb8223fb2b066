"""Shared helpers for the reservation API tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
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


def later(**delta: float) -> str:
    """An ISO time that far from now (``later(hours=1)``, ``later(minutes=-1)``)."""
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def moment(stamp: str | None) -> datetime | None:
    return None if stamp is None else datetime.fromisoformat(stamp)


def events_after(client: FlaskClient, headers: dict[str, str], cursor: int) -> list[Any]:
    """Every event of the feed after ``cursor`` the caller may see, page by page."""
    seen: list[Any] = []
    while True:
        page = client.get(f"/api/events?after={cursor}&limit=500", headers=headers).get_json()
        if not page["events"]:
            return seen
        seen += page["events"]
        cursor = page["nextCursor"]


def cursor_now(client: FlaskClient, headers: dict[str, str]) -> int:
    """The feed's end as this caller sees it: what a test's own events come after."""
    first = client.get("/api/events?after=0&limit=1", headers=headers).get_json()
    cursor: int = first["nextCursor"]
    return max(cursor, *(e["id"] for e in events_after(client, headers, cursor)), 0)


def end_open_backorders(gateway_app: Any) -> None:
    """Cancel, in the database, every backorder other tests left OPEN: a test that counts its
    filler's fills must not count theirs (a pass fills every pair that has stock)."""
    from sqlalchemy import update

    from gateway.store.tables import backorders

    with gateway_app.extensions["gateway"].store.engine.begin() as connection:
        connection.execute(
            update(backorders)
            .where(backorders.c.status == "OPEN")
            .values(status="CANCELLED", ended_at=datetime.now(UTC))
        )
