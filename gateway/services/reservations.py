"""Use cases on reservations (SPEC §5.3): reserve, release, consume, read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.errors import (
    ConsumeExceedsReserved,
    InvalidQuantity,
    ItemNotFound,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    ReservationTargetNotFound,
    UnknownWarehouse,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    Consumption,
    Page,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    SourceType,
    StockLevel,
)
from gateway.domain.owner_scope import owned_by_warehouse
from gateway.domain.payloads import consumption_from_payload, reservation_from_payload
from gateway.domain.reservation_rules import (
    Caller,
    ReservationDraft,
    ensure_may_change,
    reservation_request,
)
from gateway.domain.reservation_writes import consume_step, release_step, reserve_step
from gateway.domain.write_plan import PlannedStep, WritePlan
from gateway.services.plan_records import end_plan
from gateway.services.plan_runner import PlanPorts, run_plan
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort

CREATE = "reservation.create"
BATCH = "reservation.batch"
RELEASE = "reservation.release"
CONSUME = "reservation.consume"


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
    """Reserve upstream (idempotent on ``reference``), then record audit and event.

    A one-step durable plan: an answer lost on the way back is looked up on its reference, so
    the caller gets 201 with what was reserved or an error with nothing reserved.
    """
    request = checked_request(draft, caller, reference, inventory, work_orders, now,
                              overrides_allowed)  # fmt: skip
    return reserve_planned([request], caller, inventory, work_orders, uow)[0]


def checked_request(
    draft: ReservationDraft,
    caller: Caller,
    reference: str,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    now: datetime,
    overrides_allowed: bool,
) -> ReservationRequest:
    """Every check a create makes before it writes; the request it would send."""
    try:
        warehouse_owner = inventory.get_stock_level(draft.item_sku_id, draft.warehouse_id).owner_id
    except UnknownWarehouse:
        warehouse_owner = None  # as outside the scope: which warehouses exist is not told
    draft = owned_by_warehouse(draft, caller, warehouse_owner)
    request = reservation_request(draft, caller, reference, now, overrides_allowed)
    if request.source.type is SourceType.WORK_ORDER:
        _ensure_work_order_visible(request.source.id, caller, work_orders)
    return request


def reserve_planned(
    requests: Sequence[ReservationRequest],
    caller: Caller,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    uow: UnitOfWork,
    summary: Mapping[str, Any] | None = None,
) -> list[Reservation]:
    """Reserve every request or none, as one durable plan; the reservations made, in order.
    ``summary`` is kept with the plan (a partial create's backorder, decision 170)."""
    made = _run_reserve_plan(requests, caller, inventory, work_orders, uow, summary)
    if len(made) != 1 or made[0].status is ReservationStatus.OPEN:
        return made
    # A caller's own reference (SOAP) belonged to an earlier attempt that was undone: the
    # legacy system answered with what it stored and reserved nothing. This attempt is a new
    # one and needs a reference of its own. (REST references are fresh for every attempt.)
    (request,) = requests
    fresh = replace(request, reference=f"{request.reference[:32]}-{uuid.uuid4().hex[:6]}")
    return _run_reserve_plan([fresh], caller, inventory, work_orders, uow, summary)


def _run_reserve_plan(
    requests: Sequence[ReservationRequest],
    caller: Caller,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    uow: UnitOfWork,
    summary: Mapping[str, Any] | None = None,
) -> list[Reservation]:
    plan = WritePlan(
        id=uuid.uuid4().hex,
        operation=CREATE if len(requests) == 1 else BATCH,
        target_id=requests[0].reference,
        actor=caller.subject,
        steps=tuple(reserve_step(request) for request in requests),
        summary={**(summary or {}), "ownerId": requests[0].owner_id},
        correlation_id=uow.correlation_id,
    )
    uow.plans.begin(plan, uow.request_key)
    end = run_plan(plan, PlanPorts(inventory, work_orders, uow.plans), uow)
    end_plan(uow, end.plan, end.error)
    if end.error is not None:
        raise end.error
    return [reservation_from_payload(step.result or {}) for step in end.plan.steps]


def release(
    reservation_id: str, caller: Caller, reference: str, inventory: InventoryPort, uow: UnitOfWork
) -> Reservation:
    """OPEN → RELEASED, by its creator or a Manager/Owner (idempotent on ``reference``)."""
    before = visible_reservation(reservation_id, caller, inventory)
    ensure_may_change(before, caller)
    if before.status is ReservationStatus.CLOSED:
        raise ReservationAlreadyClosed(f"Reservation {reservation_id} is already closed")
    # A RELEASED one goes upstream too: a retry with the same reference gets its first answer,
    # any other reference is already released there.
    step = release_step(before, ReleaseReason.RELEASED, reference)
    done = run_single_write(RELEASE, step, caller, inventory, uow)
    return reservation_from_payload(done.result or {})


def consume(
    reservation_id: str,
    caller: Caller,
    reference: str,
    inventory: InventoryPort,
    uow: UnitOfWork,
    picked: PickedPart | None = None,
) -> Consumption:
    """OPEN → CLOSED: on-hand and reserved drop; the transaction has previous and new on-hand.

    With ``picked`` below the reserved quantity only that part is consumed: the reservation
    stays OPEN with the rest, or is closed and the rest released (``release_remainder``).
    """
    before = visible_reservation(reservation_id, caller, inventory)
    ensure_may_change(before, caller)
    if before.status is ReservationStatus.RELEASED:
        raise ReservationAlreadyReleased(f"Reservation {reservation_id} is already released")
    quantity, release_remainder = _part_to_consume(before, picked)
    # A CLOSED one goes upstream too: a retry with the same reference gets its first answer.
    step = consume_step(before, reference, quantity, release_remainder)
    done = run_single_write(CONSUME, step, caller, inventory, uow)
    return consumption_from_payload(done.result or {})


@dataclass(frozen=True)
class PickedPart:
    """What a partial consume picked, and whether the rest goes back to available."""

    quantity: Decimal | None = None
    release_remainder: bool = False


def _part_to_consume(before: Reservation, picked: PickedPart | None) -> tuple[Decimal | None, bool]:
    """The quantity to send (None: all of it) and whether to release the rest."""
    if picked is None or picked.quantity is None:
        return None, False
    if picked.quantity <= 0:
        raise InvalidQuantity("quantity must be greater than zero")
    if before.status is ReservationStatus.OPEN and picked.quantity > before.quantity:
        raise ConsumeExceedsReserved(
            f"quantity {picked.quantity} exceeds the {before.quantity} reservation "
            f"{before.id} holds"
        )
    # Sent even when it is all that was read: another consume may take part of it before this
    # one lands, and then the legacy system refuses (fault 245) rather than consuming less.
    return picked.quantity, picked.release_remainder


def run_single_write(
    operation: str, step: PlannedStep, caller: Caller, inventory: InventoryPort, uow: UnitOfWork
) -> PlannedStep:
    """One write as a durable plan: recorded before it is made, recovered if the process dies."""
    plan = WritePlan(
        id=uuid.uuid4().hex, operation=operation, target_id=str(step.args["reservationId"]),
        actor=caller.subject, steps=(step,), correlation_id=uow.correlation_id,
        summary={"ownerId": step.args["before"]["ownerId"]},
    )  # fmt: skip
    return run_inventory_plan(plan, inventory, uow).steps[0]


def run_inventory_plan(plan: WritePlan, inventory: InventoryPort, uow: UnitOfWork) -> WritePlan:
    """A plan of inventory writes, kept before its first write, driven to its end, its records
    and end added to ``uow``; the error that stopped it raised (after its compensations)."""
    uow.plans.begin(plan, uow.request_key)
    end = run_plan(plan, PlanPorts.inventory_only(inventory, uow.plans), uow)
    end_plan(uow, end.plan, end.error)
    if end.error is not None:
        raise end.error
    return end.plan


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


def stock_level(
    sku: str, warehouse_id: str, caller: Caller, inventory: InventoryPort
) -> StockLevel:
    """The item's stock level (ATP = on hand − reserved) in one of the caller's warehouses.

    Another owner's warehouse, and one that does not exist, answer exactly as an unknown item
    does (SPEC §7): which warehouse ids exist elsewhere is not the caller's to learn.
    """
    try:
        level: StockLevel | None = inventory.get_stock_level(sku, warehouse_id)
    except (ItemNotFound, UnknownWarehouse):
        level = None
    if level is None or level.owner_id is None or not caller.can_see(level.owner_id):
        raise ItemNotFound(f"No item {sku}")
    return level


def low_stock(caller: Caller, inventory: InventoryPort) -> list[StockLevel]:
    """Stock levels at or below their reorder point, in the caller's warehouses."""
    return inventory.low_stock(None if caller.all_owners else caller.owner_ids)


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
