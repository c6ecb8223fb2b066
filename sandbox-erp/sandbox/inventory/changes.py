"""Changes to an OPEN reservation other than a release: consume (whole or part), a new expiry,
and the check that a release for expiry is due. Each runs inside the store's write transaction.

A consume repeated with its REFNO and an expiry change repeated with its REFNO both land once:
the first is found by the transaction it posted, the second by its row in ``expiry_changes``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.inventory.errors import (
    INVALID_QUANTITY,
    QUANTITY_EXCEEDS_RESERVED,
    REFERENCE_REUSED,
    RESERVATION_NOT_EXPIRED,
    LegacyError,
)
from sandbox.inventory.quantity import check_quantity
from sandbox.inventory.tables import (
    NewTransaction,
    add_reserved,
    open_reservation_row,
    post_movement,
    reservation_number,
    reservation_row,
    transaction_by_refno,
    utc_now,
)


@dataclass(frozen=True)
class NewConsume:
    """A Consume request: ``quantity`` None takes the whole reservation."""

    reservation_id: str
    refno: str
    quantity: Decimal | None = None
    release_remainder: bool = False

    def check(self) -> None:
        """Fault 240 for a quantity that is no positive number the column holds."""
        if self.quantity is None:
            return
        check_quantity(self.quantity)
        if self.quantity <= 0:
            raise LegacyError(INVALID_QUANTITY)


def consume(conn: sqlite3.Connection, new: NewConsume) -> tuple[sqlite3.Row, sqlite3.Row]:
    """Take stock for a reservation: on-hand drops by what is taken, a CNS transaction records it.

    The whole reservation (or QTY equal to it) closes it; less than it leaves it OPEN holding
    the rest, unless ``release_remainder`` closes it and frees the rest. More is fault 245.
    Repeating a consume with its REFNO answers the reservation as it is now and the transaction
    that REFNO posted; a REFNO already used for anything else — another reservation, or
    another QTY — is fault 260.
    """
    earlier = transaction_by_refno(conn, new.refno)
    if earlier is not None and _consumed(earlier, new.reservation_id):
        if new.quantity is not None and abs(Decimal(earlier["quantity"])) != new.quantity:
            raise LegacyError(REFERENCE_REUSED)
        return reservation_row(conn, new.reservation_id), earlier
    row = open_reservation_row(conn, new.reservation_id)
    if earlier is not None:
        raise LegacyError(REFERENCE_REUSED)
    held = Decimal(row["quantity"])
    taken = held if new.quantity is None else new.quantity
    if taken > held:
        raise LegacyError(QUANTITY_EXCEEDS_RESERVED)
    if taken == held or new.release_remainder:
        _close(conn, row)
    else:
        _reduce(conn, row, taken)
    transaction = post_movement(conn, _movement(row, new.refno, taken), allow_negative=True)
    return reservation_row(conn, new.reservation_id), transaction


def _close(conn: sqlite3.Connection, row: sqlite3.Row) -> None:
    """CLOSED with the quantity it held: all of it leaves reserved, what is not taken (the
    remainder a consume releases) becomes available again."""
    add_reserved(conn, row["sku"], row["warehouse"], -Decimal(row["quantity"]))
    conn.execute(
        "UPDATE reservations SET status = 'C', closed_at = ? WHERE id = ?", (utc_now(), row["id"])
    )


def _reduce(conn: sqlite3.Connection, row: sqlite3.Row, taken: Decimal) -> None:
    """Still OPEN, holding what was not taken."""
    add_reserved(conn, row["sku"], row["warehouse"], -taken)
    left = Decimal(row["quantity"]) - taken
    conn.execute("UPDATE reservations SET quantity = ? WHERE id = ?", (str(left), row["id"]))


def _movement(row: sqlite3.Row, refno: str, taken: Decimal) -> NewTransaction:
    return NewTransaction(
        refno=refno, sku=row["sku"], warehouse=row["warehouse"], quantity=-taken, type="CNS",
        transaction_date=utc_now(), source_type=row["source_type"], source_id=row["source_id"],
        location=row["location"], lot=row["lot"], reservation_id=row["id"],
    )  # fmt: skip


def _consumed(transaction: sqlite3.Row, reservation_id: str) -> bool:
    """Whether ``transaction`` is a consume of this reservation (one that closed it, or took
    part of it and left it OPEN)."""
    number = reservation_number(reservation_id)
    return (
        transaction["type"] == "CNS"
        and number is not None
        and transaction["reservation_id"] == number
    )


def change_expiry(
    conn: sqlite3.Connection, reservation_id: str, expires_at: str | None, refno: str
) -> sqlite3.Row:
    """Give an OPEN reservation a new expiry (``None``: it no longer expires), once per REFNO.

    The same REFNO for the same reservation and expiry answers the reservation as it is now,
    changing nothing, even if it was released or closed since; for another reservation or
    another expiry it is fault 260. A past expiry is accepted: a compensation may restore an
    earlier expiry that has passed since.
    """
    row = reservation_row(conn, reservation_id)
    earlier = conn.execute("SELECT * FROM expiry_changes WHERE refno = ?", (refno,)).fetchone()
    if earlier is not None:
        if (earlier["reservation_id"], earlier["expires_at"]) != (row["id"], expires_at):
            raise LegacyError(REFERENCE_REUSED)
        return row
    open_reservation_row(conn, reservation_id)
    conn.execute("UPDATE reservations SET expires_at = ? WHERE id = ?", (expires_at, row["id"]))
    conn.execute(
        "INSERT INTO expiry_changes (refno, reservation_id, expires_at, changed_at)"
        " VALUES (?, ?, ?, ?)",
        (refno, row["id"], expires_at, utc_now()),
    )
    return reservation_row(conn, reservation_id)


def check_due(row: sqlite3.Row) -> None:
    """Fault 270 unless the reservation has an expiry and it has passed.

    A sweeper that read the reservation as due, while someone extended (or cleared) its expiry
    before its release arrived, must not release it for expiry."""
    expires_at = row["expires_at"]
    if not expires_at or _instant(expires_at) > datetime.now(UTC):
        raise LegacyError(RESERVATION_NOT_EXPIRED)


def _instant(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
