"""Compensations: outbox ``kind`` → how it runs, and the payload each one needs.

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
    InventoryTransaction,
    Material,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    WorkOrder,
)
from gateway.domain.rules import reversal_transaction_type
from gateway.services.payloads import (
    decimal,
    material_from_payload,
    material_payload,
    request_from_payload,
    request_payload,
    transaction_from_payload,
    transaction_payload,
)
from gateway.services.ports import InventoryPort, WorkOrderPort
from gateway.services.write_plan import Compensation

RESTORE_HEADER = "workorder.restore_header"
RESTORE_MATERIAL = "workorder.restore_material"
REMOVE_MATERIAL = "workorder.remove_material"
CANCEL_RESERVATION = "inventory.cancel_reservation"
RESTORE_RESERVATION = "inventory.restore_reservation"
REVERSE_TRANSACTION = "inventory.reverse_transaction"
RELEASE = "inventory.release"
"""Queued by the reservation batch (gateway/services/reservation_batch.py)."""

REVERSAL_TYPE = "REV"

Runner = Callable[[Mapping[str, Any], InventoryPort, WorkOrderPort], None]


def run_compensation(
    kind: str, payload: Mapping[str, Any], inventory: InventoryPort, work_orders: WorkOrderPort
) -> None:
    """Perform one compensation; any error means "not now" and the outbox retries it."""
    if kind not in REGISTRY:
        raise ValueError(f"unknown compensation kind {kind!r}")
    REGISTRY[kind](payload, inventory, work_orders)


# --- the work order ---------------------------------------------------------------------


def restore_header(work_order: WorkOrder) -> Compensation:
    """PATCH the header back to what it was."""
    start = work_order.planned_start
    return Compensation(
        RESTORE_HEADER,
        {
            "workOrderId": work_order.id,
            "batchQuantity": work_order.batch_quantity,
            "plannedStart": None if start is None else start.isoformat(),
        },
    )


def _restore_header(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    start = payload.get("plannedStart")
    orders.update_work_order(
        payload["workOrderId"],
        batch_quantity=decimal(payload["batchQuantity"]),
        planned_start=None if start is None else datetime.fromisoformat(start),
    )


def restore_material(work_order_id: str, operation: int, material: Material) -> Compensation:
    """Put the material back as it was."""
    return Compensation(
        RESTORE_MATERIAL,
        {
            "workOrderId": work_order_id,
            "operation": operation,
            "material": material_payload(material),
        },
    )


def _restore_material(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    material = material_from_payload(payload["material"])
    orders.put_material(payload["workOrderId"], int(payload["operation"]), material)


def remove_material(work_order_id: str, operation: int, item_number: str) -> Compensation:
    """Take an added material off the operation again."""
    return Compensation(
        REMOVE_MATERIAL,
        {"workOrderId": work_order_id, "operation": operation, "itemNumber": item_number},
    )


def _remove_material(payload: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> None:
    orders.delete_material(payload["workOrderId"], int(payload["operation"]), payload["itemNumber"])


# --- the inventory ----------------------------------------------------------------------


def cancel_reservation(work_order_id: str, reference: str) -> Compensation:
    """Cancel the reservation made with ``reference``, if it was made at all."""
    return Compensation(CANCEL_RESERVATION, {"workOrderId": work_order_id, "reference": reference})


def _cancel_reservation(payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> None:
    # Found by its reference: after a lost answer the reservation's id was never seen.
    made = stock.list_reservations_by_sources([payload["workOrderId"]])
    for reservation in made:
        if reservation.reference == payload["reference"]:
            _release_if_open(stock, reservation, ReleaseReason.CANCELLED)


def restore_reservation(released: Reservation, reference: str) -> Compensation:
    """Reserve again what a release freed (with ``reference``), if the release landed."""
    again = ReservationRequest(
        reference=reference,
        item_sku_id=released.item_sku_id,
        warehouse_id=released.warehouse_id,
        quantity=released.quantity,
        type=released.type,
        source=released.source,
        owner_id=released.owner_id,
        priority=released.priority,
        uom=released.uom,
        location=released.location,
        lot=released.lot,
        expires_at=released.expires_at,
        created_by=released.created_by,
        override=True,  # it was the work order's a moment ago: taking it back must not fail
    )
    return Compensation(
        RESTORE_RESERVATION, {"reservationId": released.id, "request": request_payload(again)}
    )


def _restore_reservation(
    payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort
) -> None:
    if stock.get_reservation(payload["reservationId"]).status is ReservationStatus.OPEN:
        return  # the release never landed
    stock.reserve(request_from_payload(payload["request"]))


def reverse_transaction(posted: InventoryTransaction, reversal_reference: str) -> Compensation:
    """Post the opposite movement, once, if the transaction landed."""
    return Compensation(
        REVERSE_TRANSACTION,
        {"transaction": transaction_payload(posted), "reversalReference": reversal_reference},
    )


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


def _release(payload: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> None:
    reason = ReleaseReason(payload.get("reason", ReleaseReason.CANCELLED.value))
    with suppress(ReservationAlreadyReleased, ReservationAlreadyClosed):
        stock.release(payload["reservationId"], reason)


def _release_if_open(stock: InventoryPort, reservation: Reservation, reason: ReleaseReason) -> None:
    if reservation.status is not ReservationStatus.OPEN:
        return
    with suppress(ReservationAlreadyReleased):  # a concurrent run got there first
        stock.release(reservation.id, reason)


REGISTRY: dict[str, Runner] = {
    RESTORE_HEADER: _restore_header,
    RESTORE_MATERIAL: _restore_material,
    REMOVE_MATERIAL: _remove_material,
    CANCEL_RESERVATION: _cancel_reservation,
    RESTORE_RESERVATION: _restore_reservation,
    REVERSE_TRANSACTION: _reverse_transaction,
    RELEASE: _release,
}
