"""JSON payloads of the outbox: reservation requests, stock movements and materials.

Decimals stay Decimal (the outbox writes them as exact JSON numbers and reads them back as
Decimal or int); timestamps travel as ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.model import (
    InventoryTransaction,
    Material,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)


def material_payload(material: Material) -> dict[str, Any]:
    """A material of an operation as JSON."""
    return {
        "itemNumber": material.item_number,
        "quantity": material.quantity,
        "uom": material.uom,
        "lot": material.lot,
        "isRework": material.is_rework,
    }


def request_payload(request: ReservationRequest) -> dict[str, Any]:
    """A reservation request as JSON."""
    return {
        "reference": request.reference,
        "itemSkuId": request.item_sku_id,
        "warehouseId": request.warehouse_id,
        "quantity": request.quantity,
        "type": request.type.value,
        "source": {"type": request.source.type.value, "id": request.source.id},
        "ownerId": request.owner_id,
        "priority": request.priority,
        "uom": request.uom,
        "location": request.location,
        "lot": request.lot,
        "expiresAt": _iso(request.expires_at),
        "createdBy": request.created_by,
        "override": request.override,
    }


def request_from_payload(payload: Mapping[str, Any]) -> ReservationRequest:
    """The reservation request ``request_payload`` wrote."""
    expires = payload.get("expiresAt")
    return ReservationRequest(
        reference=payload["reference"],
        item_sku_id=payload["itemSkuId"],
        warehouse_id=payload["warehouseId"],
        quantity=decimal(payload["quantity"]),
        type=ReservationType(payload["type"]),
        source=_source(payload["source"]),
        owner_id=payload["ownerId"],
        priority=int(payload["priority"]),
        uom=payload.get("uom"),
        location=payload.get("location"),
        lot=payload.get("lot"),
        expires_at=None if expires is None else datetime.fromisoformat(expires),
        created_by=payload.get("createdBy"),
        override=bool(payload.get("override", False)),
    )


def transaction_payload(transaction: InventoryTransaction) -> dict[str, Any]:
    """A stock movement to post, as JSON."""
    return {
        "reference": transaction.reference,
        "itemSkuId": transaction.item_sku_id,
        "warehouseId": transaction.warehouse_id,
        "quantity": transaction.quantity,
        "type": transaction.transaction_type,
        "date": transaction.transaction_date.isoformat(),
        "source": {"type": transaction.source.type.value, "id": transaction.source.id},
        "location": transaction.location,
        "lot": transaction.lot,
    }


def transaction_from_payload(payload: Mapping[str, Any]) -> InventoryTransaction:
    """The stock movement ``transaction_payload`` wrote."""
    return InventoryTransaction(
        reference=payload["reference"],
        item_sku_id=payload["itemSkuId"],
        warehouse_id=payload["warehouseId"],
        quantity=decimal(payload["quantity"]),
        transaction_type=payload["type"],
        transaction_date=datetime.fromisoformat(payload["date"]),
        source=_source(payload["source"]),
        location=payload.get("location"),
        lot=payload.get("lot"),
    )


def _source(payload: Mapping[str, Any]) -> Source:
    return Source(SourceType(payload["type"]), payload["id"])


def decimal(value: Any) -> Decimal:
    """A stored quantity back as a Decimal."""
    # Stored payloads come back as Decimal or int; never through float.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def material_from_payload(payload: Mapping[str, Any]) -> Material:
    """The material ``material_payload`` wrote."""
    return Material(
        item_number=payload["itemNumber"],
        quantity=decimal(payload["quantity"]),
        uom=payload["uom"],
        lot=payload.get("lot"),
        is_rework=bool(payload.get("isRework", False)),
    )
