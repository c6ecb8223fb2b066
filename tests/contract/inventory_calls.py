"""Calls the InventoryPort contract tests share: a reservation request, a movement, readings."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.errors import GatewayError
from gateway.domain.model import (
    InventoryTransaction,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)
from gateway.services.ports import InventoryPort


def request(quantity: str, sku: str = "RM-1", **changes: Any) -> ReservationRequest:
    return ReservationRequest(
        reference=changes.pop("reference", f"CT-{uuid.uuid4().hex[:12]}"),
        item_sku_id=sku,
        warehouse_id=changes.pop("warehouse_id", "W01"),
        quantity=Decimal(quantity),
        type=ReservationType.PRODUCTION,
        source=Source(SourceType.WORK_ORDER, changes.pop("source_id", "WO-C2")),
        owner_id="PLANT-A",
        **changes,
    )


def movement(reference: str, quantity: str, kind: str = "RCT") -> InventoryTransaction:
    return InventoryTransaction(
        reference=reference, item_sku_id="RM-1", warehouse_id="W01", quantity=Decimal(quantity),
        transaction_type=kind, transaction_date=datetime(2026, 11, 3, 7, 0, tzinfo=UTC),
        source=Source(SourceType.WORK_ORDER, "WO-C2"),
    )  # fmt: skip


def available(inventory: InventoryPort, sku: str = "RM-1", warehouse: str = "W01") -> Decimal:
    return inventory.get_stock_level(sku, warehouse).available


def legacy_error(error: pytest.ExceptionInfo[GatewayError]) -> Any:
    return error.value.extra.get("legacy_error")


def stock(inventory: InventoryPort, sku: str = "RM-1") -> tuple[Decimal, Decimal, Decimal]:
    """On-hand, reserved and available of the item in W01."""
    level = inventory.get_stock_level(sku, "W01")
    return level.on_hand, level.reserved, level.available
