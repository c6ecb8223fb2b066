"""Partial reservations and their backorders (issue 15.2, decision 170): create, list, read,
cancel; the stock view with the backordered total. Filling is backorder_filling.py.

A partial create reads what is available and reserves that much through the create's durable
write plan; the legacy reserve is atomic, so when another create took the stock first it faults
and the create reads again (at most ``ATTEMPTS`` times, then backorders all of it). What was not
reserved becomes a backorder, written in the same transaction as the plan's end, its audit
entry and its events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.backorders import (
    ZERO,
    Backorder,
    BackorderSearch,
    BackorderStatus,
    backorder_summary,
    ensure_may_cancel,
    partial_split,
)
from gateway.domain.errors import (
    BackorderNotFound,
    InsufficientStock,
    ItemNotFound,
    ItemNotStockTracked,
    ReferenceReused,
)
from gateway.domain.model import Page, Reservation, ReservationRequest, StockLevel
from gateway.domain.reservation_rules import Caller, ReservationDraft
from gateway.services.backorder_ports import BackorderBook
from gateway.services.backorder_records import record, record_created
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.references import backorder_id_of, made_on
from gateway.services.reservations import checked_request, reserve_planned, stock_level

ATTEMPTS = 5
CANCELLED = "InventoryBackorderCancelled"


@dataclass(frozen=True)
class PartialReservation:
    """A partial create's answer: what was reserved now (if anything) and what waits."""

    reservation: Reservation | None
    reserved_quantity: Decimal
    backordered_quantity: Decimal
    backorder: Backorder | None


@dataclass(frozen=True)
class StockWithBackorders:
    level: StockLevel
    backordered: Decimal


def reserve_partial(
    draft: ReservationDraft,
    caller: Caller,
    reference: str,
    ports: tuple[InventoryPort, WorkOrderPort, BackorderBook],
    uow: UnitOfWork,
    now: datetime,
    overrides_allowed: bool,
    callers_reference: bool = False,
) -> PartialReservation:
    """Reserve what is available of ``draft`` (never more), backorder the rest.

    With something to reserve, the backorder rides in the reserve's write plan and is written
    when the plan ends done, by this request or by recovery (gateway/store/write_plans.py);
    with nothing to reserve, it is written with this request's commit.

    ``callers_reference``: the reference is the caller's own (SOAP), so this may be a retry of
    a call that reserved and backordered already: that is answered, never made again.
    """
    inventory, work_orders, book = ports
    request = checked_request(draft, caller, reference, inventory, work_orders, now,
                              overrides_allowed)  # fmt: skip
    if callers_reference:
        backorder_id = backorder_id_of(reference)
        earlier = _made_before(request, backorder_id, inventory, book)
        if earlier is not None:
            return earlier
    else:
        backorder_id = uuid.uuid4().hex[:16]
    made = _reserve_what_is_available(request, caller, (inventory, work_orders), uow,
                                      backorder_id, now)  # fmt: skip
    reserved = made.quantity if made is not None else ZERO
    backorder = None
    if request.quantity > reserved:
        backorder = new_backorder(backorder_id, request, request.quantity - reserved, now)
        if made is None:
            uow.also_in_transaction(book.adding(backorder))
            record_created(uow, caller.subject, backorder)
    return PartialReservation(made, reserved, request.quantity - reserved, backorder)


