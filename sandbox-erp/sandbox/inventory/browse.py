"""The legacy browse: reservations by criteria, one page at a time, and low-stock balances."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.inventory.errors import INVALID_CODE, LegacyError
from sandbox.inventory.tables import BALANCE_WITH_OWNER, SOURCE_TYPES, STATUSES

MAX_ROWS = 1000
# Priority first (higher is served first), then age; the number breaks ties in creation order.
RANK = "ORDER BY priority DESC, created_at ASC, id ASC"


@dataclass(frozen=True)
class ReservationCriteria:
    """What a browse selects on; ``None`` or empty leaves a criterion out."""

    sku: str | None = None
    warehouse: str | None = None
    status: str | None = None
    source_type: str | None = None
    source_id: str | None = None
    owners: tuple[str, ...] = ()
    expires_before: str | None = None  # UTC ISO, as stored

    def check(self) -> None:
        """Fault 250 for a status or source type the system does not know."""
        if self.status is not None and self.status not in STATUSES:
            raise LegacyError(INVALID_CODE)
        if self.source_type is not None and self.source_type not in SOURCE_TYPES:
            raise LegacyError(INVALID_CODE)

    def where(self) -> tuple[str, list[Any]]:
        """The WHERE clause (blank if no criterion) and its parameters."""
        equal = {
            "sku": self.sku,
            "warehouse": self.warehouse,
            "status": self.status,
            "source_type": self.source_type,
            "source_id": self.source_id,
        }
        clauses = [f"{column} = ?" for column, value in equal.items() if value is not None]
        params: list[Any] = [value for value in equal.values() if value is not None]
        if self.owners:
            clauses.append(f"owner IN ({_marks(self.owners)})")
            params.extend(self.owners)
        if self.expires_before is not None:
            clauses.append("expires_at IS NOT NULL AND expires_at <> '' AND expires_at < ?")
            params.append(self.expires_before)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def check_page(skip: int, max_rows: int) -> None:
    """Fault 250 for a page the browse does not serve."""
    if skip < 0 or not 1 <= max_rows <= MAX_ROWS:
        raise LegacyError(INVALID_CODE, "INVALID PAGE")


def search_reservations(
    conn: sqlite3.Connection, criteria: ReservationCriteria, skip: int, max_rows: int
) -> tuple[int, list[sqlite3.Row]]:
    """How many reservations match, and the page of them from ``skip``."""
    where, params = criteria.where()
    total = conn.execute(f"SELECT COUNT(*) FROM reservations{where}", params).fetchone()[0]  # noqa: S608
    sql = f"SELECT * FROM reservations{where} {RANK} LIMIT ? OFFSET ?"  # noqa: S608
    return int(total), conn.execute(sql, [*params, max_rows, skip]).fetchall()


def low_stock_balances(conn: sqlite3.Connection, owners: Sequence[str]) -> list[sqlite3.Row]:
    """Balances of stock-tracked items whose on-hand minus reserved is at or below reorder."""
    sql = (
        f"{BALANCE_WITH_OWNER} JOIN items i ON i.sku = b.sku"
        " WHERE i.stock_tracked = 1 AND at_or_below(b.on_hand, b.reserved, b.reorder_point)"
    )
    if owners:
        sql += f" AND w.owner_id IN ({_marks(owners)})"
    return conn.execute(f"{sql} ORDER BY b.sku, b.warehouse", list(owners)).fetchall()


def _marks(values: Sequence[str]) -> str:
    return ",".join("?" * len(values))
