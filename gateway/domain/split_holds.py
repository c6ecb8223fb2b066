"""Holds across locations (issue 15.3, decision 172): one create split over several warehouses.

The rules only: which warehouses a split may name, in which order they are tried, and how much
each one gives. Each part is a reservation of its own; the use case reserves them as one
all-or-nothing write plan (gateway/services/split_holds.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from gateway.domain.errors import InsufficientStock, InvalidSplit, ItemNotStockTracked
from gateway.domain.model import StockLevel
from gateway.domain.reservation_rules import ReservationDraft

ZERO = Decimal(0)
MAX_WAREHOUSES = 10


@dataclass(frozen=True)
class SplitDraft:
    """A create to split: ``draft`` without its warehouse, and where to look for the stock.

    ``warehouse_ids`` are the warehouses named, in the caller's order; None is "any of the
    reservation owner's warehouses", in the configured order (``SPLIT_WAREHOUSE_ORDER``)."""

    draft: ReservationDraft
    warehouse_ids: tuple[str, ...] | None
    first: str | None = None
    """With "any": a warehouse tried before the configured order (SOAP's warehouseId)."""


@dataclass(frozen=True)
class Allocation:
    """What each warehouse gives, in order (none gives nothing), and what none could give."""

    parts: tuple[tuple[str, Decimal], ...]
    shortfall: Decimal

    @property
    def reserved(self) -> Decimal:
        return sum((quantity for _, quantity in self.parts), ZERO)


def check_split(
    warehouse_id: str | None,
    warehouse_ids: Sequence[str] | None,
    any_warehouse: bool,
    *,
    lot: str | None = None,
    location: str | None = None,
) -> None:
    """InvalidSplit unless exactly one of the three ways to name warehouses is used, well."""
    named = [warehouse_id is not None, warehouse_ids is not None, any_warehouse]
    if sum(named) != 1:
        raise InvalidSplit("Name exactly one of warehouseId, warehouseIds and anyWarehouse")
    if warehouse_ids is None:
        many = any_warehouse
    else:
        if not 1 <= len(warehouse_ids) <= MAX_WAREHOUSES:
            raise InvalidSplit(f"warehouseIds names 1 to {MAX_WAREHOUSES} warehouses")
        if len(set(warehouse_ids)) != len(warehouse_ids):
            raise InvalidSplit("warehouseIds names a warehouse twice")
        many = len(warehouse_ids) > 1
    if many and (lot is not None or location is not None):
        # a lot or a bin lies in one warehouse: a split would reserve it where it is not
        raise InvalidSplit("lot and location need a single warehouse")


def preferred_order(
    warehouse_ids: Iterable[str], preferred: Sequence[str], first: str | None = None
) -> list[str]:
    """``first`` if given, then the configured warehouses in their order, then the others by id."""
    rank = {warehouse: n for n, warehouse in enumerate(preferred)}
    ordered = sorted(set(warehouse_ids), key=lambda w: (rank.get(w, len(rank)), w))
    return ordered if first is None else [first, *(w for w in ordered if w != first)]


def allocate(quantity: Decimal, levels: Sequence[StockLevel], overriding: bool) -> Allocation:
    """In order, each warehouse gives what it has available, up to what is still needed.

    An override, or an item that may go negative, takes it all from the first warehouse: no
    warehouse is short of such stock, so the first one the caller prefers is the one to use.
    """
    if not levels:
        return Allocation((), quantity)
    if not levels[0].stock_tracked:
        raise ItemNotStockTracked(f"Item {levels[0].item_sku_id} is not stock-tracked")
    if overriding or levels[0].allow_negative_stock:
        return Allocation(((levels[0].warehouse_id, quantity),), ZERO)
    parts, remaining = [], quantity
    for level in levels:
        given = min(max(level.available, ZERO), remaining)
        if given > 0:
            parts.append((level.warehouse_id, given))
            remaining -= given
    return Allocation(tuple(parts), remaining)


def ensure_covered(allocation: Allocation, sku: str, warehouse_ids: Sequence[str]) -> None:
    """InsufficientStock naming the shortfall, when the warehouses together lack stock."""
    if allocation.shortfall > 0:
        raise InsufficientStock(
            f"{sku}: {allocation.reserved} available in {', '.join(warehouse_ids) or 'none'}, "
            f"{allocation.reserved + allocation.shortfall} asked ({allocation.shortfall} short)",
            shortfall=allocation.shortfall,
        )
