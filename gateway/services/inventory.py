"""Use cases on inventory reads."""

from __future__ import annotations

from gateway.domain.model import StockLevel
from gateway.services.ports import InventoryPort


def get_stock_level(sku: str, warehouse_id: str, inventory: InventoryPort) -> StockLevel:
    """The item's stock level (ATP = on hand − reserved) in one warehouse."""
    return inventory.get_stock_level(sku, warehouse_id)
