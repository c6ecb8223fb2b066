"""The writes of the reservation use cases as plan steps: reserve, release, consume, expiry.

A reserve is undone by cancelling what its reference made; a single release or consume is the
only step of its plan, so nothing comes after it that could fail and need it undone. An expiry
change is undone by setting the expiry back (a source's changes are all or nothing).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from gateway.domain import undo
from gateway.domain.model import ReleaseReason, Reservation, ReservationRequest
from gateway.domain.payloads import request_payload, reservation_payload
from gateway.domain.write_plan import CHANGE_EXPIRY, CONSUME, RELEASE, RESERVE, PlannedStep


def reserve_step(request: ReservationRequest) -> PlannedStep:
    """Reserve with the request's reference; undone by cancelling what that reference made."""
    return PlannedStep(
        RESERVE,
        {"request": request_payload(request)},
        f"reserve {request.quantity} {request.item_sku_id} in {request.warehouse_id}",
        undo.cancel_reservation(request.source.id, request.reference),
        safe_to_finish=not request.override,
    )


def release_step(before: Reservation, reason: ReleaseReason, reference: str) -> PlannedStep:
    """Release on ``reference``: a repeat after a lost answer gets the first answer."""
    return PlannedStep(
        RELEASE,
        {"reservationId": before.id, "reason": reason.value, "reference": reference,
         "before": reservation_payload(before)},
        f"release reservation {before.id} of {before.item_sku_id}",
        None,
    )  # fmt: skip


def consume_step(
    before: Reservation,
    reference: str,
    quantity: Decimal | None = None,
    release_remainder: bool = False,
) -> PlannedStep:
    """Consume on ``reference`` (all of it, or ``quantity``): a repeat after a lost answer gets
    the first answer."""
    picked = before.quantity if quantity is None else quantity
    return PlannedStep(
        CONSUME,
        {"reservationId": before.id, "reference": reference,
         "quantity": None if quantity is None else str(quantity),
         "releaseRemainder": release_remainder, "before": reservation_payload(before)},
        f"consume {picked} of reservation {before.id} of {before.item_sku_id}",
        None,
    )  # fmt: skip


def change_expiry_step(
    before: Reservation, expires_at: datetime | None, reference: str, undo_reference: str | None
) -> PlannedStep:
    """Set the expiry on ``reference`` (repeatable: the legacy system keeps the reference);
    with ``undo_reference``, undone by setting the previous expiry back with that one."""
    return PlannedStep(
        CHANGE_EXPIRY,
        {"reservationId": before.id, "reference": reference,
         "expiresAt": None if expires_at is None else expires_at.isoformat(),
         "before": reservation_payload(before)},
        f"change the expiry of reservation {before.id} of {before.item_sku_id}",
        None if undo_reference is None else undo.restore_expiry(before, undo_reference),
    )  # fmt: skip
