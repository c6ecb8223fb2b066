"""Both upstreams in memory for the work-order update: WO-1 on BREAD-WHITE, its stock and
reservations, the writes of both fakes counted in order by one ``WriteGate``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from gateway.domain.model import (
    BatchRule,
    Item,
    Material,
    Operation,
    Recipe,
    RecipeOperation,
    ReservationRequest,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)
from tests.fakes.gate import WriteGate
from tests.fakes.inventory import FakeInventory
from tests.fakes.work_orders import FakeWorkOrders

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def ticking(start: datetime) -> Callable[[], datetime]:
    """A clock one minute later at every reading, so creation order is plain to see."""
    readings = iter(range(1, 1_000_000))
    return lambda: start + timedelta(minutes=next(readings))


def bread_white() -> Recipe:
    """The demo's BREAD-WHITE: batch 100–1000 step 50, rework RW-9001 and RW-9003."""
    mixing = {"RM-1001", "RM-1002", "RM-1003", "RM-1005", "RW-9001", "RW-9003"}
    return Recipe(
        name="BREAD-WHITE",
        batch=BatchRule(Decimal(100), Decimal(1000), Decimal(50)),
        operations=(
            RecipeOperation(10, "Mixing", frozenset(mixing)),
            RecipeOperation(20, "Baking", frozenset({"RM-1006", "RM-1009"})),
            RecipeOperation(30, "Packaging", frozenset({"PK-2001", "PK-2002"})),
        ),
        rework_items=frozenset({"RW-9001", "RW-9003"}),
    )


def work_order(status: WorkOrderStatus = WorkOrderStatus.RELEASED) -> WorkOrder:
    """A WO-1001 look-alike: flour, salt and rework dough in Mixing, water in Baking."""
    return WorkOrder(
        id="WO-1", status=status, recipe_name="BREAD-WHITE", batch_quantity=Decimal(500),
        uom="KG", planned_start=datetime(2027, 3, 15, 5, 0, tzinfo=UTC), owner_id="PLANT-A",
        operations=(
            Operation(10, "Mixing", (
                Material("RM-1001", Decimal("250.000"), "KG"),
                Material("RM-1003", Decimal("5.000"), "KG"),
                Material("RW-9001", Decimal("12.500"), "KG", is_rework=True),
            )),
            Operation(20, "Baking", (Material("RM-1006", Decimal("1.250"), "L"),)),
            Operation(30, "Packaging", ()),
        ),
    )  # fmt: skip


def holding(sku: str, quantity: str, reference: str, **changes: Any) -> ReservationRequest:
    """A PRODUCTION reservation of WO-1 in W01."""
    request = ReservationRequest(
        reference=reference, item_sku_id=sku, warehouse_id="W01", quantity=Decimal(quantity),
        type=ReservationType.PRODUCTION, source=Source(SourceType.WORK_ORDER, "WO-1"),
        owner_id="PLANT-A", priority=60, uom="KG", location="C-23-01", lot="L2611-010",
    )  # fmt: skip
    return replace(request, **changes)


@dataclass
class FakeErp:
    """WO-1 on BREAD-WHITE with its stock and reservations, behind one write gate."""

    gate: WriteGate
    work_orders: FakeWorkOrders
    inventory: FakeInventory

    @classmethod
    def demo(cls, status: WorkOrderStatus = WorkOrderStatus.RELEASED) -> FakeErp:
        gate = WriteGate()
        skus = ["RM-1001", "RM-1002", "RM-1003", "RM-1005", "RM-1006", "RW-9001", "RW-9003"]
        on_hand = {sku: Decimal("500.000") for sku in skus}
        on_hand["RW-9001"], on_hand["RW-9003"] = Decimal("137.500"), Decimal("2.000")
        erp = cls(
            gate,
            FakeWorkOrders({"WO-1": work_order(status)}, {"BREAD-WHITE": bread_white()}, gate),
            FakeInventory(
                items={sku: Item(sku, f"item {sku}", "KG", True, False) for sku in skus},
                levels={(sku, "W01"): _stocked(sku, on_hand[sku]) for sku in skus},
                warehouses={"W01": "PLANT-A"},
                gate=gate,
                now=ticking(START),
            ),
        )
        erp.inventory.hold(holding("RM-1001", "250.000", "FIX-1"))
        erp.inventory.hold(holding("RW-9001", "5.000", "FIX-2"))
        erp.inventory.hold(holding("RW-9001", "7.500", "FIX-3", location="C-23-02", lot="L2"))
        return erp

    def state(self) -> tuple[Any, ...]:
        """What "exactly as before" compares: the work order, OPEN holdings, on-hand."""
        open_ones = sorted(
            (r.item_sku_id, r.warehouse_id, r.location or "", r.lot or "", r.quantity)
            for r in self.inventory.reservations.values()
            if r.status is ReservationStatus.OPEN
        )
        on_hand = {key: level.on_hand for key, level in self.inventory.levels.items()}
        return (self.work_orders.orders["WO-1"], open_ones, on_hand)


def _stocked(sku: str, on_hand: Decimal) -> StockLevel:
    zero = Decimal(0)
    return StockLevel(sku, "W01", on_hand, zero, True, False, zero, zero, "PLANT-A")
