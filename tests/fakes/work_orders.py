"""The work-order service in memory, with the sandbox's rules (sandbox/workorders/store.py).

The one fake of the WorkOrderPort; tests/contract/ holds it to the REST adapter's behaviour.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gateway.domain.errors import RecipeNotFound, WorkOrderNotFound
from gateway.domain.model import Material, Operation, Recipe, WorkOrder
from tests.fakes.gate import WriteGate


@dataclass
class FakeWorkOrders:
    """Work orders and recipes by id; writes pass ``gate`` and change the stored order."""

    orders: dict[str, WorkOrder] = field(default_factory=dict)
    recipes: dict[str, Recipe] = field(default_factory=dict)
    gate: WriteGate = field(default_factory=WriteGate)
    calls: Counter[str] = field(default_factory=Counter)

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        self.calls["get_work_order"] += 1
        return self._order(work_order_id)

    def get_recipe(self, name: str) -> Recipe:
        self.calls["get_recipe"] += 1
        if name not in self.recipes:
            raise RecipeNotFound()
        return self.recipes[name]

    def update_work_order(
        self,
        work_order_id: str,
        batch_quantity: Decimal | None = None,
        planned_start: datetime | None = None,
    ) -> WorkOrder:
        self.calls["update_work_order"] += 1
        self.gate.enter("update_work_order")
        order = self._order(work_order_id)
        changes: dict[str, Any] = {}
        if batch_quantity is not None:
            changes["batch_quantity"] = batch_quantity
        if planned_start is not None:
            changes["planned_start"] = planned_start.astimezone(UTC)
        self.orders[work_order_id] = replace(order, **changes)
        return self.gate.leave(self.orders[work_order_id])

    def put_material(self, work_order_id: str, sequence: int, material: Material) -> Material:
        self.calls["put_material"] += 1
        self.gate.enter("put_material")
        self._edit(work_order_id, sequence, material.item_number, material)
        return self.gate.leave(material)

    def delete_material(self, work_order_id: str, sequence: int, item_number: str) -> None:
        self.calls["delete_material"] += 1
        self.gate.enter("delete_material")
        self._edit(work_order_id, sequence, item_number, None)
        self.gate.leave(None)

    def _order(self, work_order_id: str) -> WorkOrder:
        if work_order_id not in self.orders:
            raise WorkOrderNotFound()
        return self.orders[work_order_id]

    def _edit(self, order_id: str, sequence: int, item: str, material: Material | None) -> None:
        order = self._order(order_id)
        if not any(op.sequence == sequence for op in order.operations):
            raise WorkOrderNotFound("no such operation")
        operations = tuple(
            op if op.sequence != sequence else replace(op, materials=_edited(op, item, material))
            for op in order.operations
        )
        self.orders[order_id] = replace(order, operations=operations)


def _edited(op: Operation, item: str, material: Material | None) -> tuple[Material, ...]:
    kept = [m if m.item_number != item else material for m in op.materials]
    if material is not None and all(m.item_number != item for m in op.materials):
        kept.append(material)
    return tuple(m for m in kept if m is not None)
