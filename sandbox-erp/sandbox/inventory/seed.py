"""Fixtures (the common JSON format of docs/sandbox.md) into the legacy inventory tables."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

TYPE_LETTERS = {"SALES": "S", "PRODUCTION": "P", "TRANSFER": "T", "SERVICE": "V"}
STATUS_LETTERS = {"OPEN": "O", "RELEASED": "R", "CLOSED": "C"}
SOURCE_CODES = {
    "work_order": "WO",
    "sales_order": "SO",
    "transfer": "TR",
    "appointment": "AP",
    "transaction": "TX",
}


def seed_tables(conn: sqlite3.Connection, fixtures: dict[str, Any]) -> None:
    """Insert every fixture row; reserved totals follow from the OPEN reservations."""
    for warehouse in fixtures["warehouses"]:
        conn.execute(
            "INSERT INTO warehouses VALUES (?, ?, ?)",
            (warehouse["id"], warehouse["ownerId"], warehouse.get("name")),
        )
    for item in fixtures["items"]:
        conn.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
            (item["sku"], item["description"], item["uom"], int(item["stockTracked"]),
             int(item["allowNegativeStock"])),
        )  # fmt: skip
    for stock in fixtures["stock"]:
        _seed_stock(conn, stock)
    reserved: dict[tuple[str, str], Decimal] = {}
    for reservation in fixtures.get("reservations", []):
        _seed_reservation(conn, reservation)
        if reservation["status"] == "OPEN":
            key = (reservation["sku"], reservation["warehouseId"])
            reserved[key] = reserved.get(key, Decimal(0)) + Decimal(reservation["quantity"])
    for (sku, warehouse), quantity in reserved.items():
        conn.execute(
            "INSERT INTO balances VALUES (?, ?, '0', ?, '0', '0')"
            " ON CONFLICT (sku, warehouse) DO UPDATE SET reserved = excluded.reserved",
            (sku, warehouse, str(quantity)),
        )


def _seed_stock(conn: sqlite3.Connection, stock: dict[str, Any]) -> None:
    minimum = str(Decimal(stock.get("minStockLevel", "0")))
    reorder_point = str(Decimal(stock.get("reorderPoint", "0")))
    conn.execute(
        "INSERT INTO balances VALUES (?, ?, ?, '0', ?, ?)",
        (stock["sku"], stock["warehouseId"], str(Decimal(stock["onHand"])), minimum, reorder_point),
    )
    for bin_ in stock.get("bins", []):
        conn.execute(
            "INSERT INTO bins VALUES (?, ?, ?, ?, ?)",
            (stock["sku"], stock["warehouseId"], bin_.get("location"), bin_.get("lot"),
             str(Decimal(bin_["onHand"]))),
        )  # fmt: skip


def _seed_reservation(conn: sqlite3.Connection, r: dict[str, Any]) -> None:
    status = STATUS_LETTERS[r["status"]]
    created = _utc(r["createdAt"])
    conn.execute(
        "INSERT INTO reservations (refno, sku, warehouse, location, lot, quantity, uom, type,"
        " source_type, source_id, priority, status, release_reason, owner, created_at,"
        " created_by, expires_at, released_at, closed_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (r["reference"], r["sku"], r["warehouseId"], r.get("location"), r.get("lot"),
         str(Decimal(r["quantity"])), r.get("uom"), TYPE_LETTERS[r["type"]],
         SOURCE_CODES[r["source"]["type"]], r["source"]["id"], int(r.get("priority", 50)), status,
         "R" if status == "R" else None, r["ownerId"], created, r.get("createdBy"),
         _utc(r.get("expiresAt")), created if status == "R" else None,
         created if status == "C" else None),
    )  # fmt: skip


def _utc(stamp: str | None) -> str | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp).astimezone(UTC).isoformat(timespec="seconds")
