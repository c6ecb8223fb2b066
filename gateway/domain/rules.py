"""The rules of the work-order update v2 (SPEC §5.2), as plain functions on the model.

Dates, batch quantity, planned start, the materials diff and what a rework change needs from
the inventory. Standard library only; docs/decisions/032–041 say how vague rules were read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.domain.errors import (
    InsufficientStock,
    MaterialNotInRecipe,
    RequestInvalid,
    StartNotInFuture,
    WorkOrderInvalidBatchQuantity,
)
from gateway.domain.model import (
    BatchRule,
    Material,
    Operation,
    Recipe,
    Reservation,
    ReservationStatus,
    SourceType,
    StockLevel,
    WorkOrder,
    WorkOrderStatus,
)

TRANSACTION_DATE_SHIFT = timedelta(seconds=59)
EARLIEST = datetime.min.replace(tzinfo=UTC)


def require_aware(moment: datetime, field: str) -> None:
    """A naive timestamp names no instant: the caller's mistake (400 ``request.invalid``)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RequestInvalid({field: ["must carry a time zone offset"]})


def transaction_date(given: datetime | None, now: datetime) -> datetime:
    """The date every inventory transaction of one update carries: given (or now) − 59 s."""
    moment = now if given is None else given
    require_aware(moment, "transactionDate")
    # On the UTC time line: Python subtracts wall-clock time from a zoned datetime, which
    # is an hour off when the 59 seconds straddle a DST change.
    return moment.astimezone(UTC) - TRANSACTION_DATE_SHIFT


def check_batch_quantity(quantity: Decimal, batch: BatchRule) -> None:
    """Within the recipe's [min, max] and on its increment, counted from min."""
    if not batch.min <= quantity <= batch.max:
        raise WorkOrderInvalidBatchQuantity(
            f"batchQuantity {quantity} is outside the recipe's {batch.min} to {batch.max}"
        )
    if batch.increment > 0 and (quantity - batch.min) % batch.increment != 0:
        raise WorkOrderInvalidBatchQuantity(
            f"batchQuantity {quantity} is not on the increment {batch.increment} from {batch.min}"
        )


def check_planned_start(start: datetime, now: datetime) -> None:
    """Strictly after ``now``."""
    require_aware(start, "plannedStart")
    if start <= now:
        raise StartNotInFuture(f"plannedStart {start.isoformat()} is not in the future")


@dataclass(frozen=True)
class RequestedMaterial:
    """One material as the update names it."""

    operation: int
    item_number: str
    quantity: Decimal
    uom: str
    lot: str | None = None


@dataclass(frozen=True)
class MaterialChange:
    """A material the update writes; ``before`` is None when it is new to the operation."""

    operation: int
    before: Material | None
    after: Material

    @property
    def quantity_change(self) -> Decimal:
        """How much more (or, negative, less) the operation now uses."""
        return self.after.quantity - (self.before.quantity if self.before else Decimal(0))


def recipe_allows(recipe: Recipe, operation: int, item_number: str) -> bool:
    """Whether the recipe's operation accepts this item."""
    return any(
        op.sequence == operation and item_number in op.allowed_items for op in recipe.operations
    )


def diff_materials(
    work_order: WorkOrder, recipe: Recipe, requested: Sequence[RequestedMaterial]
) -> list[MaterialChange]:
    """The writes the named materials need; unchanged ones need none, unnamed ones stay."""
    _reject_duplicates(requested)
    changes = (_change_for(work_order, recipe, line) for line in requested)
    return [change for change in changes if change is not None]


def _reject_duplicates(requested: Sequence[RequestedMaterial]) -> None:
    seen: set[tuple[int, str]] = set()
    for index, line in enumerate(requested):
        key = (line.operation, line.item_number)
        if key in seen:
            raise RequestInvalid({"materials": {index: ["names this material a second time"]}})
        seen.add(key)


def _change_for(
    work_order: WorkOrder, recipe: Recipe, line: RequestedMaterial
) -> MaterialChange | None:
    operation = _operation(work_order, line.operation)
    current = None if operation is None else _material(operation, line.item_number)
    if current is not None:
        return _updated(line, current)
    if not recipe_allows(recipe, line.operation, line.item_number):
        raise MaterialNotInRecipe(
            f"{line.item_number} is not allowed in operation {line.operation} of {recipe.name}"
        )
    if operation is None:  # the recipe has the operation, this work order does not
        raise RequestInvalid({"operation": [f"{work_order.id} has no operation {line.operation}"]})
    is_rework = line.item_number in recipe.rework_items
    added = Material(line.item_number, line.quantity, line.uom, line.lot, is_rework)
    return MaterialChange(line.operation, None, added)


def _operation(work_order: WorkOrder, sequence: int) -> Operation | None:
    return next((op for op in work_order.operations if op.sequence == sequence), None)


