"""SQLite persistence of the work-order service: work orders, operations, materials, recipes.

Decimals are stored as TEXT so nothing is rounded; planned starts as ISO 8601 UTC text.
Each call opens its own connection, so the store is safe to share between server threads.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.workorders.schema import SCHEMA, TABLES

HEADER_COLUMNS = "id, status, recipe_name, batch_quantity, uom, planned_start, owner_id"


class NotFound(LookupError):
    """A work order, operation or recipe the caller named does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key


def utc_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class WorkOrderStore:
    """The service's tables in one SQLite file (WAL mode, a connection per call)."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path
        with closing(sqlite3.connect(db_path)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def seed(self, fixtures: dict[str, Any], replace: bool = False) -> None:
        """Load the fixtures' recipes and work orders once; ``replace`` discards what is there."""
        with self._transaction(write=True) as conn:
            if not replace and conn.execute("SELECT 1 FROM recipes LIMIT 1").fetchone():
                return
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            for recipe in fixtures["recipes"]:
                _insert_recipe(conn, recipe)
            for work_order in fixtures["workOrders"]:
                _insert_work_order(conn, work_order)

    def add_work_order(self, work_order: dict[str, Any]) -> None:
        """Insert one more work order, in the fixtures' format (tests make their own)."""
        with self._transaction(write=True) as conn:
            _insert_work_order(conn, work_order)

    def list_work_orders(
        self, owner_id: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Work-order headers, optionally of one owner and in one status, by id."""
        with self._transaction() as conn:
            rows = conn.execute(
                f"SELECT {HEADER_COLUMNS} FROM work_orders"  # noqa: S608 - fixed columns
                " WHERE (:owner IS NULL OR owner_id = :owner)"
                " AND (:status IS NULL OR status = :status) ORDER BY id",
                {"owner": owner_id, "status": status},
            ).fetchall()
        return [_header(row) for row in rows]

    def get_work_order(self, work_order_id: str) -> dict[str, Any]:
        """The work order with its operations and materials."""
        with self._transaction() as conn:
            return _work_order(conn, work_order_id)

    def get_recipe(self, name: str) -> dict[str, Any]:
        """The recipe with its batch rule, operations, allowed and rework items."""
        with self._transaction() as conn:
            row = conn.execute("SELECT * FROM recipes WHERE name = ?", (name,)).fetchone()
            if row is None:
                raise NotFound("recipe", name)
            return _recipe(conn, row)

    def update_work_order(
        self,
        work_order_id: str,
        batch_quantity: Decimal | None = None,
        planned_start: datetime | None = None,
        status: str | None = None,
    ) -> dict[str, Any]:
        """Change the given header fields; return the whole work order."""
        changes = {
            "batch_quantity": None if batch_quantity is None else str(batch_quantity),
            "planned_start": None if planned_start is None else utc_text(planned_start),
            "status": status,
        }
        with self._transaction(write=True) as conn:
            _header_row(conn, work_order_id)
            for column, value in changes.items():
                if value is not None:
                    conn.execute(
                        f"UPDATE work_orders SET {column} = ? WHERE id = ?",  # noqa: S608
                        (value, work_order_id),
                    )
            return _work_order(conn, work_order_id)

    def put_material(self, work_order_id: str, sequence: int, material: dict[str, Any]) -> bool:
        """Insert or replace one material of an operation; True when it was new."""
        with self._transaction(write=True) as conn:
            existed = _material_exists(conn, work_order_id, sequence, material["itemNumber"])
            _insert_material(conn, work_order_id, sequence, material)
            return not existed

    def delete_material(self, work_order_id: str, sequence: int, item_number: str) -> bool:
        """Remove one material of an operation if present; True when it was there."""
        with self._transaction(write=True) as conn:
            existed = _material_exists(conn, work_order_id, sequence, item_number)
            conn.execute(
                "DELETE FROM materials WHERE work_order_id = ? AND sequence = ?"
                " AND item_number = ?",
                (work_order_id, sequence, item_number),
            )
            return existed


def _insert_recipe(conn: sqlite3.Connection, recipe: dict[str, Any]) -> None:
    name, batch = recipe["name"], recipe["batch"]
    conn.execute(
        "INSERT INTO recipes VALUES (?, ?, ?, ?)",
        (name, batch["min"], batch["max"], batch["increment"]),
    )
    for op in recipe["operations"]:
        conn.execute(
            "INSERT INTO recipe_operations VALUES (?, ?, ?)", (name, op["sequence"], op["name"])
        )
        conn.executemany(
            "INSERT OR IGNORE INTO recipe_allowed_items VALUES (?, ?, ?)",
            [(name, op["sequence"], item) for item in op["allowedItems"]],
        )
    conn.executemany(
        "INSERT OR IGNORE INTO recipe_rework_items VALUES (?, ?)",
        [(name, item) for item in recipe["reworkItems"]],
    )


def _insert_work_order(conn: sqlite3.Connection, wo: dict[str, Any]) -> None:
    start = wo["plannedStart"]
    conn.execute(
        "INSERT INTO work_orders VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            wo["id"], wo["status"], wo["recipeName"], wo["batchQuantity"], wo["uom"],
            None if start is None else utc_text(datetime.fromisoformat(start)), wo["ownerId"],
        ),
    )  # fmt: skip
    for op in wo["operations"]:
        conn.execute(
            "INSERT INTO operations VALUES (?, ?, ?)", (wo["id"], op["sequence"], op["name"])
        )
        for material in op["materials"]:
            _insert_material(conn, wo["id"], op["sequence"], material)


def _insert_material(
    conn: sqlite3.Connection, work_order_id: str, sequence: int, material: dict[str, Any]
) -> None:
    conn.execute(
        "INSERT INTO materials VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET quantity = excluded.quantity, uom = excluded.uom,"
        " lot = excluded.lot, is_rework = excluded.is_rework",
        (
            work_order_id, sequence, material["itemNumber"], str(material["quantity"]),
            material["uom"], material.get("lot"), int(bool(material.get("isRework"))),
        ),
    )  # fmt: skip


def _header_row(conn: sqlite3.Connection, work_order_id: str) -> sqlite3.Row:
    row = conn.execute(
        f"SELECT {HEADER_COLUMNS} FROM work_orders WHERE id = ?",  # noqa: S608 - fixed columns
        (work_order_id,),
    ).fetchone()
    if row is None:
        raise NotFound("work_order", work_order_id)
    return row


def _operation_row(conn: sqlite3.Connection, work_order_id: str, sequence: int) -> None:
    _header_row(conn, work_order_id)
    found = conn.execute(
        "SELECT 1 FROM operations WHERE work_order_id = ? AND sequence = ?",
        (work_order_id, sequence),
    ).fetchone()
    if found is None:
        raise NotFound("operation", f"{work_order_id}/{sequence}")


def _material_exists(
    conn: sqlite3.Connection, work_order_id: str, sequence: int, item_number: str
) -> bool:
    _operation_row(conn, work_order_id, sequence)
    found = conn.execute(
        "SELECT 1 FROM materials WHERE work_order_id = ? AND sequence = ? AND item_number = ?",
        (work_order_id, sequence, item_number),
    ).fetchone()
    return found is not None


def _header(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "status": row["status"],
        "recipeName": row["recipe_name"],
        "batchQuantity": Decimal(row["batch_quantity"]),
        "uom": row["uom"],
        "plannedStart": row["planned_start"],
        "ownerId": row["owner_id"],
    }


def _work_order(conn: sqlite3.Connection, work_order_id: str) -> dict[str, Any]:
    work_order = _header(_header_row(conn, work_order_id))
    operations = {
        row["sequence"]: {"sequence": row["sequence"], "name": row["name"], "materials": []}
        for row in conn.execute(
            "SELECT sequence, name FROM operations WHERE work_order_id = ? ORDER BY sequence",
            (work_order_id,),
        )
    }
    for row in conn.execute(
        "SELECT * FROM materials WHERE work_order_id = ? ORDER BY sequence, rowid",
        (work_order_id,),
    ):
        operations[row["sequence"]]["materials"].append(_material(row))
    work_order["operations"] = list(operations.values())
    return work_order


def _material(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "itemNumber": row["item_number"],
        "quantity": Decimal(row["quantity"]),
        "uom": row["uom"],
        "lot": row["lot"],
        "isRework": bool(row["is_rework"]),
    }


def _recipe(conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
    name = row["name"]
    allowed: dict[int, list[str]] = {}
    for item in conn.execute(
        "SELECT sequence, item_number FROM recipe_allowed_items WHERE recipe_name = ?"
        " ORDER BY sequence, rowid",
        (name,),
    ):
        allowed.setdefault(item["sequence"], []).append(item["item_number"])
    operations = conn.execute(
        "SELECT sequence, name FROM recipe_operations WHERE recipe_name = ? ORDER BY sequence",
        (name,),
    ).fetchall()
    rework = conn.execute(
        "SELECT item_number FROM recipe_rework_items WHERE recipe_name = ? ORDER BY rowid", (name,)
    ).fetchall()
    return {
        "name": name,
        "batch": {key: Decimal(row[f"batch_{key}"]) for key in ("min", "max", "increment")},
        "operations": [
            {
                "sequence": op["sequence"],
                "name": op["name"],
                "allowedItems": allowed.get(op["sequence"], []),
            }
            for op in operations
        ],
        "reworkItems": [r["item_number"] for r in rework],
    }
