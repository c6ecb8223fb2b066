"""The writes of the reservation use cases as plan steps: reserve, release, consume.

A reserve is undone by cancelling what its reference made; a single release or consume is the
only step of its plan, so nothing comes after it that could fail and need it undone.
"""

from __future__ import annotations

from gateway.domain import undo
from gateway.domain.model import ReleaseReason, Reservation, ReservationRequest
from gateway.domain.payloads import request_payload, reservation_payload
from gateway.domain.write_plan import CONSUME, RELEASE, RESERVE, PlannedStep


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


def consume_step(before: Reservation, reference: str) -> PlannedStep:
    """Consume on ``reference``: a repeat after a lost answer gets the first answer."""
    return PlannedStep(
        CONSUME,
        {"reservationId": before.id, "reference": reference,
         "before": reservation_payload(before)},
        f"consume reservation {before.id} of {before.item_sku_id}",
        None,
    )  # fmt: skip
