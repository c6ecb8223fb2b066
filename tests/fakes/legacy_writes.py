"""What the legacy system's writes make of a reservation, as sandbox/inventory/changes.py does:
pure functions the fake inventory applies (no state, no checks of its own)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from gateway.domain.model import (
    InventoryTransaction,
    Reservation,
    ReservationRequest,
    ReservationStatus,
)


def reservation_for(
    request: ReservationRequest, reservation_id: str, now: datetime, item_uom: str
) -> Reservation:
    """The OPEN reservation a reserve makes."""
    return Reservation(
        id=reservation_id, reference=request.reference, item_sku_id=request.item_sku_id,
        warehouse_id=request.warehouse_id, location=request.location, lot=request.lot,
        quantity=request.quantity, uom=request.uom or item_uom, type=request.type,
        source=request.source, priority=request.priority, status=ReservationStatus.OPEN,
        owner_id=request.owner_id, created_at=now, created_by=request.created_by,
        expires_at=request.expires_at,
    )  # fmt: skip


def closes(reservation: Reservation, taken: Decimal, release_remainder: bool) -> bool:
    """Whether a consume of ``taken`` closes the reservation (all of it, or the rest freed)."""
    return taken == reservation.quantity or release_remainder


def after_consume(
    reservation: Reservation, taken: Decimal, closing: bool, now: datetime
) -> Reservation:
    """CLOSED with the quantity it held, or still OPEN holding what was not taken."""
    if closing:
        return replace(reservation, status=ReservationStatus.CLOSED, closed_at=now)
    return replace(reservation, quantity=reservation.quantity - taken)


def consume_transaction(
    reservation: Reservation, reference: str, taken: Decimal, on_hand: Decimal, now: datetime
) -> InventoryTransaction:
    """The CNS movement of ``taken`` out of ``on_hand``."""
    return InventoryTransaction(
        reference=reference, item_sku_id=reservation.item_sku_id,
        warehouse_id=reservation.warehouse_id, quantity=-taken, transaction_type="CNS",
        transaction_date=now, source=reservation.source, location=reservation.location,
        lot=reservation.lot, previous_on_hand=on_hand, new_on_hand=on_hand - taken,
    )  # fmt: skip


def due_for_expiry(reservation: Reservation, now: datetime) -> bool:
    """Whether a release for expiry may release it: it has an expiry, and that has passed."""
    return reservation.expires_at is not None and reservation.expires_at <= now
