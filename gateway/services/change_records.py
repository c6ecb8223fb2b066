"""The audit entry and event of one reservation's change (SPEC §5.3), in the unit of work."""

from __future__ import annotations

from typing import Any

from gateway.domain.model import Reservation
from gateway.services.ports import UnitOfWork


def record_change(
    uow: UnitOfWork,
    actor: str,
    action: str,
    before: Reservation | None,
    after: Reservation,
    event_type: str,
    extra: dict[str, Any] | None = None,
    change: str | None = None,
) -> None:
    """Audit entry and event for one change of one reservation (same transaction). ``change``
    names one of several changes of the same type (an expiry change's reference)."""
    uow.audit.record(actor, action, "reservation", after.id, snapshot(before), snapshot(after))
    publish(uow, event_type, after, extra, change=change)


def publish(
    uow: UnitOfWork,
    event_type: str,
    after: Reservation,
    extra: dict[str, Any] | None = None,
    origin: str = "gateway",
    change: str | None = None,
) -> None:
    """The event for a reservation's change; published once whoever writes it again (the
    change detector's key is the gateway's: a change both see is reported once). A type a
    reservation can have many of (extensions, partial consumes) is keyed by its ``change``."""
    key = f"{event_type}:{after.id}" if change is None else f"{event_type}:{after.id}:{change}"
    uow.events.publish(
        event_type,
        after.id,
        {**(snapshot(after) or {}), **(extra or {})},
        owner_id=after.owner_id,
        dedupe_key=key,
        origin=origin,
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
