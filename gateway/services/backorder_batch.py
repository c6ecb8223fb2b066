"""A batch whose lines may allow partial (issue 15.2, decision 170): all or nothing as ever
(decision 029), except that a line with ``allowPartial`` asks only for what is available — after
the batch's earlier lines of the same item and warehouse — and backorders the rest.

The reserves stay one durable plan, which keeps the backorders to write when it ends done (by
this request or by recovery); a line that can no longer be reserved in full at the legacy
system (another create took the stock between the read and the plan) fails the batch with 409,
as a whole line would.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from gateway.domain.backorders import Backorder, backorder_summary, partial_split
from gateway.domain.errors import ItemNotStockTracked
from gateway.domain.model import Reservation, ReservationRequest
from gateway.domain.reservation_rules import Caller, ReservationDraft
from gateway.services.backorder_ports import BackorderBook
from gateway.services.backorder_records import record_created
from gateway.services.backorders import new_backorder
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservations import checked_request, reserve_planned


@dataclass(frozen=True)
class BatchLine:
    """What one line of a batch got: reserved now, backordered, and the records of each."""

    reserved_quantity: Decimal
    backordered_quantity: Decimal
    reservation: Reservation | None
    backorder: Backorder | None


def reserve_lines(
    drafts: Sequence[ReservationDraft],
    caller: Caller,
    reference: str,
    ports: tuple[InventoryPort, WorkOrderPort, BackorderBook],
    uow: UnitOfWork,
    now: datetime,
    overrides_allowed: bool,
) -> list[BatchLine]:
    """Every line reserved (partial lines as far as stock goes) or none; one answer per line."""
    inventory, work_orders, book = ports
    requests = [checked_request(draft, caller, f"{reference}-{line}", inventory, work_orders,
                                now, overrides_allowed)
                for line, draft in enumerate(drafts)]  # fmt: skip
    asked = _what_to_reserve(drafts, requests, inventory)
    waiting = [
        new_backorder(uuid.uuid4().hex[:16], request, request.quantity - quantity, now)
        if request.quantity > quantity else None
        for request, quantity in zip(requests, asked, strict=True)
    ]  # fmt: skip
    kept = [backorder_summary(b) for b in waiting if b is not None]
    reserving = [replace(r, quantity=q) for r, q in zip(requests, asked, strict=True) if q > 0]
    made = iter(
        reserve_planned(reserving, caller, inventory, work_orders, uow, {"backorders": kept})
        if reserving else []
    )  # fmt: skip
    for backorder in waiting if not reserving else []:  # no plan: written with this commit
        if backorder is not None:
            uow.also_in_transaction(book.adding(backorder))
            record_created(uow, caller.subject, backorder)
    return [
        BatchLine(quantity, request.quantity - quantity, next(made) if quantity > 0 else None,
                  backorder)
        for request, quantity, backorder in zip(requests, asked, waiting, strict=True)
    ]  # fmt: skip


def _what_to_reserve(
    drafts: Sequence[ReservationDraft],
    requests: Sequence[ReservationRequest],
    inventory: InventoryPort,
) -> list[Decimal]:
    """Each line's quantity to reserve now: whole, or for partial lines what is left of the
    pair's available after the earlier lines."""
    room: dict[tuple[str, str], Decimal | None] = {}  # None: the item may go negative
    asked = []
    for draft, request in zip(drafts, requests, strict=True):
        pair = (request.item_sku_id, request.warehouse_id)
        if pair not in room:
            level = inventory.get_stock_level(*pair)
            if draft.allow_partial and not level.stock_tracked:
                raise ItemNotStockTracked(f"Item {pair[0]} is not stock-tracked")
            room[pair] = None if level.allow_negative_stock else level.available
        left, quantity = room[pair], request.quantity
        if left is not None:
            if draft.allow_partial and not request.override:
                quantity, _ = partial_split(request.quantity, left)
            room[pair] = left - quantity
        asked.append(quantity)
    return asked
