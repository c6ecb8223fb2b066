"""The legacy inventory system's tables on SQLite: items, balances, reservations, transactions.

Times are stored as UTC ISO strings; the SOAP layer renders them in plant-local time.
Every write runs in one ``BEGIN IMMEDIATE`` transaction, so concurrent reserves are
serialised by SQLite and can never oversell.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.inventory.errors import (
    INSUFFICIENT_STOCK,
    INVALID_CODE,
    INVALID_QUANTITY,
    ITEM_NOT_FOUND,
    ITEM_NOT_STOCK_TRACKED,
    REFERENCE_REUSED,
    RESERVATION_ALREADY_CLOSED,
    RESERVATION_ALREADY_RELEASED,
    RESERVATION_NOT_FOUND,
    WAREHOUSE_NOT_FOUND,
    LegacyError,
)
from sandbox.inventory.seed import seed_tables

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    sku TEXT PRIMARY KEY, description TEXT NOT NULL, uom TEXT NOT NULL,
    stock_tracked INTEGER NOT NULL, allow_negative INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS warehouses (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS balances (
    sku TEXT NOT NULL, warehouse TEXT NOT NULL, on_hand TEXT NOT NULL, reserved TEXT NOT NULL,
    min_stock TEXT NOT NULL, reorder_point TEXT NOT NULL, PRIMARY KEY (sku, warehouse));
CREATE TABLE IF NOT EXISTS bins (
    sku TEXT NOT NULL, warehouse TEXT NOT NULL, location TEXT, lot TEXT, on_hand TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT, refno TEXT UNIQUE, sku TEXT NOT NULL,
    warehouse TEXT NOT NULL, location TEXT, lot TEXT, quantity TEXT NOT NULL, uom TEXT,
    type TEXT NOT NULL, source_type TEXT NOT NULL, source_id TEXT NOT NULL,
    priority INTEGER NOT NULL, status TEXT NOT NULL, release_reason TEXT, owner TEXT NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT, expires_at TEXT, released_at TEXT,
    closed_at TEXT);
CREATE INDEX IF NOT EXISTS reservations_by_source ON reservations (source_id);
CREATE INDEX IF NOT EXISTS reservations_by_item ON reservations (sku, warehouse);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, refno TEXT UNIQUE, sku TEXT NOT NULL,
    warehouse TEXT NOT NULL, location TEXT, lot TEXT, quantity TEXT NOT NULL, type TEXT NOT NULL,
    transaction_date TEXT NOT NULL, source_type TEXT, source_id TEXT,
    previous_on_hand TEXT NOT NULL, new_on_hand TEXT NOT NULL, posted_at TEXT NOT NULL);
"""

RESERVATION_TYPES = {"S", "P", "T", "V"}
SOURCE_TYPES = {"WO", "SO", "TR", "AP", "TX"}
RELEASE_REASONS = {"R", "E", "C"}


@dataclass(frozen=True)
class NewReservation:
    refno: str
    sku: str
    warehouse: str
    quantity: Decimal
    type: str
    source_type: str
    source_id: str
    owner: str
    priority: int = 50
    uom: str | None = None
    location: str | None = None
    lot: str | None = None
    expires_at: str | None = None
    created_by: str | None = None
    override: bool = False

    def same_request_as(self, row: sqlite3.Row) -> bool:
        """Whether a stored reservation was made by this very request (a retry)."""
        return (
            row["sku"] == self.sku
            and row["warehouse"] == self.warehouse
            and Decimal(row["quantity"]) == self.quantity
            and row["source_id"] == self.source_id
        )


