"""The bench's own sandbox data: work orders of 1 to 500 materials and 10,000 listed reservations.

Written in the fixture format of docs/sandbox.md and checked with the sandbox's own loader.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sandbox.fixtures import load_fixtures

WORK_ORDER_SIZES = (1, 10, 100, 500)
ITEM_COUNT = 640
LISTED_RESERVATIONS = 10_000
LISTED_ITEMS = 50
PLANT = "PLANT-A"
LISTING_OWNER = "PLANT-L"
WAREHOUSE = "W01"
LISTING_WAREHOUSE = "W09"
CREATED = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def work_order_id(materials: int) -> str:
    """The bench work order with ``materials`` materials."""
    return f"WO-N{materials}"


def sku(number: int) -> str:
    return f"BM-{number:05d}"


def listed_sku(number: int) -> str:
    """Items of the listed reservations: the last ones, in no work order."""
    return sku(ITEM_COUNT - number % LISTED_ITEMS)


def spare_sku(number: int) -> str:
    """Items in no work order and no listing, for the reservations the bench creates."""
    return sku(
        max(WORK_ORDER_SIZES) + 1 + number % (ITEM_COUNT - max(WORK_ORDER_SIZES) - LISTED_ITEMS)
    )


def write_fixtures(directory: Path) -> Path:
    """Write the bench fixtures into ``directory``, validate them and return the file."""
    path = directory / "bench-fixtures.json"
    path.write_text(json.dumps(bench_fixtures()), encoding="utf-8")
    load_fixtures(path)  # raises FixtureError naming the entry if the generator is wrong
    return path


def bench_fixtures() -> dict[str, Any]:
    """The whole data set, deterministic."""
    work_orders, material_reservations = _work_orders()
    return {
        "plantTimezone": "Europe/Berlin",
        "owners": [
            {"id": PLANT, "name": "Bench plant"},
            {"id": LISTING_OWNER, "name": "Bench plant with 10,000 reservations"},
        ],
        "warehouses": [
            {"id": WAREHOUSE, "ownerId": PLANT, "name": "Bench store"},
            {"id": LISTING_WAREHOUSE, "ownerId": LISTING_OWNER, "name": "Bench listing store"},
        ],
        "items": [_item(n) for n in range(1, ITEM_COUNT + 1)],
        "stock": _stock(),
        "reservations": material_reservations + _listed_reservations(),
        "recipes": [_recipe()],
        "workOrders": work_orders,
    }


def _item(number: int) -> dict[str, Any]:
    return {
        "sku": sku(number),
        "description": f"Bench material {number}",
        "uom": "KG",
        "stockTracked": True,
        "allowNegativeStock": False,
    }


def _stock() -> list[dict[str, Any]]:
    rows = [_balance(sku(n), WAREHOUSE) for n in range(1, ITEM_COUNT + 1)]
    rows += [_balance(listed_sku(n), LISTING_WAREHOUSE) for n in range(LISTED_ITEMS)]
    return rows


def _balance(item: str, warehouse: str) -> dict[str, Any]:
    return {
        "sku": item,
        "warehouseId": warehouse,
        "onHand": "1000000.000",
        "minStockLevel": "10.000",
        "reorderPoint": "20.000",
        "bins": [{"location": "B-01-01", "lot": "LOT-1", "onHand": "1000000.000"}],
    }


def _recipe() -> dict[str, Any]:
    return {
        "name": "BENCH",
        "batch": {"min": "100", "max": "1000", "increment": "50"},
        "operations": [{"sequence": 10, "name": "Mixing", "allowedItems": []}],
        "reworkItems": [],
    }


def _work_orders() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    orders, reservations = [], []
    for size in WORK_ORDER_SIZES:
        order_id = work_order_id(size)
        materials = [_material(n) for n in range(1, size + 1)]
        operations = [
            {"sequence": 10 * (op + 1), "name": f"Step {op + 1}", "materials": materials[op::5]}
            for op in range(min(5, size))
        ]
        orders.append({
            "id": order_id, "status": "RELEASED", "recipeName": "BENCH",
            "batchQuantity": "500", "uom": "KG", "plannedStart": "2027-03-15T05:00:00+00:00",
            "ownerId": PLANT, "operations": operations,
        })  # fmt: skip
        reservations += [
            _reservation(f"{order_id}-{n:04d}", sku(n), WAREHOUSE, PLANT, "PRODUCTION",
                         ("work_order", order_id), priority=60, age=n)
            for n in range(1, size + 1)
        ]  # fmt: skip
    return orders, reservations


def _material(number: int) -> dict[str, Any]:
    return {"itemNumber": sku(number), "quantity": "2.500", "uom": "KG", "lot": None,
            "isRework": False}  # fmt: skip


def _listed_reservations() -> list[dict[str, Any]]:
    return [
        _reservation(f"LIST-{n:05d}", listed_sku(n), LISTING_WAREHOUSE,
                     LISTING_OWNER, "SALES", ("sales_order", f"SO-L{n // 10:04d}"),
                     priority=n % 100, age=n, expires=n % 3 == 0)
        for n in range(LISTED_RESERVATIONS)
    ]  # fmt: skip


def _reservation(
    reference: str,
    item: str,
    warehouse: str,
    owner: str,
    kind: str,
    source: tuple[str, str],
    priority: int,
    age: int,
    expires: bool = False,
) -> dict[str, Any]:
    created = CREATED + timedelta(seconds=age)
    return {
        "reference": reference,
        "sku": item,
        "warehouseId": warehouse,
        "location": "B-01-01",
        "lot": "LOT-1",
        "quantity": "1.250",
        "uom": "KG",
        "type": kind,
        "source": {"type": source[0], "id": source[1]},
        "priority": priority,
        "status": "OPEN",
        "ownerId": owner,
        "createdAt": created.isoformat(),
        "createdBy": "bench",
        "expiresAt": (created + timedelta(days=400)).isoformat() if expires else None,
    }
