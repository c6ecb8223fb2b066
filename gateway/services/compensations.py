"""Compensations: outbox ``kind`` → how it runs (the payloads are made in gateway/domain/undo.py).

Every compensation is idempotent: it may run in the request and again from the outbox, and it
is safe when the write it undoes never landed. Payloads are JSON (Decimals stay exact,
timestamps are ISO 8601 strings) so the outbox can keep them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import datetime
from typing import Any

from gateway.domain.errors import (
    InsufficientStock,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
)
from gateway.domain.model import (
    ReleaseReason,
    Reservation,
    ReservationStatus,
)
from gateway.domain.payloads import (
    decimal,
    material_from_payload,
    request_from_payload,
    transaction_from_payload,
)
from gateway.domain.rules import reversal_transaction_type
from gateway.domain.undo import (
    CANCEL_RESERVATION,
    RELEASE,
    REMOVE_MATERIAL,
    RESTORE_EXPIRY,
    RESTORE_HEADER,
    RESTORE_MATERIAL,
    RESTORE_RESERVATION,
    REVERSAL_TYPE,
    REVERSE_TRANSACTION,
)
from gateway.services.ports import InventoryPort, WorkOrderPort


class CompensationConflict(Exception):
    """A released reservation cannot be taken back: the stock went to someone else.

    Final, never retried: retrying would either fail forever or, with override, oversell.
    """

    def __init__(self, reservation_id: str, detail: str) -> None:
        super().__init__(detail)
        self.reservation_id = reservation_id
        self.detail = detail


Changed = Reservation | None
"""The reservation a compensation changed (for its audit entry and event), if any."""

Runner = Callable[[Mapping[str, Any], InventoryPort, WorkOrderPort], Changed]


def run_compensation(
    kind: str, payload: Mapping[str, Any], inventory: InventoryPort, work_orders: WorkOrderPort
) -> Changed:
    """Perform one compensation; any error but a conflict means "not now", retried later."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown compensation kind {kind!r}")
    return REGISTRY[kind](payload, inventory, work_orders)


# --- the work order ---------------------------------------------------------------------


def _restore_header(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    start = payload.get("plannedStart")
    orders.update_work_order(
        payload["workOrderId"],
        batch_quantity=decimal(payload["batchQuantity"]),
        planned_start=None if start is None else datetime.fromisoformat(start),
    )


def _restore_material(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    material = material_from_payload(payload["material"])
    orders.put_material(payload["workOrderId"], int(payload["operation"]), material)


def _remove_material(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    orders.delete_material(payload["workOrderId"], int(payload["operation"]), payload["itemNumber"])


# --- the inventory ----------------------------------------------------------------------


def _cancel_reservation(
    payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort
) -> Changed:
    # Found by its reference: after a lost answer the reservation's id was never seen.
    made = stock.list_reservations_by_sources([payload["workOrderId"]])
    for reservation in made:
        if reservation.reference == payload["reference"]:
            return _release_if_open(stock, reservation, ReleaseReason.CANCELLED)
    return None


def _restore_reservation(
    payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort
) -> Changed:
    if stock.get_reservation(payload["reservationId"]).status is ReservationStatus.OPEN:
        return None  # the release never landed
    request = request_from_payload(payload["request"])
    try:
        return stock.reserve(replace(request, override=False))
    except InsufficientStock as error:
        raise CompensationConflict(payload["reservationId"], error.detail) from error


def _reverse_transaction(
    payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort
) -> None:
    original = transaction_from_payload(payload["transaction"])
    # There is no read of transactions in the legacy contract; posting the same reference
    # again is answered with the stored one, so this makes sure the original exists.
    try:
        stock.post_transaction(original)
    except InsufficientStock:
        return  # a stored reference is answered without any check: it never landed
    reversal = replace(
        original,
        reference=payload["reversalReference"],
        quantity=-original.quantity,
        transaction_type=reversal_transaction_type(original.transaction_type, REVERSAL_TYPE),
    )
    stock.post_transaction(reversal)


def _release(payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Changed:
    reason = ReleaseReason(payload.get("reason", ReleaseReason.CANCELLED.value))
    with suppress(ReservationAlreadyReleased, ReservationAlreadyClosed):
        return stock.release(payload["reservationId"], reason)
    return None


def _release_if_open(
    stock: InventoryPort, reservation: Reservation, reason: ReleaseReason
) -> Changed:
    if reservation.status is not ReservationStatus.OPEN:
        return None
    with suppress(ReservationAlreadyReleased):  # a concurrent run got there first
        return stock.release(reservation.id, reason)
    return None


def _restore_expiry(payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Changed:
    # Safe when the change never landed: the expiry is set to what it already is. A reservation
    # released or consumed since keeps its end; there is no expiry left to restore.
    expires = payload.get("expiresAt")
    with suppress(ReservationAlreadyReleased, ReservationAlreadyClosed):
        return stock.change_expiry(payload["reservationId"],
                                   None if expires is None else datetime.fromisoformat(expires),
                                   payload["reference"])  # fmt: skip
    return None


REGISTRY: dict[str, Runner] = {
    RESTORE_HEADER: _restore_header,
    RESTORE_MATERIAL: _restore_material,
    REMOVE_MATERIAL: _remove_material,
    CANCEL_RESERVATION: _cancel_reservation,
    RESTORE_RESERVATION: _restore_reservation,
    REVERSE_TRANSACTION: _reverse_transaction,
    RELEASE: _release,
    RESTORE_EXPIRY: _restore_expiry,
}
