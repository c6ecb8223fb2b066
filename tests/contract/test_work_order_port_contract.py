"""The WorkOrderPort's contract, held to FakeWorkOrders and to the REST adapter on the sandbox.

Every test runs twice (tests/contract/conftest.py), from WO-C1 on BREAD-C.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from gateway.domain.errors import RecipeNotFound, WorkOrderNotFound
from gateway.domain.model import BatchRule, Material, WorkOrder, WorkOrderStatus
from gateway.services.ports import WorkOrderPort

FLOUR = Material("RM-1", Decimal("250.000"), "KG")
DOUGH = Material("RW-9", Decimal("12.500"), "KG", is_rework=True)


def materials(order: WorkOrder, sequence: int) -> dict[str, Material]:
    (operation,) = [op for op in order.operations if op.sequence == sequence]
    return {m.item_number: m for m in operation.materials}


def test_a_work_order_reads_with_its_operations_and_exact_quantities(
    work_orders: WorkOrderPort,
) -> None:
    order = work_orders.get_work_order("WO-C1")
    assert (order.status, order.recipe_name, order.owner_id, order.uom) == (
        WorkOrderStatus.RELEASED, "BREAD-C", "PLANT-A", "KG",
    )  # fmt: skip
    assert order.batch_quantity == Decimal(500)
    assert order.planned_start == datetime(2027, 3, 15, 5, 0, tzinfo=UTC)
    assert [(op.sequence, op.name) for op in order.operations] == [(10, "Mixing"), (20, "Baking")]
    assert materials(order, 10) == {"RM-1": FLOUR, "RW-9": DOUGH}
    assert str(materials(order, 10)["RW-9"].quantity) == "12.500"
    assert materials(order, 20) == {}


def test_a_recipe_reads_with_its_batch_rule_and_allowed_items(work_orders: WorkOrderPort) -> None:
    recipe = work_orders.get_recipe("BREAD-C")
    assert recipe.batch == BatchRule(Decimal(100), Decimal(1000), Decimal(50))
    allowed = {op.sequence: op.allowed_items for op in recipe.operations}
    assert allowed == {10: frozenset({"RM-1", "RM-2", "RW-9"}), 20: frozenset({"RM-3"})}
    assert recipe.rework_items == frozenset({"RW-9"})


def test_unknown_work_orders_and_recipes_are_not_found(work_orders: WorkOrderPort) -> None:
    with pytest.raises(WorkOrderNotFound):
        work_orders.get_work_order("WO-NONE")
    with pytest.raises(RecipeNotFound):
        work_orders.get_recipe("NO-RECIPE")


def test_an_update_changes_only_the_header_fields_given(work_orders: WorkOrderPort) -> None:
    updated = work_orders.update_work_order("WO-C1", batch_quantity=Decimal(600))
    assert updated.batch_quantity == Decimal(600)
    assert updated.planned_start == datetime(2027, 3, 15, 5, 0, tzinfo=UTC)
    assert materials(updated, 10) == {"RM-1": FLOUR, "RW-9": DOUGH}
    assert work_orders.get_work_order("WO-C1") == updated


def test_a_new_start_is_stored_as_the_same_instant_in_utc(work_orders: WorkOrderPort) -> None:
    local = datetime(2027, 3, 16, 7, 30, tzinfo=timezone(timedelta(hours=1)))
    updated = work_orders.update_work_order("WO-C1", planned_start=local)
    assert updated.planned_start == local
    assert updated.planned_start is not None and updated.planned_start.utcoffset() == timedelta(0)
    assert updated.batch_quantity == Decimal(500)


def test_an_update_of_an_unknown_work_order_is_not_found(work_orders: WorkOrderPort) -> None:
    with pytest.raises(WorkOrderNotFound):
        work_orders.update_work_order("WO-NONE", batch_quantity=Decimal(600))


def test_putting_a_material_adds_it_and_putting_it_again_replaces_it(
    work_orders: WorkOrderPort,
) -> None:
    sugar = Material("RM-2", Decimal("5.125"), "KG", lot="L7")
    assert work_orders.put_material("WO-C1", 10, sugar) == sugar
    more = Material("RM-2", Decimal("6.000"), "KG", lot="L7")
    work_orders.put_material("WO-C1", 10, more)
    work_orders.put_material("WO-C1", 10, more)
    after = materials(work_orders.get_work_order("WO-C1"), 10)
    assert after == {"RM-1": FLOUR, "RW-9": DOUGH, "RM-2": more}


def test_deleting_a_material_removes_it_and_deleting_it_again_is_fine(
    work_orders: WorkOrderPort,
) -> None:
    work_orders.delete_material("WO-C1", 10, "RW-9")
    work_orders.delete_material("WO-C1", 10, "RW-9")
    assert materials(work_orders.get_work_order("WO-C1"), 10) == {"RM-1": FLOUR}


def test_materials_of_an_unknown_operation_or_work_order_are_not_found(
    work_orders: WorkOrderPort,
) -> None:
    with pytest.raises(WorkOrderNotFound):
        work_orders.put_material("WO-C1", 99, FLOUR)
    with pytest.raises(WorkOrderNotFound):
        work_orders.delete_material("WO-C1", 99, "RM-1")
    with pytest.raises(WorkOrderNotFound):
        work_orders.put_material("WO-NONE", 10, FLOUR)
    with pytest.raises(WorkOrderNotFound):
        work_orders.delete_material("WO-NONE", 10, "RM-1")
    assert materials(work_orders.get_work_order("WO-C1"), 10) == {"RM-1": FLOUR, "RW-9": DOUGH}