def _reserve_what_is_available(
    request: ReservationRequest,
    caller: Caller,
    upstream: tuple[InventoryPort, WorkOrderPort],
    uow: UnitOfWork,
    backorder_id: str,
    now: datetime,
) -> Reservation | None:
    inventory, work_orders = upstream
    for attempt in range(ATTEMPTS):
        level = inventory.get_stock_level(request.item_sku_id, request.warehouse_id)
        if not level.stock_tracked:  # nothing to wait for: refused as a whole create is
            raise ItemNotStockTracked(f"Item {request.item_sku_id} is not stock-tracked")
        if request.override or level.allow_negative_stock:
            now_quantity = request.quantity
        else:
            now_quantity, _ = partial_split(request.quantity, level.available)
        if now_quantity <= 0:
            return None
        attempt_request = replace(request, quantity=now_quantity,
                                  reference=f"{request.reference[:36]}-{attempt}")  # fmt: skip
        summary: dict[str, Any] = {
            "partial": {"requested": str(request.quantity), "backorderId": backorder_id}
        }
        if now_quantity < request.quantity:
            rest = new_backorder(backorder_id, request, request.quantity - now_quantity, now)
            summary["backorder"] = backorder_summary(rest)
        try:
            return reserve_planned([attempt_request], caller, inventory, work_orders, uow,
                                   summary)[0]  # fmt: skip
        except InsufficientStock:
            continue  # another create took the stock between the read and the reserve
    return None


def _made_before(
    request: ReservationRequest, backorder_id: str, inventory: InventoryPort, book: BackorderBook
) -> PartialReservation | None:
    """What an earlier call with this reference reserved and backordered, if it made anything;
    ReferenceReused when it asked for another quantity."""
    found = inventory.list_reservations_by_sources([request.source.id])
    made = next(iter(made_on(f"{request.reference[:36]}-", found, request.item_sku_id)), None)
    waiting = book.get(backorder_id)
    if made is None and waiting is None:
        return None
    reserved = made.quantity if made is not None else ZERO
    if reserved + (waiting.requested if waiting is not None else ZERO) != request.quantity:
        raise ReferenceReused("This reference was used for another request")
    return PartialReservation(made, reserved, request.quantity - reserved, waiting)


def new_backorder(
    backorder_id: str, request: ReservationRequest, quantity: Decimal, now: datetime
) -> Backorder:
    return Backorder(
        id=backorder_id, item_sku_id=request.item_sku_id, warehouse_id=request.warehouse_id,
        requested=quantity, quantity=quantity, type=request.type, source=request.source,
        priority=request.priority, owner_id=request.owner_id, created_by=request.created_by,
        created_at=now, expires_at=request.expires_at, uom=request.uom,
        location=request.location, lot=request.lot,
    )  # fmt: skip


def visible_backorder(backorder_id: str, caller: Caller, book: BackorderBook) -> Backorder:
    """The backorder, if inside the caller's owner scope; else not found."""
    found = book.get(backorder_id)
    if found is None or not caller.can_see(found.owner_id):
        raise BackorderNotFound(f"No backorder {backorder_id}")
    return found


def list_backorders(
    search: BackorderSearch, caller: Caller, book: BackorderBook, offset: int, limit: int
) -> Page[Backorder]:
    """One page, highest priority first then oldest, of what the caller may see."""
    scope = None if caller.all_owners else caller.owner_ids
    if search.owner_ids is not None:
        scope = search.owner_ids if scope is None else scope & search.owner_ids
    return book.search(replace(search, owner_ids=scope), offset, limit)


def cancel(
    backorder_id: str, caller: Caller, book: BackorderBook, uow: UnitOfWork, now: datetime
) -> Backorder:
    """OPEN → CANCELLED, by its creator or a Manager/Owner; the reservations made stay."""
    before = visible_backorder(backorder_id, caller, book)
    ensure_may_cancel(before, caller)
    after = before.ended(BackorderStatus.CANCELLED, now)
    uow.also_in_transaction(book.changing(before, after))
    record(uow, caller.subject, "backorder.cancel", before, after, CANCELLED)
    return after


def stock_with_backorders(
    sku: str, warehouse_id: str, caller: Caller, inventory: InventoryPort, book: BackorderBook
) -> StockWithBackorders:
    """The stock level (scope-checked as ever) and what its OPEN backorders wait for."""
    level = stock_level(sku, warehouse_id, caller, inventory)
    if level.owner_id is None:
        raise ItemNotFound(f"No item {sku}")
    return StockWithBackorders(level, book.backordered(sku, warehouse_id))
