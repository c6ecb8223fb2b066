"""The legacy inventory in memory, with the sandbox's rules (sandbox/inventory/store.py).

The one fake of the InventoryPort. tests/contract/ runs the same assertions against it and
against the SOAP adapter talking to the sandbox, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal

from gateway.domain.errors import (
    ConsumeExceedsReserved,
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    ReferenceReused,
    RequestInvalid,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotExpired,
    ReservationNotFound,
    UnknownWarehouse,
)
from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Item,
    ItemBalances,
    Page,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    StockLevel,
)
from tests.fakes import legacy_writes as writes
from tests.fakes.gate import WriteGate
from tests.fakes.legacy_queries import is_low, matches, serving_order

MAX_PAGE = 1000
MEMO_TYPES = frozenset({"RWR"})  # recorded without moving stock, as the sandbox's MEMO_TYPES


def reference_reused() -> ReferenceReused:
    """What the adapter raises for legacy fault 260: a REFNO already used for other data."""
    return ReferenceReused("Refno already used for other data", legacy_error=260)


@dataclass
class FakeInventory:
    """The legacy inventory in memory: ATP checks, REFNO idempotency, OPEN → RELEASED | CLOSED.

    ``warehouses`` maps a warehouse to its owner; the warehouse of any level is known too.
    Writes pass ``gate``, which can fail them like the sandbox's fault knobs.
    """

    items: dict[str, Item] = field(default_factory=dict)
    levels: dict[tuple[str, str], StockLevel] = field(default_factory=dict)
    warehouses: dict[str, str] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)
    transactions: dict[str, InventoryTransaction] = field(default_factory=dict)  # by REFNO
    consumed_by: dict[str, str] = field(default_factory=dict)  # consume REFNO → reservation
    release_references: dict[str, str] = field(default_factory=dict)  # reservation → REFNO
    expiry_changes: dict[str, tuple[str, datetime | None]] = field(default_factory=dict)
    """ChangeExpiry's REFNO → the reservation and the expiry it set."""
    gate: WriteGate = field(default_factory=WriteGate)
    calls: Counter[str] = field(default_factory=Counter)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def get_item(self, sku: str) -> Item:
        self.calls["get_item"] += 1
        return self._item(sku)

    def get_stock_level(self, sku: str, warehouse_id: str) -> StockLevel:
        self.calls["get_stock_level"] += 1
        return self.level(sku, warehouse_id)

    def level(self, sku: str, warehouse_id: str) -> StockLevel:
        """The balance (zero where never stocked), without counting a call."""
        return self._owned(self._level(self._item(sku), warehouse_id))

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        self.calls["get_item_balances"] += 1
        return [
            ItemBalances(
                self.items[sku],
                tuple(self._owned(level) for (s, _), level in self.levels.items() if s == sku),
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
        return self._reservation(reservation_id)

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
        owned = (self._owned(level) for _, level in sorted(self.levels.items()))
        return [
            level
            for level in owned
            if is_low(level) and (owner_ids is None or level.owner_id in owner_ids)
        ]

    def reserve(self, request: ReservationRequest) -> Reservation:
        self.calls["reserve"] += 1
        self.gate.enter("reserve")
        if request.quantity <= 0:
            raise InvalidQuantity()
        earlier = self._by_reference(request.reference)
        if earlier is not None:
            return self.gate.leave(self._same_request(earlier, request))
        item = self._item(request.item_sku_id)
        if not item.stock_tracked:
            raise ItemNotStockTracked()
        level = self._level(item, request.warehouse_id)
        short = request.quantity > level.available
        if short and not (request.override or item.allow_negative_stock):
            raise InsufficientStock(f"available {level.available}")
        return self.gate.leave(self.hold(request))

    def hold(self, request: ReservationRequest) -> Reservation:
        """An OPEN reservation the system already has (test set-up: no ATP check, no write)."""
        item = self._item(request.item_sku_id)
        self._move(self._level(item, request.warehouse_id), reserved=request.quantity)
        reservation = writes.reservation_for(request, self._next_id(), self.now(), item.uom)
        self.reservations[reservation.id] = reservation
        return reservation

    def release(
        self, reservation_id: str, reason: ReleaseReason, reference: str | None = None
    ) -> Reservation:
        self.calls["release"] += 1
        self.gate.enter("release")
        current = self._reservation(reservation_id)
        if reference and self.release_references.get(reservation_id) == reference:
            return self.gate.leave(current)
        reservation = self._open(reservation_id)
        if reason is ReleaseReason.EXPIRED and not writes.due_for_expiry(reservation, self.now()):
            raise ReservationNotExpired("Reservation not expired", legacy_error=270)
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
        return self.gate.leave(released)

    def consume(
        self,
        reservation_id: str,
        reference: str,
        quantity: Decimal | None = None,
        release_remainder: bool = False,
    ) -> Consumption:
        self.calls["consume"] += 1
        self.gate.enter("consume")
        if quantity is not None and quantity <= 0:
            raise InvalidQuantity()
        if self.consumed_by.get(reference) == reservation_id:
            if quantity is not None and abs(self.transactions[reference].quantity) != quantity:
                raise reference_reused()  # the same REFNO for another quantity
            now_held = self.reservations[reservation_id]
            return self.gate.leave(Consumption(now_held, self.transactions[reference]))
        reservation = self._open(reservation_id)
        if reference in self.transactions:
            raise reference_reused()
        taken = reservation.quantity if quantity is None else quantity
        if taken > reservation.quantity:
            raise ConsumeExceedsReserved("Quantity exceeds reserved", legacy_error=245)
        closing = writes.closes(reservation, taken, release_remainder)
        level = self._level_of(reservation)
        self._move(level, on_hand=-taken, reserved=-(reservation.quantity if closing else taken))
        now = self.now()
        after = writes.after_consume(reservation, taken, closing, now)
        transaction = writes.consume_transaction(after, reference, taken, level.on_hand, now)
        self.reservations[reservation_id] = after
        self.transactions[reference] = transaction
        self.consumed_by[reference] = reservation_id
        return self.gate.leave(Consumption(after, transaction))

    def change_expiry(
        self, reservation_id: str, expires_at: datetime | None, reference: str
    ) -> Reservation:
        self.calls["change_expiry"] += 1
        self.gate.enter("change_expiry")
        current = self._reservation(reservation_id)
        earlier = self.expiry_changes.get(reference)
        if earlier is not None:
            if earlier != (reservation_id, expires_at):
                raise reference_reused()
            return self.gate.leave(current)
        changed = replace(self._open(reservation_id), expires_at=expires_at)
        self.reservations[reservation_id] = changed
        self.expiry_changes[reference] = (reservation_id, expires_at)
        return self.gate.leave(changed)

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        self.calls["post_transaction"] += 1
        self.gate.enter("post_transaction")
        if transaction.quantity == 0:
            raise InvalidQuantity()
        if transaction.reference in self.transactions:
            return self.gate.leave(self.transactions[transaction.reference])
        item = self._item(transaction.item_sku_id)
        level = self._level(item, transaction.warehouse_id)
        moves = transaction.transaction_type not in MEMO_TYPES
        new = level.on_hand + transaction.quantity if moves else level.on_hand
        if new < 0 and not item.allow_negative_stock:
            raise InsufficientStock("on hand would go negative")
        self._move(level, on_hand=new - level.on_hand)
        posted = replace(transaction, previous_on_hand=level.on_hand, new_on_hand=new)
        self.transactions[transaction.reference] = posted
        return self.gate.leave(posted)

    def _item(self, sku: str) -> Item:
        if sku not in self.items:
            raise ItemNotFound()
        return self.items[sku]

    def _level(self, item: Item, warehouse_id: str) -> StockLevel:
        """The level, or a zero one: an item never stocked in a known warehouse has none."""
        if (item.sku_id, warehouse_id) in self.levels:
            return self.levels[(item.sku_id, warehouse_id)]
        if warehouse_id not in self.warehouses and all(w != warehouse_id for _, w in self.levels):
            raise UnknownWarehouse()
        return StockLevel(
            item.sku_id, warehouse_id, Decimal(0), Decimal(0), item.stock_tracked,
            item.allow_negative_stock, Decimal(0), Decimal(0), self.warehouses.get(warehouse_id),
        )  # fmt: skip

    def _owned(self, level: StockLevel) -> StockLevel:
        """The level with its warehouse's owner, when ``warehouses`` names one."""
        owner = self.warehouses.get(level.warehouse_id, level.owner_id)
        return level if owner == level.owner_id else replace(level, owner_id=owner)

    def _level_of(self, reservation: Reservation) -> StockLevel:
        return self._level(self._item(reservation.item_sku_id), reservation.warehouse_id)

    def _move(
        self, level: StockLevel, on_hand: Decimal = Decimal(0), reserved: Decimal = Decimal(0)
    ) -> StockLevel:
        moved = replace(level, on_hand=level.on_hand + on_hand, reserved=level.reserved + reserved)
        self.levels[(level.item_sku_id, level.warehouse_id)] = moved
        return moved

    def _reservation(self, reservation_id: str) -> Reservation:
        if reservation_id not in self.reservations:
            raise ReservationNotFound()
        return self.reservations[reservation_id]

    def _open(self, reservation_id: str) -> Reservation:
        reservation = self._reservation(reservation_id)
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
            raise reference_reused()
        return earlier

    def _next_id(self) -> str:
        number = len(self.reservations) + 1
        while str(number) in self.reservations:
            number += 1
        return str(number)
