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
from decimal import Decimal
from pathlib import Path
from typing import Any

from sandbox.inventory import browse, changes
from sandbox.inventory.browse import ReservationCriteria
from sandbox.inventory.changes import NewConsume
from sandbox.inventory.errors import (
    INSUFFICIENT_STOCK,
    INVALID_CODE,
    INVALID_QUANTITY,
    ITEM_NOT_STOCK_TRACKED,
    REFERENCE_REUSED,
    LegacyError,
)
from sandbox.inventory.quantity import check_quantity
from sandbox.inventory.seed import seed_tables
from sandbox.inventory.tables import (
    BALANCE_WITH_OWNER,
    RELEASE_REASONS,
    RESERVATION_TYPES,
    SOURCE_TYPES,
    NewTransaction,
    add_reserved,
    balance_row,
    balance_with_owner,
    create_schema,
    item_row,
    open_reservation_row,
    post_movement,
    register_functions,
    reservation_row,
    transaction_by_refno,
    utc_now,
)

__all__ = ["InventoryStore", "NewReservation", "NewTransaction", "ReservationCriteria"]


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


class InventoryStore:
    """The inventory tables; read methods return ``sqlite3.Row`` objects."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            create_schema(conn)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        register_functions(conn)
        return conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that must agree with each other (a count and its page) in one transaction."""
        with self._read() as conn:
            conn.execute("BEGIN")
            yield conn
            conn.execute("COMMIT")

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
            return item_row(conn, sku)

    def items(self, skus: Sequence[str]) -> list[sqlite3.Row]:
        with self._read() as conn:
            marks = ",".join("?" * len(skus))
            return conn.execute(f"SELECT * FROM items WHERE sku IN ({marks})", skus).fetchall()  # noqa: S608

    def balances(self, skus: Sequence[str]) -> list[sqlite3.Row]:
        with self._read() as conn:
            marks = ",".join("?" * len(skus))
            sql = f"{BALANCE_WITH_OWNER} WHERE b.sku IN ({marks}) ORDER BY b.sku, b.warehouse"
            return conn.execute(sql, skus).fetchall()

    def balance(self, sku: str, warehouse: str) -> sqlite3.Row:
        with self._read() as conn:
            item_row(conn, sku)
            return balance_with_owner(conn, sku, warehouse)

    def reservation(self, reservation_id: str) -> sqlite3.Row:
        with self._read() as conn:
            return reservation_row(conn, reservation_id)

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

    def search_reservations(
        self, criteria: ReservationCriteria, skip: int, max_rows: int
    ) -> tuple[int, list[sqlite3.Row]]:
        """The count of reservations matching ``criteria`` and one page of them, ranked."""
        criteria.check()
        browse.check_page(skip, max_rows)
        with self._snapshot() as conn:
            return browse.search_reservations(conn, criteria, skip, max_rows)

    def low_stock(self, owners: Sequence[str]) -> list[sqlite3.Row]:
        """Balances at or below their reorder point, in warehouses of ``owners`` (none = all)."""
        with self._read() as conn:
            return browse.low_stock_balances(conn, owners)

    def transactions(self, source_id: str | None = None) -> list[sqlite3.Row]:
        with self._read() as conn:
            if source_id is None:
                return conn.execute("SELECT * FROM transactions ORDER BY id").fetchall()
            sql = "SELECT * FROM transactions WHERE source_id = ? ORDER BY id"
            return conn.execute(sql, (source_id,)).fetchall()

    # --- writes ------------------------------------------------------------

    def reserve(self, new: NewReservation) -> sqlite3.Row:
        """Reserve atomically; a repeated REFNO returns the reservation it made."""
        check_quantity(new.quantity)
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
            item = item_row(conn, new.sku)
            if not item["stock_tracked"]:
                raise LegacyError(ITEM_NOT_STOCK_TRACKED)
            balance = balance_row(conn, new.sku, new.warehouse)
            available = Decimal(balance["on_hand"]) - Decimal(balance["reserved"])
            if new.quantity > available and not (new.override or item["allow_negative"]):
                raise LegacyError(INSUFFICIENT_STOCK, f"INSUFFICIENT STOCK AVAIL {available}")
            add_reserved(conn, new.sku, new.warehouse, new.quantity)
            cursor = conn.execute(
                "INSERT INTO reservations (refno, sku, warehouse, location, lot, quantity, uom,"
                " type, source_type, source_id, priority, status, owner, created_at, created_by,"
                " expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,'O',?,?,?,?)",
                (new.refno, new.sku, new.warehouse, new.location, new.lot, str(new.quantity),
                 new.uom or item["uom"], new.type, new.source_type, new.source_id, new.priority,
                 new.owner, utc_now(), new.created_by, new.expires_at),
            )  # fmt: skip
            return reservation_row(conn, str(cursor.lastrowid))

    def release(
        self, reservation_id: str, reason: str, refno: str | None = None, at_screen: bool = False
    ) -> sqlite3.Row:
        """OPEN → RELEASED; what was reserved becomes available again.

        Repeating the release that released the reservation, with its REFNO, returns the
        reservation as released; without one, or with another, a released one is fault 220.
        Reason E on a reservation whose expiry is absent or not yet passed is fault 270, except
        ``at_screen``: an ERP user may expire one by hand; a caller of the interface may not.
        """
        if reason not in RELEASE_REASONS:
            raise LegacyError(INVALID_CODE)
        with self._write() as conn:
            row = reservation_row(conn, reservation_id)
            if refno and row["status"] == "R" and row["release_refno"] == refno:
                return row
            row = open_reservation_row(conn, reservation_id)
            if reason == "E" and not at_screen:
                changes.check_due(row)
            add_reserved(conn, row["sku"], row["warehouse"], -Decimal(row["quantity"]))
            conn.execute(
                "UPDATE reservations SET status = 'R', release_reason = ?, released_at = ?,"
                " release_refno = ? WHERE id = ?",
                (reason, utc_now(), refno, row["id"]),
            )
            return reservation_row(conn, reservation_id)

    def consume(
        self,
        reservation_id: str,
        refno: str,
        quantity: Decimal | None = None,
        release_remainder: bool = False,
    ) -> tuple[sqlite3.Row, sqlite3.Row]:
        """Take the whole reservation (CLOSED) or part of it (still OPEN, or CLOSED with the
        rest released); a transaction records the movement (``changes.consume``)."""
        new = NewConsume(reservation_id, refno, quantity, release_remainder)
        new.check()
        with self._write() as conn:
            return changes.consume(conn, new)

    def change_expiry(self, reservation_id: str, expires_at: str | None, refno: str) -> sqlite3.Row:
        """A new expiry for an OPEN reservation, once per REFNO (``changes.change_expiry``)."""
        with self._write() as conn:
            return changes.change_expiry(conn, reservation_id, expires_at, refno)

    def post_transaction(self, new: NewTransaction) -> sqlite3.Row:
        """Move stock; a repeated REFNO returns the transaction it posted."""
        check_quantity(new.quantity)
        if new.quantity == 0:
            raise LegacyError(INVALID_QUANTITY)
        with self._write() as conn:
            existing = transaction_by_refno(conn, new.refno)
            if existing is not None:
                return existing
            item = item_row(conn, new.sku)
            return post_movement(conn, new, allow_negative=bool(item["allow_negative"]))
