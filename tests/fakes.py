"""Small in-memory stand-ins for the ports, for unit tests of services and views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from gateway.auth.principal import Principal
from gateway.domain.errors import (
    ItemNotFound,
    RecipeNotFound,
    ReservationNotFound,
    Unauthenticated,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    InventoryTransaction,
    Item,
    ItemBalances,
    Recipe,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    StockLevel,
    WorkOrder,
)


@dataclass
class FakeInventory:
    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def get_item(self, sku: str) -> Item:
        self.calls["get_item"] += 1
        if sku not in self.items:
            raise ItemNotFound()
        return self.items[sku]

    def get_stock_level(self, sku: str, warehouse_id: str) -> StockLevel:
        self.calls["get_stock_level"] += 1
        if (sku, warehouse_id) not in self.levels:
            raise ItemNotFound()
        return self.levels[(sku, warehouse_id)]

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        self.calls["get_item_balances"] += 1
        return [
            ItemBalances(
                self.items[sku],
                tuple(level for (s, _), level in self.levels.items() if s == sku),
            )
            for sku in skus
            if sku in self.items
        ]

    def list_reservations_by_sources(self, source_ids: Sequence[str]) -> list[Reservation]:
        self.calls["list_reservations_by_sources"] += 1
        return [r for r in self.reservations.values() if r.source.id in source_ids]

    def list_reservations(self, sku: str, warehouse_id: str | None = None) -> list[Reservation]:
        self.calls["list_reservations"] += 1
        return [
            r
            for r in self.reservations.values()
            if r.item_sku_id == sku and warehouse_id in (None, r.warehouse_id)
        ]

    def reserve(self, request: ReservationRequest) -> Reservation:
        raise NotImplementedError("not needed by these tests yet")

    def release(self, reservation_id: str, reason: ReleaseReason) -> Reservation:
        self.calls["release"] += 1
        if reservation_id not in self.reservations:
            raise ReservationNotFound()
        released = replace(
            self.reservations[reservation_id],
            status=ReservationStatus.RELEASED,
            release_reason=reason,
        )
        self.reservations[reservation_id] = released
        return released

    def consume(self, reservation_id: str) -> Reservation:
        raise NotImplementedError("not needed by these tests yet")

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        raise NotImplementedError("not needed by these tests yet")


@dataclass
class FakeWorkOrders:
    work_orders: dict[str, WorkOrder] = field(default_factory=dict)
    recipes: dict[str, Recipe] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        self.calls["get_work_order"] += 1
        if work_order_id not in self.work_orders:
            raise WorkOrderNotFound()
        return self.work_orders[work_order_id]

    def get_recipe(self, name: str) -> Recipe:
        self.calls["get_recipe"] += 1
        if name not in self.recipes:
            raise RecipeNotFound()
        return self.recipes[name]


@dataclass
class FakeTokenValidator:
    """Accepts the tokens it was given, each standing for one principal."""

    principals: dict[str, Principal] = field(default_factory=dict)

    def validate(self, token: str) -> Principal:
        if token not in self.principals:
            raise Unauthenticated("token not recognised")
        return self.principals[token]
