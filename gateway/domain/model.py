"""The common reservation model: what both upstream adapters translate into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PRIORITY = 50
"""A reservation's priority when its caller names none (seed 004: higher is served first)."""


class ReservationStatus(StrEnum):
    OPEN = "OPEN"
    RELEASED = "RELEASED"
    CLOSED = "CLOSED"


class ReservationType(StrEnum):
    SALES = "SALES"
    PRODUCTION = "PRODUCTION"
    TRANSFER = "TRANSFER"
    SERVICE = "SERVICE"


class SourceType(StrEnum):
    WORK_ORDER = "work_order"
    SALES_ORDER = "sales_order"
    TRANSFER = "transfer"
    APPOINTMENT = "appointment"
    TRANSACTION = "transaction"


class ReleaseReason(StrEnum):
    RELEASED = "released"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class WorkOrderStatus(StrEnum):
    PLANNED = "PLANNED"
    RELEASED = "RELEASED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Source:
    type: SourceType
    id: str


@dataclass(frozen=True)
class Reservation:
    id: str
    reference: str | None
    item_sku_id: str
    warehouse_id: str
    location: str | None
    lot: str | None
    quantity: Decimal
    uom: str | None
    type: ReservationType
    source: Source
    priority: int
    status: ReservationStatus
    owner_id: str
    created_at: datetime | None
    created_by: str | None = None
    expires_at: datetime | None = None
    release_reason: ReleaseReason | None = None
    released_at: datetime | None = None
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Item:
    sku_id: str
    description: str
    uom: str
    stock_tracked: bool
    allow_negative_stock: bool


@dataclass(frozen=True)
class StockLevel:
    item_sku_id: str
    warehouse_id: str
    on_hand: Decimal
    reserved: Decimal
    stock_tracked: bool
    allow_negative_stock: bool
    min_stock_level: Decimal
    reorder_point: Decimal
    owner_id: str | None = None

    @property
    def available(self) -> Decimal:
        """Available to promise: what is on hand and not yet reserved."""
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class ItemBalances:
    """An item's master data with its stock level in each warehouse."""

    item: Item
    levels: tuple[StockLevel, ...]


@dataclass(frozen=True)
class Material:
    item_number: str
    quantity: Decimal
    uom: str
    lot: str | None = None
    is_rework: bool = False


@dataclass(frozen=True)
class Operation:
    sequence: int
    name: str
    materials: tuple[Material, ...] = ()


@dataclass(frozen=True)
class WorkOrder:
    id: str
    status: WorkOrderStatus
    recipe_name: str
    batch_quantity: Decimal
    uom: str
    planned_start: datetime | None
    owner_id: str
    operations: tuple[Operation, ...] = ()

    def item_numbers(self) -> list[str]:
        """Every distinct item the work order uses, in order of first appearance."""
        seen: dict[str, None] = {}
        for operation in self.operations:
            for material in operation.materials:
                seen.setdefault(material.item_number)
        return list(seen)


@dataclass(frozen=True)
class BatchRule:
    min: Decimal
    max: Decimal
    increment: Decimal


@dataclass(frozen=True)
class RecipeOperation:
    sequence: int
    name: str
    allowed_items: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Recipe:
    name: str
    batch: BatchRule
    operations: tuple[RecipeOperation, ...] = ()
    rework_items: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ReservationRequest:
    """What a caller asks the inventory system to reserve."""

    reference: str
    item_sku_id: str
    warehouse_id: str
    quantity: Decimal
    type: ReservationType
    source: Source
    owner_id: str
    priority: int = DEFAULT_PRIORITY
    uom: str | None = None
    location: str | None = None
    lot: str | None = None
    expires_at: datetime | None = None
    created_by: str | None = None
    override: bool = False


@dataclass(frozen=True)
class InventoryTransaction:
    """A stock movement posted to the inventory system."""

    reference: str
    item_sku_id: str
    warehouse_id: str
    quantity: Decimal
    transaction_type: str
    transaction_date: datetime
    source: Source
    location: str | None = None
    lot: str | None = None
    previous_on_hand: Decimal | None = None
    new_on_hand: Decimal | None = None


@dataclass(frozen=True)
class Consumption:
    """A fulfilled reservation (or the part of it that was picked) and its stock movement.

    After a partial consume the reservation is still OPEN and holds what is left; a consume
    that releases the remainder closes it with the quantity it held when it was closed.
    """

    reservation: Reservation
    transaction: InventoryTransaction
    remainder_released: bool = False
    """Whether this consume asked for the rest to be released (``releaseRemainder``)."""

    @property
    def consumed_quantity(self) -> Decimal:
        """What left on-hand: the movement's quantity, whatever its sign in the legacy books."""
        return abs(self.transaction.quantity)

    @property
    def remaining_quantity(self) -> Decimal:
        """What the reservation still holds for a later consume."""
        if self.reservation.status is ReservationStatus.OPEN:
            return self.reservation.quantity
        return Decimal(0)

    @property
    def released_quantity(self) -> Decimal:
        """What a closing consume gave back to available (the remainder it released)."""
        if not self.remainder_released or self.reservation.status is not ReservationStatus.CLOSED:
            return Decimal(0)
        return max(self.reservation.quantity - self.consumed_quantity, Decimal(0))


@dataclass(frozen=True)
class ReservationSearch:
    """Criteria for browsing reservations; ``None`` leaves a criterion out.

    ``owner_ids`` of ``None`` means every owner; an empty set means none at all.
    ``expires_before`` keeps only reservations with an expiry strictly before it.
    """

    item_sku_id: str | None = None
    warehouse_id: str | None = None
    status: ReservationStatus | None = None
    source_type: SourceType | None = None
    source_id: str | None = None
    owner_ids: frozenset[str] | None = None
    expires_before: datetime | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer result: ``total`` counts every match, not just these ``items``."""

    items: tuple[T, ...]
    total: int
    offset: int
    limit: int
