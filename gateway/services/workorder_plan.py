"""The writes of one work-order update, in order, each with its compensation.

Order: the header, the materials, then the rework reservations and last the rework
transactions. Work-order writes are restored exactly by their compensations (absolute values),
while a compensated inventory write leaves a trace in the legacy ledger (a released reservation,
a reversal); so the inventory goes last, where a failure of anything before it leaves none.
Every step gets a reference ``<request reference>-<step number>`` (the legacy REFNO for
inventory writes), and its compensation ``<that>-U``, so no retry ever lands twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gateway.domain.model import (
    InventoryTransaction,
    Material,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
    WorkOrder,
    WorkOrderStatus,
)
from gateway.domain.rules import (
    MaterialChange,
    open_holdings,
    plan_release,
    rework_transaction_quantity,
    rework_transaction_type,
)
from gateway.services import compensations as undo
from gateway.services.ports import InventoryPort, WorkOrderPort
from gateway.services.write_plan import Step

REFERENCE_LIMIT = 40
"""The legacy REFNO's length."""
DEFAULT_PRIORITY = 50

Draft = Callable[[str], Step]
"""A step still waiting for its reference."""


@dataclass(frozen=True)
class UpdateContext:
    """What every step of one update shares."""

    work_order: WorkOrder
    actor: str
    posted_at: datetime
    inventory: InventoryPort
    work_orders: WorkOrderPort

    @property
    def source(self) -> Source:
        return Source(SourceType.WORK_ORDER, self.work_order.id)


@dataclass(frozen=True)
class ReworkChange:
    """A rework item's net change, where it is taken from, and its material after the update."""

    item: str
    change: Decimal
    warehouse_id: str
    material: Material


def plan_writes(
    context: UpdateContext,
    reference: str,
    header: tuple[Decimal, datetime] | None,
    changes: Sequence[MaterialChange],
    rework: Sequence[ReworkChange],
    holdings: Sequence[Reservation],
) -> list[Step]:
    """Every write of the update, numbered, in the order they run."""
    drafts: list[Draft] = []
    if header is not None:
        drafts.append(_header(context, *header))
    drafts += [_material(context, change) for change in changes]
    if context.work_order.status is not WorkOrderStatus.COMPLETED:
        for item in rework:
            drafts += _reservations(context, item, holdings)
    drafts += [_transaction(context, item) for item in rework]
    return numbered(drafts, reference)


def numbered(drafts: Sequence[Draft], reference: str) -> list[Step]:
    """Give each step its reference: the request's reference and the step's number."""
    if len(f"{reference}-{len(drafts):02d}-U") > REFERENCE_LIMIT:
        raise ValueError(f"reference {reference!r} leaves no room for step numbers")
    return [draft(f"{reference}-{number:02d}") for number, draft in enumerate(drafts, start=1)]


def header_change(
    work_order: WorkOrder, batch_quantity: Decimal, planned_start: datetime
) -> tuple[Decimal, datetime] | None:
    """The header to PATCH, or None when it already reads so."""
    if batch_quantity == work_order.batch_quantity and planned_start == work_order.planned_start:
        return None
    return batch_quantity, planned_start


def _header(context: UpdateContext, batch_quantity: Decimal, planned_start: datetime) -> Draft:
    work_order = context.work_order

    def step(_: str) -> Step:
        return Step(
            f"update {work_order.id}: batch {batch_quantity}, start {planned_start.isoformat()}",
            lambda: context.work_orders.update_work_order(
                work_order.id, batch_quantity=batch_quantity, planned_start=planned_start
            ),
            undo.restore_header(work_order),
        )

    return step


def _material(context: UpdateContext, change: MaterialChange) -> Draft:
    work_order_id, operation, after = context.work_order.id, change.operation, change.after
    if change.before is None:
        compensation = undo.remove_material(work_order_id, operation, after.item_number)
    else:
        compensation = undo.restore_material(work_order_id, operation, change.before)

    def step(_: str) -> Step:
        return Step(
            f"put {after.quantity} {after.item_number} in operation {operation}",
            lambda: context.work_orders.put_material(work_order_id, operation, after),
            compensation,
        )

    return step


def _reservations(
    context: UpdateContext, rework: ReworkChange, holdings: Sequence[Reservation]
) -> list[Draft]:
    """Reserve an increase; release what a decrease frees (and reserve any remainder again)."""
    held = open_holdings(holdings, context.work_order.id, rework.item)
    priority = max((r.priority for r in held), default=DEFAULT_PRIORITY)
    if rework.change > 0:
        lot = rework.material.lot
        return [_reserve(context, rework, rework.change, None, lot, priority)]
    plan = plan_release(held, -rework.change)
    drafts = [_release(context, reservation) for reservation in plan.releases]
    if plan.remainder > 0:
        last = plan.releases[-1]
        drafts.append(
            _reserve(context, rework, plan.remainder, last.location, last.lot, last.priority)
        )
    return drafts


def _reserve(
    context: UpdateContext,
    rework: ReworkChange,
    quantity: Decimal,
    location: str | None,
    lot: str | None,
    priority: int,
) -> Draft:
    def step(reference: str) -> Step:
        request = ReservationRequest(
            reference=reference,
            item_sku_id=rework.item,
            warehouse_id=rework.warehouse_id,
            quantity=quantity,
            type=ReservationType.PRODUCTION,
            source=context.source,
            owner_id=context.work_order.owner_id,
            priority=priority,
            uom=rework.material.uom,
            location=location,
            lot=lot,
            created_by=context.actor,
        )
        return Step(
            f"reserve {quantity} {rework.item} in {rework.warehouse_id}",
            lambda: context.inventory.reserve(request),
            undo.cancel_reservation(context.work_order.id, reference),
        )

    return step


def _release(context: UpdateContext, reservation: Reservation) -> Draft:
    def step(reference: str) -> Step:
        return Step(
            f"release reservation {reservation.id} of {reservation.item_sku_id}",
            lambda: context.inventory.release(reservation.id, ReleaseReason.RELEASED),
            undo.restore_reservation(reservation, f"{reference}-U"),
        )

    return step


def _transaction(context: UpdateContext, rework: ReworkChange) -> Draft:
    def step(reference: str) -> Step:
        movement = InventoryTransaction(
            reference=reference,
            item_sku_id=rework.item,
            warehouse_id=rework.warehouse_id,
            quantity=rework_transaction_quantity(rework.change),
            transaction_type=rework_transaction_type(context.work_order.status),
            transaction_date=context.posted_at,
            source=context.source,
            lot=rework.material.lot,
        )
        return Step(
            f"post {movement.quantity} {rework.item} in {rework.warehouse_id}",
            lambda: context.inventory.post_transaction(movement),
            undo.reverse_transaction(movement, f"{reference}-U"),
        )

    return step


def rework_changes_at(
    net: Mapping[str, Decimal],
    changes: Sequence[MaterialChange],
    warehouses: Mapping[str, str],
) -> list[ReworkChange]:
    """The rework items' net changes with where they come from and their material."""
    materials = {change.after.item_number: change.after for change in changes}
    return [ReworkChange(item, net[item], warehouses[item], materials[item]) for item in net]
