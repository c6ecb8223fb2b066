"""The inventory tables' schema and the row-level helpers every write shares.

Quantities are stored as decimal TEXT; ``at_or_below`` compares them exactly inside SQL.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.inventory.errors import (
    INSUFFICIENT_STOCK,
    ITEM_NOT_FOUND,
    RESERVATION_ALREADY_CLOSED,
    RESERVATION_ALREADY_RELEASED,
    RESERVATION_NOT_FOUND,
    WAREHOUSE_NOT_FOUND,
    LegacyError,
)
from sandbox.inventory.quantity import TOTAL_TOO_WIDE, check_quantity

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
    closed_at TEXT, release_refno TEXT);
CREATE INDEX IF NOT EXISTS reservations_by_source ON reservations (source_id);
CREATE INDEX IF NOT EXISTS reservations_by_item ON reservations (sku, warehouse);
CREATE INDEX IF NOT EXISTS reservations_by_rank ON reservations (priority DESC, created_at, id);
CREATE INDEX IF NOT EXISTS reservations_by_status ON reservations (status, expires_at);
CREATE INDEX IF NOT EXISTS reservations_by_owner ON reservations (owner);
CREATE INDEX IF NOT EXISTS warehouses_by_owner ON warehouses (owner_id);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, refno TEXT UNIQUE, sku TEXT NOT NULL,
    warehouse TEXT NOT NULL, location TEXT, lot TEXT, quantity TEXT NOT NULL, type TEXT NOT NULL,
    transaction_date TEXT NOT NULL, source_type TEXT, source_id TEXT,
    previous_on_hand TEXT NOT NULL, new_on_hand TEXT NOT NULL, posted_at TEXT NOT NULL,
    reservation_id INTEGER);
CREATE TABLE IF NOT EXISTS expiry_changes (
    refno TEXT PRIMARY KEY, reservation_id INTEGER NOT NULL, expires_at TEXT,
    changed_at TEXT NOT NULL);
"""

RESERVATION_TYPES = {"S", "P", "T", "V"}
SOURCE_TYPES = {"WO", "SO", "TR", "AP", "TX"}
RELEASE_REASONS = {"R", "E", "C"}
STATUSES = {"O", "R", "C"}

