"""Use cases on reservations (SPEC §5.3): reserve, release, consume, read."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import datetime
from typing import Any

from gateway.domain.errors import (
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    ReservationTargetNotFound,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    Consumption,
    Page,
    ReleaseReason,
    Reservation,
    ReservationSearch,
    ReservationStatus,
    SourceType,
    StockLevel,
)
from gateway.domain.owner_scope import owned_by_warehouse
from gateway.domain.reservation_rules import (
    Caller,
    ReservationDraft,
    ensure_may_change,
    reservation_request,
)
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort


def reserve(
    draft: ReservationDraft,
    caller: Caller,
    reference: str,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    uow: UnitOfWork,
    now: datetime,
    overrides_allowed: bool = True,
) -> Reservation:
    """Reserve upstream (idempotent on ``reference``), then record audit and event."""
    level = inventory.get_stock_level(draft.item_sku_id, draft.warehouse_id)
    draft = owned_by_warehouse(draft, caller, level.owner_id)
    request = reservation_request(draft, caller, reference, now, overrides_allowed)
    if request.source.type is SourceType.WORK_ORDER:
        _ensure_work_order_visible(request.source.id, caller, work_orders)
    reservation = inventory.reserve(request)
    if reservation.status is not ReservationStatus.OPEN:
        # The reference belongs to an earlier attempt that was undone (its key was freed by the
        # error): this attempt is a new one and needs a reference of its own.
        retry_reference = f"{reference[:32]}-{uuid.uuid4().hex[:6]}"
        reservation = inventory.reserve(replace(request, reference=retry_reference))
    record_change(uow, caller.subject, "reservation.create", None, reservation, "InventoryReserved")
    return reservation


def release(
    reservation_id: str, caller: Caller, inventory: InventoryPort, uow: UnitOfWork
) -> Reservation:
    """OPEN → RELEASED, by its creator or a Manager/Owner."""
    before = visible_reservation(reservation_id, caller, inventory)
    ensure_may_change(before, caller)
    _ensure_open(before)
    after = inventory.release(reservation_id, ReleaseReason.RELEASED)
    record_change(uow, caller.subject, "reservation.release", before, after, "InventoryReleased")
    return after


def consume(
    reservation_id: str, caller: Caller, reference: str, inventory: InventoryPort, uow: UnitOfWork
) -> Consumption:
    """OPEN → CLOSED: on-hand and reserved drop; the transaction has previous and new on-hand."""
    before = visible_reservation(reservation_id, caller, inventory)
    ensure_may_change(before, caller)
    if before.status is ReservationStatus.RELEASED:
        raise ReservationAlreadyReleased(f"Reservation {reservation_id} is already released")
    # A CLOSED one goes upstream too: a retry with the same reference gets its first answer.
    consumption = inventory.consume(reservation_id, reference)
    transaction = {
        "previousOnHand": consumption.transaction.previous_on_hand,
        "newOnHand": consumption.transaction.new_on_hand,
        "transactionReference": consumption.transaction.reference,
    }
    record_change(
        uow, caller.subject, "reservation.consume", before, consumption.reservation,
        "InventoryConsumed", extra=transaction,
    )  # fmt: skip
    return consumption


def visible_reservation(
    reservation_id: str, caller: Caller, inventory: InventoryPort
) -> Reservation:
    """The reservation, if it exists inside the caller's owner scope; else not found."""
    try:
        reservation: Reservation | None = inventory.get_reservation(reservation_id)
    except ReservationNotFound:
        reservation = None  # missing and out of scope answer alike
    if reservation is None or not caller.can_see(reservation.owner_id):
        raise ReservationNotFound(f"No reservation {reservation_id}")
    return reservation


def list_reservations(
    search: ReservationSearch, caller: Caller, inventory: InventoryPort, offset: int, limit: int
) -> Page[Reservation]:
    """One page, highest priority first then oldest, of what the caller may see."""
    scope = None if caller.all_owners else caller.owner_ids
    if search.owner_ids is not None:
        scope = search.owner_ids if scope is None else scope & search.owner_ids
    return inventory.search_reservations(
        ReservationSearch(**{**asdict(search), "owner_ids": scope}), offset, limit
    )


def low_stock(caller: Caller, inventory: InventoryPort) -> list[StockLevel]:
    """Stock levels at or below their reorder point, in the caller's warehouses."""
    return inventory.low_stock(None if caller.all_owners else caller.owner_ids)


def record_change(
    uow: UnitOfWork,
    actor: str,
    action: str,
    before: Reservation | None,
    after: Reservation,
    event_type: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Audit entry and event for one change of one reservation (same transaction)."""
    uow.audit.record(actor, action, "reservation", after.id, snapshot(before), snapshot(after))
    publish(uow, event_type, after, extra)


def publish(
    uow: UnitOfWork, event_type: str, after: Reservation, extra: dict[str, Any] | None = None
) -> None:
    """The event for a reservation's change; published once whoever writes it again."""
    uow.events.publish(
        event_type,
        after.id,
        {**(snapshot(after) or {}), **(extra or {})},
        owner_id=after.owner_id,
        dedupe_key=f"{event_type}:{after.id}",
    )


def snapshot(reservation: Reservation | None) -> dict[str, Any] | None:
    """The reservation as stored in audit entries and event payloads."""
    if reservation is None:
        return None
    return {
        "reservationId": reservation.id,
        "reference": reservation.reference,
        "itemSkuId": reservation.item_sku_id,
        "warehouseId": reservation.warehouse_id,
        "location": reservation.location,
        "lot": reservation.lot,
        "quantity": reservation.quantity,
        "type": reservation.type.value,
        "source": {"type": reservation.source.type.value, "id": reservation.source.id},
        "priority": reservation.priority,
        "status": reservation.status.value,
        "releaseReason": reservation.release_reason.value if reservation.release_reason else None,
        "ownerId": reservation.owner_id,
        "expiresAt": reservation.expires_at,
        "createdBy": reservation.created_by,
    }


def _ensure_open(reservation: Reservation) -> None:
    if reservation.status is ReservationStatus.RELEASED:
        raise ReservationAlreadyReleased(f"Reservation {reservation.id} is already released")
    if reservation.status is ReservationStatus.CLOSED:
        raise ReservationAlreadyClosed(f"Reservation {reservation.id} is already closed")


def _ensure_work_order_visible(
    work_order_id: str, caller: Caller, work_orders: WorkOrderPort
) -> None:
    """Another owner's work order is as missing as one that does not exist (SPEC §7)."""
    try:
        visible = caller.can_see(work_orders.get_work_order(work_order_id).owner_id)
    except WorkOrderNotFound:
        visible = False
    if not visible:
        raise ReservationTargetNotFound(f"No work order {work_order_id}")