@dataclass(frozen=True)
class NewTransaction:
    refno: str
    sku: str
    warehouse: str
    quantity: Decimal
    type: str
    transaction_date: str
    source_type: str | None = None
    source_id: str | None = None
    location: str | None = None
    lot: str | None = None


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class InventoryStore:
    """The inventory tables; read methods return ``sqlite3.Row`` objects."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()

    def seed(self, fixtures: dict[str, Any]) -> None:
        """Load items, warehouses, stock and reservations from fixtures (once)."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM items LIMIT 1").fetchone():
                return
            seed_tables(conn, fixtures)

    # --- reads -------------------------------------------------------------

    def item(self, sku: str) -> sqlite3.Row:
        with self._read() as conn:
            return _item(conn, sku)

    def items(self, skus: Sequence[str]) -> list[sqlite3.Row]:
        with self._read() as conn:
            marks = ",".join("?" * len(skus))
            return conn.execute(f"SELECT * FROM items WHERE sku IN ({marks})", skus).fetchall()  # noqa: S608

    def balances(self, skus: Sequence[str]) -> list[sqlite3.Row]:
        with self._read() as conn:
            marks = ",".join("?" * len(skus))
            sql = f"SELECT * FROM balances WHERE sku IN ({marks}) ORDER BY sku, warehouse"  # noqa: S608
            return conn.execute(sql, skus).fetchall()

    def balance(self, sku: str, warehouse: str) -> sqlite3.Row:
        with self._read() as conn:
            _item(conn, sku)
            return _balance(conn, sku, warehouse)

    def reservation(self, reservation_id: str) -> sqlite3.Row:
        with self._read() as conn:
            return _reservation(conn, reservation_id)

    def reservations_by_item(self, sku: str, warehouse: str | None) -> list[sqlite3.Row]:
        with self._read() as conn:
            if warehouse:
                sql = "SELECT * FROM reservations WHERE sku = ? AND warehouse = ? ORDER BY id"
                return conn.execute(sql, (sku, warehouse)).fetchall()
            sql = "SELECT * FROM reservations WHERE sku = ? ORDER BY id"
            return conn.execute(sql, (sku,)).fetchall()

    def reservations_by_sources(self, source_ids: Sequence[str]) -> list[sqlite3.Row]:
        with self._read() as conn:
            marks = ",".join("?" * len(source_ids))
            sql = f"SELECT * FROM reservations WHERE source_id IN ({marks}) ORDER BY id"  # noqa: S608
            return conn.execute(sql, source_ids).fetchall()

    def transactions(self, source_id: str | None = None) -> list[sqlite3.Row]:
        with self._read() as conn:
            if source_id is None:
                return conn.execute("SELECT * FROM transactions ORDER BY id").fetchall()
            sql = "SELECT * FROM transactions WHERE source_id = ? ORDER BY id"
            return conn.execute(sql, (source_id,)).fetchall()

    # --- writes ------------------------------------------------------------

    def reserve(self, new: NewReservation) -> sqlite3.Row:
        """Reserve atomically; a repeated REFNO returns the reservation it made."""
        if new.quantity <= 0:
            raise LegacyError(INVALID_QUANTITY)
        if new.type not in RESERVATION_TYPES or new.source_type not in SOURCE_TYPES:
            raise LegacyError(INVALID_CODE)
        with self._write() as conn:
            existing = conn.execute(
                "SELECT * FROM reservations WHERE refno = ?", (new.refno,)
            ).fetchone()
            if existing is not None:
                if not new.same_request_as(existing):
                    raise LegacyError(REFERENCE_REUSED)
                return existing
            item = _item(conn, new.sku)
            if not item["stock_tracked"]:
                raise LegacyError(ITEM_NOT_STOCK_TRACKED)
            balance = _balance(conn, new.sku, new.warehouse)
            available = Decimal(balance["on_hand"]) - Decimal(balance["reserved"])
            if new.quantity > available and not (new.override or item["allow_negative"]):
                raise LegacyError(INSUFFICIENT_STOCK, f"INSUFFICIENT STOCK AVAIL {available}")
            _add_reserved(conn, new.sku, new.warehouse, new.quantity)
            cursor = conn.execute(
                "INSERT INTO reservations (refno, sku, warehouse, location, lot, quantity, uom,"
                " type, source_type, source_id, priority, status, owner, created_at, created_by,"
                " expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'O',?,?,?,?)",
                (new.refno, new.sku, new.warehouse, new.location, new.lot, str(new.quantity),
                 new.uom or item["uom"], new.type, new.source_type, new.source_id, new.priority,
                 new.owner, utc_now(), new.created_by, new.expires_at),
            )  # fmt: skip
            return _reservation(conn, str(cursor.lastrowid))

    def release(self, reservation_id: str, reason: str) -> sqlite3.Row:
        """OPEN → RELEASED; what was reserved becomes available again."""
        if reason not in RELEASE_REASONS:
            raise LegacyError(INVALID_CODE)
        with self._write() as conn:
            row = _open_reservation(conn, reservation_id)
            _add_reserved(conn, row["sku"], row["warehouse"], -Decimal(row["quantity"]))
            conn.execute(
                "UPDATE reservations SET status = 'R', release_reason = ?, released_at = ?"
                " WHERE id = ?",
                (reason, utc_now(), row["id"]),
            )
            return _reservation(conn, reservation_id)

    def consume(self, reservation_id: str, refno: str) -> tuple[sqlite3.Row, sqlite3.Row]:
        """OPEN → CLOSED; on-hand and reserved drop, a transaction records the movement."""
        with self._write() as conn:
            row = _open_reservation(conn, reservation_id)
            quantity = Decimal(row["quantity"])
            _add_reserved(conn, row["sku"], row["warehouse"], -quantity)
            conn.execute(
                "UPDATE reservations SET status = 'C', closed_at = ? WHERE id = ?",
                (utc_now(), row["id"]),
            )
            movement = NewTransaction(
                refno=refno, sku=row["sku"], warehouse=row["warehouse"], quantity=-quantity,
                type="CNS", transaction_date=utc_now(), source_type=row["source_type"],
                source_id=row["source_id"], location=row["location"], lot=row["lot"],
            )  # fmt: skip
            transaction = _post(conn, movement, allow_negative=True)
            return _reservation(conn, reservation_id), transaction

    def post_transaction(self, new: NewTransaction) -> sqlite3.Row:
        """Move stock; a repeated REFNO returns the transaction it posted."""
        if new.quantity == 0:
            raise LegacyError(INVALID_QUANTITY)
        with self._write() as conn:
            existing = conn.execute(
                "SELECT * FROM transactions WHERE refno = ?", (new.refno,)
            ).fetchone()
            if existing is not None:
                return existing
            item = _item(conn, new.sku)
            return _post(conn, new, allow_negative=bool(item["allow_negative"]))


