"""REST: inventory (SPEC 5.3)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.context import backorder_desk
from gateway.api.parser import Blueprint
from gateway.api.schemas import StockLevelSchema, StockQuery
from gateway.domain.roles import RESERVATION_ROLES

blp = Blueprint("inventory", __name__, url_prefix="/api/inventory", description="Inventory")
blp.before_request(authenticate)


@blp.get("/items/<id:sku>/stock")
@blp.arguments(StockQuery, location="query", as_kwargs=True)
@blp.response(200, StockLevelSchema)
@blp.problem(404, "Unknown item (inventory.item.not_found)")
@requires_any_role(*RESERVATION_ROLES)
def stock_level(sku: str, warehouse_id: str) -> Any:
    """The item's stock level in one warehouse; `available` is the ATP figure, `backordered`
    what its OPEN backorders still wait for."""
    stock = backorder_desk().stock(sku, warehouse_id, current_principal())
    return {**asdict(stock.level), "available": stock.level.available,
            "backordered": stock.backordered}  # fmt: skip
