"""Use case: the work-order update v2 (SPEC §5.2), steps 1–7 in order.

Every check runs before the first write, so a refused update writes nothing. The writes are a
plan (gateway/services/workorder_plan.py) run all or nothing (gateway/services/write_plan.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.errors import GatewayError, RequestInvalid
from gateway.domain.model import Material, Recipe, Reservation, ReservationStatus, WorkOrder
from gateway.domain.rules import (
    MaterialChange,
    RequestedMaterial,
    check_batch_quantity,
    check_planned_start,
    check_rework_availability,
    diff_materials,
    rework_changes,
    transaction_date,
    work_order_warehouse,
)
from gateway.services.compensations import run_compensation
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservations import record_change
from gateway.services.workorder_plan import (
    ReworkChange,
    UpdateContext,
    header_change,
    plan_writes,
    rework_changes_at,
)
from gateway.services.workorders import (
    WorkOrderReservations,
    get_work_order_reservations,
    visible_work_order,
)
from gateway.services.write_plan import Compensation, PlanRun, run_plan

UPDATED = "workorder.update"
FAILED = "workorder.update_failed"


@dataclass(frozen=True)
class WorkOrderUpdate:
    """What the caller asks for: PUT /api/v2/work-orders/{id}?recipe-name=R."""

    work_order_id: str
    recipe_name: str
    batch_quantity: Decimal
    planned_start: datetime
    transaction_date: datetime | None = None
    materials: tuple[RequestedMaterial, ...] = ()


@dataclass(frozen=True)
class Updater:
    """Who updates: the audit's actor and the owners they may see."""

    subject: str
    can_see_owner: Callable[[str], bool] = field(default=lambda owner_id: True)


def new_request_reference() -> str:
    """A fresh reference for one run of an update (27 characters; steps add 3 to 5)."""
    return f"WU-{uuid.uuid4().hex[:24]}"


def update_work_order(
    update: WorkOrderUpdate,
    updater: Updater,
    reference: str,
    work_orders: WorkOrderPort,
    inventory: InventoryPort,
    uow: UnitOfWork,
    now: datetime,
    default_warehouses: Mapping[str, str] | None = None,
) -> WorkOrderReservations:
    """Check everything, write all or nothing, answer with 5.1's view of the work order."""
    posted_at = transaction_date(update.transaction_date, now)  # 1
    work_order, recipe = _load(update, updater, work_orders)  # 2
    check_batch_quantity(update.batch_quantity, recipe.batch)  # 3
    check_planned_start(update.planned_start, now)
    changes = diff_materials(work_order, recipe, update.materials)  # 4 (none named), 5
    net = rework_changes(changes, recipe)  # 6
    holdings = inventory.list_reservations_by_sources([work_order.id]) if net else []
    warehouses = _warehouses(work_order, net, holdings, default_warehouses or {})
    rework = rework_changes_at(net, changes, warehouses)
    _check_availability(rework, inventory)
    context = UpdateContext(work_order, updater.subject, posted_at, inventory, work_orders)
    header = header_change(work_order, update.batch_quantity, update.planned_start)
    steps = plan_writes(context, reference, header, changes, rework, holdings)
    run = run_plan(steps, _compensator(inventory, work_orders), uow.outbox)
    _audit(uow, context, update, reference, changes, run, holdings)
    if run.error is not None:
        raise run.error  # the step's own error, whatever the compensations did
    return get_work_order_reservations(  # 7
        work_order.id, work_orders, inventory, can_see_owner=updater.can_see_owner
    )


def _load(
    update: WorkOrderUpdate, updater: Updater, work_orders: WorkOrderPort
) -> tuple[WorkOrder, Recipe]:
    work_order = visible_work_order(update.work_order_id, work_orders, updater.can_see_owner)
    recipe = work_orders.get_recipe(update.recipe_name)
    if recipe.name != work_order.recipe_name:
        raise RequestInvalid(
            {"recipe-name": [f"{work_order.id} is made to {work_order.recipe_name}"]}
        )
    return work_order, recipe


def _warehouses(
    work_order: WorkOrder,
    net: Mapping[str, Decimal],
    holdings: Sequence[Reservation],
    defaults: Mapping[str, str],
) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in net:
        warehouse = work_order_warehouse(holdings, item, defaults.get(work_order.owner_id))
        if warehouse is None:  # a set-up gap, not the caller's mistake: a 500 with its log
            raise GatewayError(f"No warehouse known for {work_order.owner_id}'s {item}")
        found[item] = warehouse
    return found


def _check_availability(rework: Sequence[ReworkChange], inventory: InventoryPort) -> None:
    increases = {r.item: r.change for r in rework if r.change > 0}
    if not increases:
        return
    where = {r.item: r.warehouse_id for r in rework}
    levels = {
        balances.item.sku_id: next(
            (lv for lv in balances.levels if lv.warehouse_id == where[balances.item.sku_id]), None
        )
        for balances in inventory.get_item_balances(list(increases))
    }
    check_rework_availability(increases, levels)


def _compensator(
    inventory: InventoryPort, work_orders: WorkOrderPort
) -> Callable[[Compensation], None]:
    return lambda c: run_compensation(c.kind, c.payload, inventory, work_orders)


def _audit(
    uow: UnitOfWork,
    context: UpdateContext,
    update: WorkOrderUpdate,
    reference: str,
    changes: Sequence[MaterialChange],
    run: PlanRun,
    holdings: Sequence[Reservation],
) -> None:
    """One entry for the update (or its failure), and one per reservation it changed."""
    work_order, actor = context.work_order, context.actor
    before = _header(work_order.batch_quantity, work_order.planned_start) | {
        "materials": [_material(c.operation, c.before) for c in changes if c.before is not None]
    }
    after: dict[str, Any] = {"reference": reference}
    if run.error is not None:
        after |= {
            "error": getattr(run.error, "code", "internal.error"),
            "failedStep": run.failed.description if run.failed else None,
            "compensationsQueued": [c.kind for c in run.queued],
        }
        uow.audit.record(actor, FAILED, "work_order", work_order.id, before, after)
        return
    after |= _header(update.batch_quantity, update.planned_start) | {
        "transactionDate": context.posted_at.isoformat(),
        "materials": [_material(c.operation, c.after) for c in changes],
        "writes": len(run.results),
    }
    uow.audit.record(actor, UPDATED, "work_order", work_order.id, before, after)
    _record_reservations(uow, actor, run.results, holdings)


def _record_reservations(
    uow: UnitOfWork, actor: str, results: Sequence[Any], holdings: Sequence[Reservation]
) -> None:
    held = {r.id: r for r in holdings}
    for result in results:
        if not isinstance(result, Reservation):
            continue
        if result.status is ReservationStatus.OPEN:
            record_change(uow, actor, "reservation.create", None, result, "InventoryReserved")
        else:
            before = held.get(result.id)
            record_change(uow, actor, "reservation.release", before, result, "InventoryReleased")


def _header(batch_quantity: Decimal, planned_start: datetime | None) -> dict[str, Any]:
    return {
        "batchQuantity": batch_quantity,
        "plannedStart": None if planned_start is None else planned_start.isoformat(),
    }


def _material(operation: int, material: Material) -> dict[str, Any]:
    return {
        "operation": operation,
        "itemNumber": material.item_number,
        "quantity": material.quantity,
        "lot": material.lot,
    }
