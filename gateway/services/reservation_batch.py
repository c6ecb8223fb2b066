"""Several reservations, all or nothing (a sales order's lines; seed 003)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from gateway.domain.errors import GatewayError
from gateway.domain.model import ReleaseReason, Reservation
from gateway.domain.owner_scope import owned_by_warehouse
from gateway.domain.reservation_rules import Caller, ReservationDraft, reservation_request
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservations import record_change, reserve, snapshot

log = logging.getLogger(__name__)
RELEASE_LATER = "inventory.release"


def reserve_all(
    drafts: Sequence[ReservationDraft],
    caller: Caller,
    reference: str,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    uow: UnitOfWork,
    now: datetime,
    overrides_allowed: bool = True,
) -> list[Reservation]:
    """Reserve every line or none: a failing line cancels the lines already made."""
    for line, draft in enumerate(drafts):  # every line is checked before anything is reserved
        level = inventory.get_stock_level(draft.item_sku_id, draft.warehouse_id)
        owned = owned_by_warehouse(draft, caller, level.owner_id)
        reservation_request(owned, caller, _line_reference(reference, line), now, overrides_allowed)
    made: list[Reservation] = []
    try:
        for line, draft in enumerate(drafts):
            line_reference = _line_reference(reference, line)
            made.append(
                reserve(draft, caller, line_reference, inventory, work_orders, uow, now,
                        overrides_allowed)
            )  # fmt: skip
    except GatewayError:
        _cancel(made, caller, inventory, uow)
        raise
    return made


def _line_reference(reference: str, line: int) -> str:
    return f"{reference}-{line}"


def _cancel(
    made: list[Reservation], caller: Caller, inventory: InventoryPort, uow: UnitOfWork
) -> None:
    """Undo in reverse order; what cannot be undone now goes to the outbox."""
    for reservation in reversed(made):
        try:
            cancelled = inventory.release(reservation.id, ReleaseReason.CANCELLED)
        except GatewayError as error:
            log.warning("cancelling reservation %s later: %s", reservation.id, error.code)
            uow.outbox.enqueue(
                RELEASE_LATER, {"reservationId": reservation.id, "reason": "cancelled"}
            )
            uow.audit.record(caller.subject, "reservation.cancel_queued", "reservation",
                             reservation.id, snapshot(reservation), None)  # fmt: skip
            continue
        record_change(uow, caller.subject, "reservation.cancel", reservation, cancelled,
                      "InventoryReleased")  # fmt: skip