def _material(operation: Operation, item_number: str) -> Material | None:
    return next((m for m in operation.materials if m.item_number == item_number), None)


def _updated(line: RequestedMaterial, current: Material) -> MaterialChange | None:
    if line.uom != current.uom:  # converting units is not ours to guess
        raise RequestInvalid(
            {"uom": [f"{line.item_number} is kept in {current.uom}, not {line.uom}"]}
        )
    lot = current.lot if line.lot is None else line.lot  # no lot named: keep the ERP's
    if line.quantity == current.quantity and lot == current.lot:
        return None
    return MaterialChange(
        line.operation, current, replace(current, quantity=line.quantity, lot=lot)
    )


def rework_changes(changes: Iterable[MaterialChange], recipe: Recipe) -> dict[str, Decimal]:
    """Net quantity change per rework item of the recipe; items that net to zero left out."""
    net: dict[str, Decimal] = {}
    for change in changes:
        item = change.after.item_number
        if item in recipe.rework_items:
            net[item] = net.get(item, Decimal(0)) + change.quantity_change
    return {item: quantity for item, quantity in net.items() if quantity != 0}


def check_rework_availability(
    increases: Mapping[str, Decimal], levels: Mapping[str, StockLevel | None]
) -> None:
    """Every rework increase must be available (on hand − reserved) where it is taken from."""
    for item, needed in increases.items():
        level = levels.get(item)
        if needed <= 0 or (level is not None and level.allow_negative_stock):
            continue
        available = Decimal(0) if level is None else level.available
        if available < needed:
            raise InsufficientStock(f"{item}: {available} available, {needed} needed")


REWORK_MOVEMENT = "RWK"
"""A rework transaction that moves on-hand: on a COMPLETED work order, nothing consumes later."""
REWORK_REQUIREMENT = "RWR"
"""A rework transaction that records the change without moving on-hand (the legacy memo type):
on an active work order the reservation holds the stock until the work order consumes it."""


def rework_transaction_quantity(change: Decimal) -> Decimal:
    """The signed quantity of a rework change: rework used by production leaves the stock."""
    return -change


def rework_transaction_type(status: WorkOrderStatus) -> str:
    """Available moves once by a rework change (SPEC §5.2 step 6): by the reservation on an
    active work order (the transaction is a memo), by the transaction on a COMPLETED one."""
    return REWORK_MOVEMENT if status is WorkOrderStatus.COMPLETED else REWORK_REQUIREMENT


def reversal_transaction_type(original: str, reversal: str) -> str:
    """A memo is undone by a memo (it moved nothing); a movement by ``reversal``."""
    return original if original == REWORK_REQUIREMENT else reversal


def open_holdings(
    reservations: Iterable[Reservation], work_order_id: str, item: str
) -> list[Reservation]:
    """The work order's OPEN reservations of one item."""
    return [
        r
        for r in reservations
        if r.status is ReservationStatus.OPEN
        and r.source.type is SourceType.WORK_ORDER
        and r.source.id == work_order_id
        and r.item_sku_id == item
    ]


@dataclass(frozen=True)
class ReleasePlan:
    """Reservations to release for a decrease, and what to reserve again of the last one."""

    releases: tuple[Reservation, ...]
    remainder: Decimal


def plan_release(holdings: Sequence[Reservation], amount: Decimal) -> ReleasePlan:
    """Release whole reservations, newest first, until ``amount`` is freed.

    A reservation is released whole (the legacy system cannot shrink one); what it held beyond
    ``amount`` is the remainder, reserved again in its bin and lot. Holding less than
    ``amount`` frees everything held.
    """
    chosen: list[Reservation] = []
    freed = Decimal(0)
    for reservation in sorted(holdings, key=_age, reverse=True):
        if freed >= amount:
            break
        chosen.append(reservation)
        freed += reservation.quantity
    return ReleasePlan(tuple(chosen), max(freed - amount, Decimal(0)))


def _age(reservation: Reservation) -> tuple[datetime, int]:
    number = int(reservation.id) if reservation.id.isdigit() else 0
    return (reservation.created_at or EARLIEST, number)


def work_order_warehouse(
    reservations: Sequence[Reservation], item: str, default: str | None
) -> str | None:
    """Where the work order takes an item from: where it holds that item, else where it holds
    most of its reservations, else the owner's configured default."""
    own = [r for r in reservations if r.item_sku_id == item]
    if own:
        return max(own, key=_age).warehouse_id
    if reservations:
        counts: dict[str, int] = {}
        for r in reservations:
            counts[r.warehouse_id] = counts.get(r.warehouse_id, 0) + 1
        return max(sorted(counts), key=lambda warehouse: counts[warehouse])
    return default
