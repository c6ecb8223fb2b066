"""Both upstreams in memory for the work-order update: state, a write log, failing writes.

``WriteGate`` counts the writes of both fakes in order and can refuse the N-th and later ones
before anything is done, like the sandbox's ``fail_writes_from`` knob.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from gateway.domain.errors import (
    InsufficientStock,
    RecipeNotFound,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    UpstreamUnavailable,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    BatchRule,
    InventoryTransaction,
    Item,
    ItemBalances,
    Material,
    Operation,
    Recipe,
    RecipeOperation,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)

START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
T = TypeVar("T")


@dataclass
class WriteGate:
    """Every write of both fakes, in order; refuses the N-th and later ones when told to."""

    log: list[str] = field(default_factory=list)
    fail_from: int | None = None
    fail_count: int | None = None
    lose_answer_of: int | None = None
    """This write lands, then its answer is lost (like the sandbox's drop_after_commit)."""
    error: Callable[[str], Exception] = lambda what: UpstreamUnavailable("fake", what)

    def enter(self, what: str) -> None:
        self.log.append(what)
        if self.fail_from is None:
            return
        past = len(self.log) - self.fail_from
        if past >= 0 and (self.fail_count is None or past < self.fail_count):
            raise self.error(what)

    def leave(self, result: T) -> T:
        if self.lose_answer_of == len(self.log):
            raise UpstreamUnavailable("fake", f"answer of {self.log[-1]} lost")
        return result

    def clear(self) -> None:
        self.fail_from = self.fail_count = self.lose_answer_of = None


@dataclass
class InMemoryWorkOrders:
    orders: dict[str, WorkOrder]
    recipes: dict[str, Recipe]
    gate: WriteGate

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        if work_order_id not in self.orders:
            raise WorkOrderNotFound()
        return self.orders[work_order_id]

    def get_recipe(self, name: str) -> Recipe:
        if name not in self.recipes:
            raise RecipeNotFound()
        return self.recipes[name]

    def update_work_order(
        self,
        work_order_id: str,
        batch_quantity: Decimal | None = None,
        planned_start: datetime | None = None,
    ) -> WorkOrder:
        self.gate.enter("update_work_order")
        order = self.get_work_order(work_order_id)
        changes: dict[str, Any] = {}
        if batch_quantity is not None:
            changes["batch_quantity"] = batch_quantity
        if planned_start is not None:
            changes["planned_start"] = planned_start.astimezone(UTC)
        self.orders[work_order_id] = replace(order, **changes)
        return self.gate.leave(self.orders[work_order_id])

    def put_material(self, work_order_id: str, sequence: int, material: Material) -> Material:
        self.gate.enter("put_material")
        self._edit(work_order_id, sequence, material.item_number, material)
        return self.gate.leave(material)

    def delete_material(self, work_order_id: str, sequence: int, item_number: str) -> None:
        self.gate.enter("delete_material")
        self._edit(work_order_id, sequence, item_number, None)
        self.gate.leave(None)

    def _edit(self, order_id: str, sequence: int, item: str, material: Material | None) -> None:
        order = self.get_work_order(order_id)
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


@dataclass
class InMemoryInventory:
    items: dict[str, Item]
    on_hand: dict[tuple[str, str], Decimal]
    gate: WriteGate
    reservations: dict[str, Reservation] = field(default_factory=dict)
    transactions: dict[str, InventoryTransaction] = field(default_factory=dict)
    release_references: dict[str, str] = field(default_factory=dict)  # reservation → REFNO
    warehouse_owners: dict[str, str] = field(default_factory=dict)  # default: PLANT-A

    def reserved(self, sku: str, warehouse: str) -> Decimal:
        return sum(
            (
                r.quantity
                for r in self.reservations.values()
                if r.status is ReservationStatus.OPEN
                and (r.item_sku_id, r.warehouse_id) == (sku, warehouse)
            ),
            Decimal(0),
        )

    def level(self, sku: str, warehouse: str) -> StockLevel:
        item = self.items[sku]
        return StockLevel(
            sku, warehouse, self.on_hand[(sku, warehouse)], self.reserved(sku, warehouse),
            item.stock_tracked, item.allow_negative_stock, Decimal(0), Decimal(0),
            self.warehouse_owners.get(warehouse, "PLANT-A"),
        )  # fmt: skip

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        return [
            ItemBalances(
                self.items[sku],
                tuple(self.level(s, w) for (s, w) in self.on_hand if s == sku),
            )
            for sku in skus
            if sku in self.items
        ]

    def list_reservations_by_sources(self, source_ids: Sequence[str]) -> list[Reservation]:
        return [r for r in self.reservations.values() if r.source.id in source_ids]

    def get_reservation(self, reservation_id: str) -> Reservation:
        if reservation_id not in self.reservations:
            raise ReservationNotFound()
        return self.reservations[reservation_id]

    def reserve(self, request: ReservationRequest) -> Reservation:
        self.gate.enter("reserve")
        made = next(
            (r for r in self.reservations.values() if r.reference == request.reference), None
        )
        if made is not None:
            return self.gate.leave(made)
        key = (request.item_sku_id, request.warehouse_id)
        available = self.on_hand.get(key, Decimal(0)) - self.reserved(*key)
        if request.quantity > available and not request.override:
            raise InsufficientStock(f"available {available}")
        return self.gate.leave(self._add(request))

    def hold(self, request: ReservationRequest) -> Reservation:
        """A reservation the work order already has (test set-up; not a write)."""
        return self._add(request)

    def _add(self, request: ReservationRequest) -> Reservation:
        number = str(len(self.reservations) + 1)
        reservation = Reservation(
            id=number, reference=request.reference, item_sku_id=request.item_sku_id,
            warehouse_id=request.warehouse_id, location=request.location, lot=request.lot,
            quantity=request.quantity, uom=request.uom, type=request.type, source=request.source,
            priority=request.priority, status=ReservationStatus.OPEN, owner_id=request.owner_id,
            created_at=START + timedelta(minutes=int(number)), created_by=request.created_by,
        )  # fmt: skip
        self.reservations[number] = reservation
        return reservation

    def release(
        self, reservation_id: str, reason: ReleaseReason, reference: str | None = None
    ) -> Reservation:
        self.gate.enter("release")
        current = self.get_reservation(reservation_id)
        if reference and self.release_references.get(reservation_id) == reference:
            return self.gate.leave(current)
        if current.status is ReservationStatus.RELEASED:
            raise ReservationAlreadyReleased()
        if current.status is ReservationStatus.CLOSED:
            raise ReservationAlreadyClosed()
        released = replace(current, status=ReservationStatus.RELEASED, release_reason=reason)
        self.reservations[reservation_id] = released
        if reference:
            self.release_references[reservation_id] = reference
        return self.gate.leave(released)

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        self.gate.enter("post_transaction")
        if transaction.reference in self.transactions:
            return self.gate.leave(self.transactions[transaction.reference])
        key = (transaction.item_sku_id, transaction.warehouse_id)
        previous = self.on_hand.get(key, Decimal(0))
        moves = transaction.transaction_type != "RWR"  # the legacy memo type records only
        new = previous + transaction.quantity if moves else previous
        if new < 0 and not self.items[transaction.item_sku_id].allow_negative_stock:
            raise InsufficientStock("on hand would go negative")
        self.on_hand[key] = new
        posted = replace(transaction, previous_on_hand=previous, new_on_hand=new)
        self.transactions[transaction.reference] = posted
        return self.gate.leave(posted)


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
    work_orders: InMemoryWorkOrders
    inventory: InMemoryInventory

    @classmethod
    def demo(cls, status: WorkOrderStatus = WorkOrderStatus.RELEASED) -> FakeErp:
        gate = WriteGate()
        skus = ["RM-1001", "RM-1002", "RM-1003", "RM-1005", "RM-1006", "RW-9001", "RW-9003"]
        items = {sku: Item(sku, f"item {sku}", "KG", True, False) for sku in skus}
        on_hand = {(sku, "W01"): Decimal("500.000") for sku in skus}
        on_hand[("RW-9001", "W01")] = Decimal("137.500")
        on_hand[("RW-9003", "W01")] = Decimal("2.000")
        erp = cls(
            gate,
            InMemoryWorkOrders({"WO-1": work_order(status)}, {"BREAD-WHITE": bread_white()}, gate),
            InMemoryInventory(items, on_hand, gate),
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
        return (self.work_orders.orders["WO-1"], open_ones, dict(self.inventory.on_hand))
