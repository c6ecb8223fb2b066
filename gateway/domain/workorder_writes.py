"""The writes a work-order update v2 implies (SPEC §5.2), in order, each with its compensation.

The rules (gateway/domain/rules.py) say what changes; this says which upstream writes make it
so. Order: the header, the materials, then the rework reservations and last the rework
transactions. Work-order writes are restored exactly by their compensations (absolute values),
while a compensated inventory write leaves a trace in the legacy ledger (a released reservation,
a reversal); so the inventory goes last, where a failure of anything before it leaves none.
Every step gets a reference ``<plan reference>-<step number>`` (the legacy REFNO for inventory
writes), and its compensation ``<that>-U``, so no re-run ever lands twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from gateway.domain import undo
from gateway.domain.model import (
    DEFAULT_PRIORITY,
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
from gateway.domain.payloads import (
    material_payload,
    reservation_payload,
    transaction_payload,
)
from gateway.domain.reservation_writes import reserve_step
from gateway.domain.rules import (
    MaterialChange,
    open_holdings,
    plan_release,
    rework_transaction_quantity,
    rework_transaction_type,
)
from gateway.domain.write_plan import (
    POST_TRANSACTION,
    PUT_MATERIAL,
    RELEASE,
    UPDATE_HEADER,
    PlannedStep,
    numbered_references,
)

Draft = Callable[[str], PlannedStep]
"""A step still waiting for its reference."""


@dataclass(frozen=True)
class UpdateContext:
    """What every step of one update shares."""

    work_order: WorkOrder
    actor: str
    posted_at: datetime

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
) -> list[PlannedStep]:
    """Every write of the update, numbered, in the order they run."""
    drafts: list[Draft] = []
    if header is not None:
        drafts.append(_header(context, *header))
    drafts += [_material(context, change) for change in changes]
    if reserves_rework(context.work_order):
        for item in rework:
            drafts += _reservations(context, item, holdings)
    drafts += [_transaction(context, item) for item in rework]
    return numbered(drafts, reference)


def reserves_rework(work_order: WorkOrder) -> bool:
    """A COMPLETED work order consumes nothing any more: its rework gets no reservation."""
    return work_order.status is not WorkOrderStatus.COMPLETED


def numbered(drafts: Sequence[Draft], reference: str) -> list[PlannedStep]:
    """Give each step its reference: the plan's reference and the step's number."""
    references = numbered_references(reference, len(drafts))
    return [draft(step_reference) for draft, step_reference in zip(drafts, references, strict=True)]


def header_change(
    work_order: WorkOrder, batch_quantity: Decimal, planned_start: datetime
) -> tuple[Decimal, datetime] | None:
    """The header to PATCH, or None when it already reads so."""
    if batch_quantity == work_order.batch_quantity and planned_start == work_order.planned_start:
        return None
    return batch_quantity, planned_start


def _header(context: UpdateContext, batch_quantity: Decimal, planned_start: datetime) -> Draft:
    work_order = context.work_order

    def step(_: str) -> PlannedStep:
        return PlannedStep(
            UPDATE_HEADER,
            {"workOrderId": work_order.id, "batchQuantity": batch_quantity,
             "plannedStart": planned_start.isoformat()},
            f"update {work_order.id}: batch {batch_quantity}, start {planned_start.isoformat()}",
            undo.restore_header(work_order),
        )  # fmt: skip

    return step


def _material(context: UpdateContext, change: MaterialChange) -> Draft:
    work_order_id, operation, after = context.work_order.id, change.operation, change.after
    if change.before is None:
        compensation = undo.remove_material(work_order_id, operation, after.item_number)
    else:
        compensation = undo.restore_material(work_order_id, operation, change.before)

    def step(_: str) -> PlannedStep:
        return PlannedStep(
            PUT_MATERIAL,
            {"workOrderId": work_order_id, "operation": operation,
             "material": material_payload(after)},
            f"put {after.quantity} {after.item_number} in operation {operation}",
            compensation,
        )  # fmt: skip

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
    drafts = [_release(reservation) for reservation in plan.releases]
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
    def step(reference: str) -> PlannedStep:
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
        return reserve_step(request)

    return step


def _release(reservation: Reservation) -> Draft:
    def step(reference: str) -> PlannedStep:
        return PlannedStep(
            RELEASE,
            {"reservationId": reservation.id, "reason": ReleaseReason.RELEASED.value,
             "reference": reference, "before": reservation_payload(reservation)},
            f"release reservation {reservation.id} of {reservation.item_sku_id}",
            undo.restore_reservation(reservation, f"{reference}-U"),
        )  # fmt: skip

    return step


def _transaction(context: UpdateContext, rework: ReworkChange) -> Draft:
    def step(reference: str) -> PlannedStep:
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
        return PlannedStep(
            POST_TRANSACTION,
            {"transaction": transaction_payload(movement)},
            f"post {movement.quantity} {rework.item} in {rework.warehouse_id}",
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
