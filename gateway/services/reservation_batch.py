"""Several reservations, all or nothing (a sales order's lines; seed 003).

One durable plan of one reserve per line: a failing line cancels the lines already made, a line
whose answer was lost is looked up on its reference first, and a process that dies mid-batch
leaves a plan another process finishes or undoes (gateway/services/plan_recovery.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from gateway.domain.model import Reservation
from gateway.domain.reservation_rules import Caller, ReservationDraft
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservations import checked_request, reserve_planned


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
    """Reserve every line or none; every line is checked before anything is reserved."""
    requests = [
        checked_request(draft, caller, _line_reference(reference, line), inventory, work_orders,
                        now, overrides_allowed)
        for line, draft in enumerate(drafts)
    ]  # fmt: skip
    return reserve_planned(requests, caller, inventory, work_orders, uow)


def _line_reference(reference: str, line: int) -> str:
    return f"{reference}-{line}"