BALANCE_WITH_OWNER = (
    "SELECT b.*, w.owner_id AS owner FROM balances b LEFT JOIN warehouses w ON w.id = b.warehouse"
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
    reservation_id: int | None = None


def utc_now() -> str:
    """Now, as the tables store times: UTC ISO to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables, and add what a database from an older sandbox lacks."""
    _add_missing_column(conn, "transactions", "reservation_id INTEGER")
    _add_missing_column(conn, "reservations", "release_refno TEXT")
    conn.executescript(SCHEMA)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions the queries use; decimals never go through float."""
    conn.create_function("at_or_below", 3, _at_or_below, deterministic=True)


def _at_or_below(on_hand: str, reserved: str, limit: str) -> int:
    return int(Decimal(on_hand) - Decimal(reserved) <= Decimal(limit))


def _add_missing_column(conn: sqlite3.Connection, table: str, column: str) -> None:
    """``ALTER TABLE … ADD COLUMN`` on a database an older sandbox made without ``column``."""
    existing = _columns(conn, table)
    if existing and column.split()[0] not in existing:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


def item_row(conn: sqlite3.Connection, sku: str) -> sqlite3.Row:
    """The item; fault 100 if unknown."""
    row = conn.execute("SELECT * FROM items WHERE sku = ?", (sku,)).fetchone()
    if row is None:
        raise LegacyError(ITEM_NOT_FOUND)
    return row


def balance_row(conn: sqlite3.Connection, sku: str, warehouse: str) -> sqlite3.Row:
    """The item's balance in the warehouse (zero if never stocked); fault 120 if unknown."""
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
    return balance_row(conn, sku, warehouse)


def reservation_number(reservation_id: str) -> int | None:
    """RSVNO as a number; None unless it is ASCII digits (str.isdigit also takes "¹2")."""
    number = reservation_id.strip()
    return int(number) if number.isascii() and number.isdigit() else None


def reservation_row(conn: sqlite3.Connection, reservation_id: str) -> sqlite3.Row:
    """The reservation; fault 210 if unknown."""
    number = reservation_number(reservation_id)
    if number is None:
        raise LegacyError(RESERVATION_NOT_FOUND)
    row = conn.execute("SELECT * FROM reservations WHERE id = ?", (number,)).fetchone()
    if row is None:
        raise LegacyError(RESERVATION_NOT_FOUND)
    return row


def open_reservation_row(conn: sqlite3.Connection, reservation_id: str) -> sqlite3.Row:
    """The reservation if OPEN; fault 220 if released, 230 if closed."""
    row = reservation_row(conn, reservation_id)
    if row["status"] == "R":
        raise LegacyError(RESERVATION_ALREADY_RELEASED)
    if row["status"] == "C":
        raise LegacyError(RESERVATION_ALREADY_CLOSED)
    return row


def add_reserved(conn: sqlite3.Connection, sku: str, warehouse: str, delta: Decimal) -> None:
    """Change the reserved total of a balance by ``delta``; fault 240 if the column overflows."""
    balance = balance_row(conn, sku, warehouse)
    total = Decimal(balance["reserved"]) + delta
    check_quantity(total, TOTAL_TOO_WIDE)
    conn.execute(
        "UPDATE balances SET reserved = ? WHERE sku = ? AND warehouse = ?",
        (str(total), sku, warehouse),
    )


MEMO_TYPES = frozenset({"RWR"})
"""Transaction types that record a requirement without moving stock (rework on an open WO)."""


def post_movement(
    conn: sqlite3.Connection, new: NewTransaction, allow_negative: bool
) -> sqlite3.Row:
    """Move on-hand by the transaction's quantity and record previous and new on-hand.

    A memo type (``MEMO_TYPES``) records the quantity and leaves on-hand as it is."""
    balance = balance_row(conn, new.sku, new.warehouse)
    previous = Decimal(balance["on_hand"])
    current = previous if new.type in MEMO_TYPES else previous + new.quantity
    if current < 0 and not allow_negative:
        raise LegacyError(INSUFFICIENT_STOCK)
    check_quantity(current, TOTAL_TOO_WIDE)
    conn.execute(
        "UPDATE balances SET on_hand = ? WHERE sku = ? AND warehouse = ?",
        (str(current), new.sku, new.warehouse),
    )
    cursor = conn.execute(
        "INSERT INTO transactions (refno, sku, warehouse, location, lot, quantity, type,"
        " transaction_date, source_type, source_id, previous_on_hand, new_on_hand, posted_at,"
        " reservation_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (new.refno, new.sku, new.warehouse, new.location, new.lot, str(new.quantity), new.type,
         new.transaction_date, new.source_type, new.source_id, str(previous), str(current),
         utc_now(), new.reservation_id),
    )  # fmt: skip
    return conn.execute("SELECT * FROM transactions WHERE id = ?", (cursor.lastrowid,)).fetchone()


def balance_with_owner(conn: sqlite3.Connection, sku: str, warehouse: str) -> sqlite3.Row:
    """The balance row with its warehouse's ``owner``."""
    balance_row(conn, sku, warehouse)
    sql = f"{BALANCE_WITH_OWNER} WHERE b.sku = ? AND b.warehouse = ?"
    row: sqlite3.Row = conn.execute(sql, (sku, warehouse)).fetchone()
    return row


def transaction_by_refno(conn: sqlite3.Connection, refno: str) -> sqlite3.Row | None:
    """The transaction posted under ``refno``, if any."""
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM transactions WHERE refno = ?", (refno,)
    ).fetchone()
    return row
