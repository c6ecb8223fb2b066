"""Use case: the work-order update v2 (SPEC §5.2), steps 1–7 in order.

One update per work order at a time, across gateway processes: a lock row held from before the
read until the plan ends, so no update diffs against a state another is changing. Every check
runs before the first write, so a refused update writes nothing. The writes are a durable plan
(gateway/domain/workorder_writes.py) kept before the first one and run all or nothing
(gateway/services/plan_runner.py). The rules are gateway/domain/rules.py, the compensations
gateway/services/compensations.py; how the vague steps were read is docs/decisions/032–041.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.errors import (
    GatewayError,
    RequestInvalid,
    WorkOrderChanged,
    WorkOrderUpdateInProgress,
)
from gateway.domain.model import Material, Recipe, Reservation, WorkOrder
from gateway.domain.owner_scope import check_rework_warehouses
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
from gateway.domain.workorder_writes import (
    ReworkChange,
    UpdateContext,
    header_change,
    plan_writes,
    rework_changes_at,
)
from gateway.domain.write_plan import WritePlan, plan_reference
from gateway.services.plan_records import end_plan
from gateway.services.plan_runner import PlanPorts, run_plan
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.workorders import (
    WorkOrderReservations,
    get_work_order_reservations,
    visible_work_order,
    work_order_etag,
)

OPERATION = "workorder.update"
UPDATED = "workorder.update"
FAILED = "workorder.update_failed"
RETRY_AFTER_SECONDS = 2


@dataclass(frozen=True)
class WorkOrderUpdate:
    """What the caller asks for: PUT /api/v2/work-orders/{id}?recipe-name=R."""

    work_order_id: str
    recipe_name: str
    batch_quantity: Decimal
    planned_start: datetime
    transaction_date: datetime | None = None
    materials: tuple[RequestedMaterial, ...] = ()
    if_match: str | None = None
    """The work order's ETag as the caller read it; the update is refused if it changed."""


@dataclass(frozen=True)
class Updater:
    """Who updates: the audit's actor and the owners they may see."""

    subject: str
    can_see_owner: Callable[[str], bool] = field(default=lambda owner_id: True)


def new_plan_id() -> str:
    """A fresh id for the write plan of one update (its writes' references derive from it)."""
    return uuid.uuid4().hex


def update_work_order(
    update: WorkOrderUpdate,
    updater: Updater,
    plan_id: str,
    work_orders: WorkOrderPort,
    inventory: InventoryPort,
    uow: UnitOfWork,
    now: datetime,
    default_warehouses: Mapping[str, str] | None = None,
) -> WorkOrderReservations:
    """Check everything, write all or nothing, answer with 5.1's view of the work order."""
    posted_at = transaction_date(update.transaction_date, now)  # 1
    # Scope first: another owner's work order is as missing as an unknown one, busy or not.
    visible_work_order(update.work_order_id, work_orders, updater.can_see_owner)
    if not uow.plans.lock_work_order(update.work_order_id, plan_id):
        raise WorkOrderUpdateInProgress(
            f"{update.work_order_id} is being updated by another request",
            retry_after=RETRY_AFTER_SECONDS,
        )
    try:
        plan = _plan(update, updater, plan_id, work_orders, inventory, uow, now, posted_at,
                     default_warehouses or {})  # fmt: skip
        uow.plans.begin(plan, uow.request_key)
    except BaseException:
        uow.plans.unlock_work_order(update.work_order_id, plan_id)
        raise
    end = run_plan(plan, PlanPorts(inventory, work_orders, uow.plans), uow)
    end_plan(uow, end.plan, end.error)
    if end.error is not None:
        raise end.error  # the step's own error, whatever the compensations did
    return get_work_order_reservations(  # 7
        update.work_order_id, work_orders, inventory, can_see_owner=updater.can_see_owner
    )


def _plan(
    update: WorkOrderUpdate,
    updater: Updater,
    plan_id: str,
    work_orders: WorkOrderPort,
    inventory: InventoryPort,
    uow: UnitOfWork,
    now: datetime,
    posted_at: datetime,
    default_warehouses: Mapping[str, str],
) -> WritePlan:
    work_order, recipe = _load(update, updater, work_orders)  # 2
    if update.if_match is not None and update.if_match != work_order_etag(work_order):
        raise WorkOrderChanged(f"{work_order.id} changed since it was read")
    check_batch_quantity(update.batch_quantity, recipe.batch)  # 3
    check_planned_start(update.planned_start, now)
    changes = diff_materials(work_order, recipe, update.materials)  # 4 (none named), 5
    net = rework_changes(changes, recipe)  # 6
    holdings = inventory.list_reservations_by_sources([work_order.id]) if net else []
    warehouses = _warehouses(work_order, net, holdings, default_warehouses)
    rework = rework_changes_at(net, changes, warehouses)
    _check_availability(work_order, rework, inventory)
    context = UpdateContext(work_order, updater.subject, posted_at)
    header = header_change(work_order, update.batch_quantity, update.planned_start)
    reference = plan_reference(plan_id, "WU")
    steps = plan_writes(context, reference, header, changes, rework, holdings)
    return WritePlan(
        id=plan_id, operation=OPERATION, target_id=work_order.id, actor=updater.subject,
        steps=tuple(steps),
        summary={"audit": _audit(context, update, reference, changes),
                 "ownerId": work_order.owner_id},
        correlation_id=uow.correlation_id,
    )  # fmt: skip


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


def _check_availability(
    work_order: WorkOrder, rework: Sequence[ReworkChange], inventory: InventoryPort
) -> None:
    """Rework comes from the work order's own warehouses, and what it adds is available."""
    if not rework:
        return
    where = {r.item: r.warehouse_id for r in rework}
    levels = {
        balances.item.sku_id: next(
            (lv for lv in balances.levels if lv.warehouse_id == where[balances.item.sku_id]), None
        )
        for balances in inventory.get_item_balances(list(where))
    }
    check_rework_warehouses(work_order.owner_id, levels)
    increases = {r.item: r.change for r in rework if r.change > 0}
    check_rework_availability(increases, levels)


def _audit(
    context: UpdateContext,
    update: WorkOrderUpdate,
    reference: str,
    changes: Sequence[MaterialChange],
) -> dict[str, Any]:
    """The update's audit entry, before and after (its failure: services/plan_records.py)."""
    work_order = context.work_order
    before = _header(work_order.batch_quantity, work_order.planned_start) | {
        "materials": [_material(c.operation, c.before) for c in changes if c.before is not None]
    }
    after = (
        {"reference": reference}
        | _header(update.batch_quantity, update.planned_start)
        | {
            "transactionDate": context.posted_at.isoformat(),
            "materials": [_material(c.operation, c.after) for c in changes],
        }
    )
    return {"action": UPDATED, "failedAction": FAILED, "targetType": "work_order",
            "targetId": work_order.id, "before": before, "after": after}  # fmt: skip


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
