"""The audit entries and events of backorders (decision 170): written by the partial create, the
filler, a cancel, and — for a partial create's plan that recovery ended — by the plan's records."""

from __future__ import annotations

from typing import Any

from gateway.domain.backorders import Backorder
from gateway.services.ports import UnitOfWork

BACKORDERED = "InventoryBackordered"


def backorder_payload(b: Backorder) -> dict[str, Any]:
    """A backorder as events, audit entries and answers show it."""
    return {
        "backorderId": b.id, "itemSkuId": b.item_sku_id, "warehouseId": b.warehouse_id,
        "requestedQuantity": b.requested, "quantity": b.quantity,
        "filledQuantity": b.filled, "type": b.type.value,
        "source": {"type": b.source.type.value, "id": b.source.id}, "priority": b.priority,
        "ownerId": b.owner_id, "createdBy": b.created_by, "createdAt": b.created_at,
        "expiresAt": b.expires_at, "status": b.status.value, "fills": b.fills,
        "endedAt": b.ended_at,
    }  # fmt: skip


def record(
    uow: UnitOfWork,
    actor: str,
    action: str,
    before: Backorder | None,
    after: Backorder,
    event: str,
    extra: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
) -> None:
    payload = {**backorder_payload(after), **(extra or {})}
    uow.audit.record(actor, action, "backorder", after.id,
                     None if before is None else backorder_payload(before), payload,
                     owner_id=after.owner_id)  # fmt: skip
    uow.events.publish(event, after.id, payload, owner_id=after.owner_id,
                       dedupe_key=dedupe_key or f"{event}:{after.id}")  # fmt: skip


def record_created(uow: UnitOfWork, actor: str, backorder: Backorder) -> None:
    """A new backorder's audit entry and ``InventoryBackordered`` (once, whoever writes it)."""
    record(uow, actor, "backorder.create", None, backorder, BACKORDERED)
