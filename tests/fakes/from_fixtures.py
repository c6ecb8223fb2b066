"""The fakes loaded from the sandbox's fixture format (docs/sandbox.md), so a test can seed
the fake and the sandbox with the very same world."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.model import (
    BatchRule,
    Item,
    Material,
    Operation,
    Recipe,
    RecipeOperation,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)
from tests.fakes.inventory import FakeInventory
from tests.fakes.work_orders import FakeWorkOrders

ZERO = Decimal(0)


def inventory_from_fixtures(fixtures: dict[str, Any]) -> FakeInventory:
    """Warehouses, items, stock and reservations, numbered 1, 2, … like the sandbox's seed;
    reserved totals follow from the OPEN reservations."""
    fake = FakeInventory(warehouses={w["id"]: w["ownerId"] for w in fixtures["warehouses"]})
    for row in fixtures["items"]:
        item = Item(row["sku"], row["description"], row["uom"], row["stockTracked"],
                    row["allowNegativeStock"])  # fmt: skip
        fake.items[item.sku_id] = item
    for row in fixtures["stock"]:
        fake.levels[(row["sku"], row["warehouseId"])] = _level(fake, row)
    for number, row in enumerate(fixtures.get("reservations", []), start=1):
        _seed_reservation(fake, _reservation(str(number), row))
    return fake


def work_orders_from_fixtures(fixtures: dict[str, Any]) -> FakeWorkOrders:
    """Recipes and work orders, as the sandbox's work-order service loads them."""
    recipes = {row["name"]: _recipe(row) for row in fixtures["recipes"]}
    return FakeWorkOrders({row["id"]: _work_order(row) for row in fixtures["workOrders"]}, recipes)


def _level(fake: FakeInventory, row: dict[str, Any]) -> StockLevel:
    item, warehouse = fake.items[row["sku"]], row["warehouseId"]
    return StockLevel(
        item.sku_id, warehouse, Decimal(row["onHand"]), ZERO, item.stock_tracked,
        item.allow_negative_stock, Decimal(row.get("minStockLevel", "0")),
        Decimal(row.get("reorderPoint", "0")), fake.warehouses.get(warehouse),
    )  # fmt: skip


def _seed_reservation(fake: FakeInventory, reservation: Reservation) -> None:
    fake.reservations[reservation.id] = reservation
    if reservation.status is ReservationStatus.OPEN:
        level = fake.level(reservation.item_sku_id, reservation.warehouse_id)
        moved = replace(level, reserved=level.reserved + reservation.quantity)
        fake.levels[(level.item_sku_id, level.warehouse_id)] = moved


def _reservation(number: str, row: dict[str, Any]) -> Reservation:
    status, created = ReservationStatus(row["status"]), _moment(row["createdAt"])
    released = status is ReservationStatus.RELEASED
    return Reservation(
        id=number, reference=row["reference"], item_sku_id=row["sku"],
        warehouse_id=row["warehouseId"], location=row.get("location"), lot=row.get("lot"),
        quantity=Decimal(row["quantity"]), uom=row.get("uom"),
        type=ReservationType(row["type"]),
        source=Source(SourceType(row["source"]["type"]), row["source"]["id"]),
        priority=int(row.get("priority", 50)), status=status, owner_id=row["ownerId"],
        created_at=created, created_by=row.get("createdBy"),
        expires_at=_moment(row.get("expiresAt")),
        release_reason=ReleaseReason.RELEASED if released else None,
        released_at=created if released else None,
        closed_at=created if status is ReservationStatus.CLOSED else None,
    )  # fmt: skip


def _recipe(row: dict[str, Any]) -> Recipe:
    batch = row["batch"]
    return Recipe(
        name=row["name"],
        batch=BatchRule(Decimal(batch["min"]), Decimal(batch["max"]), Decimal(batch["increment"])),
        operations=tuple(
            RecipeOperation(op["sequence"], op["name"], frozenset(op["allowedItems"]))
            for op in row["operations"]
        ),
        rework_items=frozenset(row["reworkItems"]),
    )


def _work_order(row: dict[str, Any]) -> WorkOrder:
    return WorkOrder(
        id=row["id"], status=WorkOrderStatus(row["status"]), recipe_name=row["recipeName"],
        batch_quantity=Decimal(row["batchQuantity"]), uom=row["uom"],
        planned_start=_moment(row["plannedStart"]), owner_id=row["ownerId"],
        operations=tuple(
            Operation(op["sequence"], op["name"], tuple(_material(m) for m in op["materials"]))
            for op in row["operations"]
        ),
    )  # fmt: skip


def _material(row: dict[str, Any]) -> Material:
    return Material(row["itemNumber"], Decimal(row["quantity"]), row["uom"], row.get("lot"),
                    bool(row.get("isRework")))  # fmt: skip


def _moment(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None
