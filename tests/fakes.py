"""Small in-memory stand-ins for the ports, for unit tests of services and views."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from gateway.domain.errors import (
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    RecipeNotFound,
    RequestInvalid,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    Unauthenticated,
    UpstreamFault,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Item,
    ItemBalances,
    Page,
    Recipe,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    StockLevel,
    WorkOrder,
)
from gateway.domain.principal import Principal

MAX_PAGE = 1000


@dataclass
class FakeInventory:
    """The legacy inventory in memory, with its rules: ATP checks, REFNO idempotency, states."""

    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    consumptions: dict[str, Consumption] = field(default_factory=dict)  # by reference
    release_references: dict[str, str] = field(default_factory=dict)  # reservation → REFNO
    calls: Counter[str] = field(default_factory=Counter)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def get_item(self, sku: str) -> Item:
        self.calls["get_item"] += 1
        return self._item(sku)

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

    def get_reservation(self, reservation_id: str) -> Reservation:
        self.calls["get_reservation"] += 1
        if reservation_id not in self.reservations:
            raise ReservationNotFound()
        return self.reservations[reservation_id]

    def search_reservations(
        self, search: ReservationSearch, offset: int = 0, limit: int = 50
    ) -> Page[Reservation]:
        self.calls["search_reservations"] += 1
        if offset < 0 or not 1 <= limit <= MAX_PAGE:
            raise RequestInvalid({"limit": [f"offset ≥ 0, 1 ≤ limit ≤ {MAX_PAGE}"]})
        found = sorted(
            (r for r in self.reservations.values() if matches(search, r)), key=serving_order
        )
        return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

    def low_stock(self, owner_ids: frozenset[str] | None = None) -> list[StockLevel]:
        self.calls["low_stock"] += 1
        return [
            level
            for _, level in sorted(self.levels.items())
            if is_low(level) and (owner_ids is None or level.owner_id in owner_ids)
        ]

    def reserve(self, request: ReservationRequest) -> Reservation:
        self.calls["reserve"] += 1
        earlier = self._by_reference(request.reference)
        if earlier is not None:
            return self._same_request(earlier, request)
        if request.quantity <= 0:
            raise InvalidQuantity()
        item = self._item(request.item_sku_id)
        if not item.stock_tracked:
            raise ItemNotStockTracked()
        level = self._level(item, request.warehouse_id)
        short = request.quantity > level.available
        if short and not (request.override or item.allow_negative_stock):
            raise InsufficientStock(f"available {level.available}")
        self._move(level, reserved=request.quantity)
        reservation = _reservation_for(request, self._next_id(), self.now())
        self.reservations[reservation.id] = reservation
        return reservation

    def release(
        self, reservation_id: str, reason: ReleaseReason, reference: str | None = None
    ) -> Reservation:
        self.calls["release"] += 1
        if reference and self.release_references.get(reservation_id) == reference:
            return self.get_reservation(reservation_id)
        reservation = self._open(reservation_id)
        self._move(self._level_of(reservation), reserved=-reservation.quantity)
        released = replace(
            reservation,
            status=ReservationStatus.RELEASED,
            release_reason=reason,
            released_at=self.now(),
        )
        self.reservations[reservation_id] = released
        if reference:
            self.release_references[reservation_id] = reference
        return released

    def consume(self, reservation_id: str, reference: str) -> Consumption:
        self.calls["consume"] += 1
        earlier = self.consumptions.get(reference)
        if earlier is not None and earlier.reservation.id == reservation_id:
            return earlier
        reservation = self._open(reservation_id)
        if earlier is not None:
            raise UpstreamFault(
                "inventory", "legacy error 260: REFNO ALREADY USED", legacy_error=260
            )
        level = self._level_of(reservation)
        after = self._move(level, on_hand=-reservation.quantity, reserved=-reservation.quantity)
        now = self.now()
        closed = replace(reservation, status=ReservationStatus.CLOSED, closed_at=now)
        transaction = InventoryTransaction(
            reference=reference, item_sku_id=closed.item_sku_id, warehouse_id=closed.warehouse_id,
            quantity=-closed.quantity, transaction_type="CNS", transaction_date=now,
            source=closed.source, location=closed.location, lot=closed.lot,
            previous_on_hand=level.on_hand, new_on_hand=after.on_hand,
        )  # fmt: skip
        self.reservations[reservation_id] = closed
        self.consumptions[reference] = Consumption(closed, transaction)
        return self.consumptions[reference]

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        raise NotImplementedError("not needed by these tests yet")

    def _item(self, sku: str) -> Item:
        if sku not in self.items:
            raise ItemNotFound()
        return self.items[sku]

    def _level(self, item: Item, warehouse_id: str) -> StockLevel:
        """The level, or a zero one: an item never stocked somewhere has nothing there."""
        zero = StockLevel(
            item.sku_id, warehouse_id, Decimal(0), Decimal(0), item.stock_tracked,
            item.allow_negative_stock, Decimal(0), Decimal(0),
        )  # fmt: skip
        return self.levels.get((item.sku_id, warehouse_id), zero)

    def _level_of(self, reservation: Reservation) -> StockLevel:
        return self._level(self._item(reservation.item_sku_id), reservation.warehouse_id)

    def _move(
        self, level: StockLevel, on_hand: Decimal = Decimal(0), reserved: Decimal = Decimal(0)
    ) -> StockLevel:
        moved = replace(level, on_hand=level.on_hand + on_hand, reserved=level.reserved + reserved)
        self.levels[(level.item_sku_id, level.warehouse_id)] = moved
        return moved

    def _open(self, reservation_id: str) -> Reservation:
        reservation = self.get_reservation(reservation_id)
        if reservation.status is ReservationStatus.RELEASED:
            raise ReservationAlreadyReleased()
        if reservation.status is ReservationStatus.CLOSED:
            raise ReservationAlreadyClosed()
        return reservation

    def _by_reference(self, reference: str) -> Reservation | None:
        return next((r for r in self.reservations.values() if r.reference == reference), None)

    def _same_request(self, earlier: Reservation, request: ReservationRequest) -> Reservation:
        same = (earlier.item_sku_id, earlier.warehouse_id, earlier.quantity, earlier.source.id)
        if same != (request.item_sku_id, request.warehouse_id, request.quantity, request.source.id):
            raise UpstreamFault(
                "inventory", "legacy error 260: REFNO ALREADY USED", legacy_error=260
            )
        return earlier

    def _next_id(self) -> str:
        number = len(self.reservations) + 1
        while str(number) in self.reservations:
            number += 1
        return str(number)


def _reservation_for(
    request: ReservationRequest, reservation_id: str, now: datetime
) -> Reservation:
    return Reservation(
        id=reservation_id, reference=request.reference, item_sku_id=request.item_sku_id,
        warehouse_id=request.warehouse_id, location=request.location, lot=request.lot,
        quantity=request.quantity, uom=request.uom, type=request.type, source=request.source,
        priority=request.priority, status=ReservationStatus.OPEN, owner_id=request.owner_id,
        created_at=now, created_by=request.created_by, expires_at=request.expires_at,
    )  # fmt: skip


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


# --- what the legacy system does when it searches, outside the gateway's domain ---------


def matches(search: ReservationSearch, reservation: Reservation) -> bool:
    """Whether ``reservation`` meets every criterion of ``search`` (as the legacy query)."""
    wanted = {
        "item_sku_id": (search.item_sku_id, reservation.item_sku_id),
        "warehouse_id": (search.warehouse_id, reservation.warehouse_id),
        "status": (search.status, reservation.status),
        "source_type": (search.source_type, reservation.source.type),
        "source_id": (search.source_id, reservation.source.id),
    }
    if any(want is not None and want != have for want, have in wanted.values()):
        return False
    if search.owner_ids is not None and reservation.owner_id not in search.owner_ids:
        return False
    moment = search.expires_before
    return moment is None or (
        reservation.expires_at is not None and reservation.expires_at < moment
    )


def serving_order(reservation: Reservation) -> tuple[int, datetime, int, str]:
    """Sort key: highest priority first, then the oldest, then the lowest id."""
    created = reservation.created_at or datetime.min.replace(tzinfo=UTC)
    number = int(reservation.id) if reservation.id.isdigit() else -1
    return (-reservation.priority, created, number, reservation.id)


def is_low(level: StockLevel) -> bool:
    """Available at the reorder point or below (the legacy low-stock query)."""
    return level.stock_tracked and level.available <= level.reorder_point
