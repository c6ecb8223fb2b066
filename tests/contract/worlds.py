"""The worlds both sides of a contract test start from, in the sandbox's fixture format."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")


def _item(sku: str, uom: str, tracked: bool = True, negative: bool = False) -> dict[str, Any]:
    return {"sku": sku, "description": f"item {sku}", "uom": uom, "stockTracked": tracked,
            "allowNegativeStock": negative}  # fmt: skip


def _stock(sku: str, warehouse: str, on_hand: str, reorder_point: str = "0") -> dict[str, Any]:
    return {"sku": sku, "warehouseId": warehouse, "onHand": on_hand, "minStockLevel": "5",
            "reorderPoint": reorder_point}  # fmt: skip


def _reservation(reference: str, quantity: str, status: str, created: str) -> dict[str, Any]:
    return {
        "reference": reference, "sku": "RM-1", "warehouseId": "W01", "location": "A-01",
        "lot": "L1", "quantity": quantity, "uom": "KG", "type": "PRODUCTION",
        "source": {"type": "work_order", "id": "WO-C1"}, "priority": 60, "status": status,
        "ownerId": "PLANT-A", "createdAt": created, "createdBy": "planner", "expiresAt": None,
    }  # fmt: skip


INVENTORY_WORLD: dict[str, Any] = {
    "warehouses": [{"id": "W01", "ownerId": "PLANT-A"}, {"id": "W02", "ownerId": "PLANT-B"}],
    "items": [
        _item("RM-1", "KG"),
        _item("RM-2", "KG"),
        _item("RM-NEG", "L", negative=True),
        _item("SV-1", "H", tracked=False),
    ],
    "stock": [
        _stock("RM-1", "W01", "100.000", reorder_point="10"),
        _stock("RM-1", "W02", "8.000", reorder_point="10"),
        _stock("RM-NEG", "W01", "50.000"),
    ],
    "reservations": [
        _reservation("FIX-1", "30.000", "OPEN", "2026-11-02T06:00:00Z"),
        _reservation("FIX-2", "5.000", "RELEASED", "2026-11-02T06:10:00Z"),
    ],
}
"""RM-1 in W01: 100 on hand, 30 held by an OPEN reservation, 5 by a RELEASED one (no longer
counted): 70 available. RM-1 in W02 is low (8 ≤ 10); RM-2 is stocked nowhere."""


def _material(item: str, quantity: str, rework: bool = False) -> dict[str, Any]:
    return {"itemNumber": item, "quantity": quantity, "uom": "KG", "lot": None,
            "isRework": rework}  # fmt: skip


BREAD_C = {
    "name": "BREAD-C", "batch": {"min": "100", "max": "1000", "increment": "50"},
    "operations": [
        {"sequence": 10, "name": "Mixing", "allowedItems": ["RM-1", "RM-2", "RW-9"]},
        {"sequence": 20, "name": "Baking", "allowedItems": ["RM-3"]},
    ],
    "reworkItems": ["RW-9"],
}  # fmt: skip

WO_C1 = {
    "id": "WO-C1", "status": "RELEASED", "recipeName": "BREAD-C", "batchQuantity": "500",
    "uom": "KG", "plannedStart": "2027-03-15T05:00:00+00:00", "ownerId": "PLANT-A",
    "operations": [
        {"sequence": 10, "name": "Mixing",
         "materials": [_material("RM-1", "250.000"), _material("RW-9", "12.500", rework=True)]},
        {"sequence": 20, "name": "Baking", "materials": []},
    ],
}  # fmt: skip

WORK_ORDER_WORLD: dict[str, Any] = {"recipes": [BREAD_C], "workOrders": [WO_C1]}
"""WO-C1 on BREAD-C: flour and rework dough in Mixing, nothing yet in Baking."""
