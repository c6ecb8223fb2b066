"""The interfaces the use cases need; adapters implement them, fakes stand in for unit tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from gateway.domain.model import (
    InventoryTransaction,
    Item,
    ItemBalances,
    Recipe,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    StockLevel,
    WorkOrder,
)


class InventoryPort(Protocol):
    """The legacy inventory system: items, balances, reservations, transactions."""

    def get_item(self, sku: str) -> Item:
        """One item's master data; ItemNotFound if unknown."""
        ...

    def get_stock_level(self, sku: str, warehouse_id: str) -> StockLevel:
        """One item's balance in one warehouse; ItemNotFound if unknown."""
        ...

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        """Master data and balances for many items in one round trip; unknown items omitted."""
        ...

    def list_reservations_by_sources(self, source_ids: Sequence[str]) -> list[Reservation]:
        """Every reservation whose source id is one of ``source_ids``, in one round trip."""
        ...

    def list_reservations(self, sku: str, warehouse_id: str | None = None) -> list[Reservation]:
        """Every reservation for an item, optionally in one warehouse."""
        ...

    def reserve(self, request: ReservationRequest) -> Reservation:
        """Reserve atomically; idempotent on ``request.reference``."""
        ...

    def release(self, reservation_id: str, reason: ReleaseReason) -> Reservation:
        """OPEN → RELEASED."""
        ...

    def consume(self, reservation_id: str) -> Reservation:
        """OPEN → CLOSED; on-hand and reserved both drop by the quantity."""
        ...

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        """Post a stock movement; the answer carries previous and new on-hand."""
        ...


class WorkOrderPort(Protocol):
    """The work-order operations service: work orders, operations, materials, recipes."""

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        """The work order with its operations and materials; WorkOrderNotFound if unknown."""
        ...

    def get_recipe(self, name: str) -> Recipe:
        """The recipe (work definition); RecipeNotFound if unknown."""
        ...


class TokenProvider(Protocol):
    """Bearer tokens for calls to an upstream."""

    def token_for(self, scope: str) -> str:
        """A valid access token for ``scope``, from cache when possible."""
        ...
