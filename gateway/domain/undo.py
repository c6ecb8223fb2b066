"""What undoes each kind of write, as data: an outbox ``kind`` and the payload it needs.

Every compensation is idempotent and safe when the write it undoes never landed; how each one
runs is in gateway/services/compensations.py.
"""

from __future__ import annotations

from gateway.domain.model import (
    InventoryTransaction,
    Material,
    Reservation,
    ReservationRequest,
    WorkOrder,
)
from gateway.domain.payloads import material_payload, request_payload, transaction_payload
from gateway.domain.write_plan import Compensation

RESTORE_HEADER = "workorder.restore_header"
RESTORE_MATERIAL = "workorder.restore_material"
REMOVE_MATERIAL = "workorder.remove_material"
CANCEL_RESERVATION = "inventory.cancel_reservation"
RESTORE_RESERVATION = "inventory.restore_reservation"
REVERSE_TRANSACTION = "inventory.reverse_transaction"
RELEASE = "inventory.release"
RESTORE_EXPIRY = "inventory.restore_expiry"
"""Release one reservation by id (kept for entries queued before cancel-by-reference)."""

REVERSAL_TYPE = "REV"


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


def remove_material(work_order_id: str, operation: int, item_number: str) -> Compensation:
    """Take an added material off the operation again."""
    return Compensation(
        REMOVE_MATERIAL,
        {"workOrderId": work_order_id, "operation": operation, "itemNumber": item_number},
    )


def cancel_reservation(source_id: str, reference: str) -> Compensation:
    """Cancel the reservation made with ``reference`` for ``source_id``, if it was made at all."""
    return Compensation(CANCEL_RESERVATION, {"workOrderId": source_id, "reference": reference})


def restore_reservation(released: Reservation, reference: str) -> Compensation:
    """Reserve again what a release freed (with ``reference``), if the release landed.

    Never with override: the stock may have gone to someone else meanwhile, and then the
    compensation ends in conflict rather than forcing available below zero.
    """
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
        override=False,
    )
    return Compensation(
        RESTORE_RESERVATION, {"reservationId": released.id, "request": request_payload(again)}
    )


def reverse_transaction(posted: InventoryTransaction, reversal_reference: str) -> Compensation:
    """Post the opposite movement, once, if the transaction landed."""
    return Compensation(
        REVERSE_TRANSACTION,
        {"transaction": transaction_payload(posted), "reversalReference": reversal_reference},
    )


def restore_expiry(before: Reservation, reference: str) -> Compensation:
    """Set the expiry back to what it was (with ``reference``), while the reservation is open."""
    expires = before.expires_at
    return Compensation(RESTORE_EXPIRY, {
        "reservationId": before.id, "reference": reference,
        "expiresAt": None if expires is None else expires.isoformat(),
    })  # fmt: skip
