from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.domain.errors import WorkOrderNotFound
from gateway.domain.model import (
    Item,
    Material,
    Operation,
    Reservation,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    WorkOrder,
    WorkOrderStatus,
)
from gateway.services.workorders import ReservationFilter, get_work_order_reservations
from tests.fakes import FakeInventory, FakeWorkOrders


def work_order(materials: int, owner: str = "PLANT-A") -> WorkOrder:
    return WorkOrder(
        id="WO-1",
        status=WorkOrderStatus.RELEASED,
        recipe_name="R",
        batch_quantity=Decimal("100"),
        uom="KG",
        planned_start=datetime(2027, 1, 1, tzinfo=UTC),
        owner_id=owner,
        operations=(
            Operation(
                10,
                "Mix",
                tuple(Material(f"RM-{n}", Decimal("1.5"), "KG") for n in range(materials)),
            ),
        ),
    )


def reservation(n: int, sku: str, status: ReservationStatus = ReservationStatus.OPEN,
                warehouse: str = "W01", owner: str = "PLANT-A") -> Reservation:  # fmt: skip
    return Reservation(
        id=str(n),
        reference=f"REF-{n}",
        item_sku_id=sku,
        warehouse_id=warehouse,
        location="A-01",
        lot=f"L{n}",
        quantity=Decimal("1.5"),
        uom="KG",
        type=ReservationType.PRODUCTION,
        source=Source(SourceType.WORK_ORDER, "WO-1"),
        priority=50,
        status=status,
        owner_id=owner,
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )


def stocked(inventory: FakeInventory, skus: list[str]) -> FakeInventory:
    for sku in skus:
        inventory.items[sku] = Item(sku, f"Item {sku}", "KG", True, False)
    return inventory


@pytest.mark.parametrize("size", [1, 200])
def test_round_trips_do_not_grow_with_the_number_of_materials(size: int) -> None:
    orders = FakeWorkOrders({"WO-1": work_order(size)})
    inventory = stocked(FakeInventory(), [f"RM-{n}" for n in range(size)])
    view = get_work_order_reservations("WO-1", orders, inventory)
    assert len(view.materials) == size
    assert sum(orders.calls.values()) == 1
    assert sum(inventory.calls.values()) == 2


def test_each_material_gets_its_reservations_and_description() -> None:
    inventory = stocked(FakeInventory(), ["RM-0", "RM-1"])
    inventory.reservations = {"7": reservation(7, "RM-1"), "8": reservation(8, "RM-1")}
    view = get_work_order_reservations("WO-1", FakeWorkOrders({"WO-1": work_order(2)}), inventory)
    first, second = view.materials
    assert first.reservations == ()
    assert [r.lot for r in second.reservations] == ["L7", "L8"]
    assert second.description == "Item RM-1"


def test_filters_narrow_materials_status_and_warehouse() -> None:
    inventory = stocked(FakeInventory(), ["RM-0", "RM-1"])
    inventory.reservations = {
        "1": reservation(1, "RM-1"),
        "2": reservation(2, "RM-1", status=ReservationStatus.RELEASED),
        "3": reservation(3, "RM-1", warehouse="W02"),
    }
    keep = ReservationFilter(item_sku_id="RM-1", status=ReservationStatus.OPEN, warehouse_id="W01")
    view = get_work_order_reservations(
        "WO-1", FakeWorkOrders({"WO-1": work_order(2)}), inventory, keep
    )
    (only,) = view.materials
    assert only.material.item_number == "RM-1"
    assert [r.id for r in only.reservations] == ["1"]


def test_unknown_work_order_is_not_found() -> None:
    with pytest.raises(WorkOrderNotFound):
        get_work_order_reservations("WO-404", FakeWorkOrders(), FakeInventory())


def test_work_order_of_another_owner_is_not_found() -> None:
    orders = FakeWorkOrders({"WO-1": work_order(1, owner="PLANT-B")})
    with pytest.raises(WorkOrderNotFound):
        get_work_order_reservations(
            "WO-1", orders, FakeInventory(), can_see_owner=lambda o: o == "PLANT-A"
        )


def test_reservations_of_another_owner_are_left_out() -> None:
    inventory = stocked(FakeInventory(), ["RM-0"])
    inventory.reservations = {
        "1": reservation(1, "RM-0"),
        "2": reservation(2, "RM-0", owner="PLANT-B"),
    }
    view = get_work_order_reservations(
        "WO-1",
        FakeWorkOrders({"WO-1": work_order(1)}),
        inventory,
        can_see_owner=lambda o: o == "PLANT-A",
    )
    assert [r.id for r in view.materials[0].reservations] == ["1"]
