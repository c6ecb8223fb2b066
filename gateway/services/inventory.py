"""Use cases on inventory reads."""

from __future__ import annotations

from gateway.domain.errors import ItemNotFound, UnknownWarehouse
from gateway.domain.model import StockLevel
from gateway.domain.reservation_rules import Caller
from gateway.services.ports import InventoryPort


def get_stock_level(
    sku: str, warehouse_id: str, inventory: InventoryPort, caller: Caller
) -> StockLevel:
    """The item's stock level (ATP = on hand − reserved) in one of the caller's warehouses.

    Another owner's warehouse, and one that does not exist, answer exactly as an unknown item
    does (SPEC §7): which warehouse ids exist elsewhere is not the caller's to learn.
    """
    try:
        level: StockLevel | None = inventory.get_stock_level(sku, warehouse_id)
    except (ItemNotFound, UnknownWarehouse):
        level = None
    if level is None or level.owner_id is None or not caller.can_see(level.owner_id):
        raise ItemNotFound(f"No item {sku}")
    return level