def _item(conn: sqlite3.Connection, sku: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM items WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        raise LegacyError(ITEM_NOT_FOUND)
    return row


def _balance(conn: sqlite3.Connection, sku: str, warehouse: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM balances WHERE sku = ? AND warehouse = ?", (sku, warehouse)
    ).fetchone()
    if row is not None:
        return row
    if conn.execute("SELECT 1 FROM warehouses WHERE id = ?", (warehouse,)).fetchone() is None:
        raise LegacyError(WAREHOUSE_NOT_FOUND)
    conn.execute(
        "INSERT INTO balances VALUES (?, ?, '0', '0', '0', '0')", (sku, warehouse)
    )  # an item never stocked in a warehouse has a zero balance there
    return _balance(conn, sku, warehouse)


def _reservation(conn: sqlite3.Connection, reservation_id: str) -> sqlite3.Row:
    if not reservation_id.strip().isdigit():
        raise LegacyError(RESERVATION_NOT_FOUND)
    row = conn.execute("SELECT * FROM reservations WHERE id = ?", (int(reservation_id),)).fetchone()
    if row is None:
        raise LegacyError(RESERVATION_NOT_FOUND)
    return row


def _open_reservation(conn: sqlite3.Connection, reservation_id: str) -> sqlite3.Row:
    row = _reservation(conn, reservation_id)
    if row["status"] == "R":
        raise LegacyError(RESERVATION_ALREADY_RELEASED)
    if row["status"] == "C":
        raise LegacyError(RESERVATION_ALREADY_CLOSED)
    return row


def _add_reserved(conn: sqlite3.Connection, sku: str, warehouse: str, delta: Decimal) -> None:
    balance = _balance(conn, sku, warehouse)
    conn.execute(
        "UPDATE balances SET reserved = ? WHERE sku = ? AND warehouse = ?",
        (str(Decimal(balance["reserved"]) + delta), sku, warehouse),
    )


def _post(conn: sqlite3.Connection, new: NewTransaction, allow_negative: bool) -> sqlite3.Row:
    balance = _balance(conn, new.sku, new.warehouse)
    previous = Decimal(balance["on_hand"])
    current = previous + new.quantity
    if current < 0 and not allow_negative:
        raise LegacyError(INSUFFICIENT_STOCK)
    conn.execute(
        "UPDATE balances SET on_hand = ? WHERE sku = ? AND warehouse = ?",
        (str(current), new.sku, new.warehouse),
    )
    cursor = conn.execute(
        "INSERT INTO transactions (refno, sku, warehouse, location, lot, quantity, type,"
        " transaction_date, source_type, source_id, previous_on_hand, new_on_hand, posted_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (new.refno, new.sku, new.warehouse, new.location, new.lot, str(new.quantity), new.type,
         new.transaction_date, new.source_type, new.source_id, str(previous), str(current),
         utc_now()),
    )  # fmt: skip
    return conn.execute("SELECT * FROM transactions WHERE id = ?", (cursor.lastrowid,)).fetchone()
