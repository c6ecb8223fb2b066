"""JSON payloads of the outbox: reservation requests, stock movements and materials.

Decimals stay Decimal (the outbox writes them as exact JSON numbers and reads them back as
Decimal or int); timestamps travel as ISO 8601 strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Material,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationStatus,
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


def reservation_payload(reservation: Reservation) -> dict[str, Any]:
    """A reservation as a write plan keeps a step's result."""
    return {
        "id": reservation.id,
        "reference": reservation.reference,
        "itemSkuId": reservation.item_sku_id,
        "warehouseId": reservation.warehouse_id,
        "location": reservation.location,
        "lot": reservation.lot,
        "quantity": reservation.quantity,
        "uom": reservation.uom,
        "type": reservation.type.value,
        "source": {"type": reservation.source.type.value, "id": reservation.source.id},
        "priority": reservation.priority,
        "status": reservation.status.value,
        "ownerId": reservation.owner_id,
        "createdAt": _iso(reservation.created_at),
        "createdBy": reservation.created_by,
        "expiresAt": _iso(reservation.expires_at),
        "releaseReason": None
        if reservation.release_reason is None
        else reservation.release_reason.value,
        "releasedAt": _iso(reservation.released_at),
        "closedAt": _iso(reservation.closed_at),
    }


def reservation_from_payload(payload: Mapping[str, Any]) -> Reservation:
    """The reservation ``reservation_payload`` wrote."""
    reason = payload.get("releaseReason")
    return Reservation(
        id=payload["id"],
        reference=payload.get("reference"),
        item_sku_id=payload["itemSkuId"],
        warehouse_id=payload["warehouseId"],
        location=payload.get("location"),
        lot=payload.get("lot"),
        quantity=decimal(payload["quantity"]),
        uom=payload.get("uom"),
        type=ReservationType(payload["type"]),
        source=_source(payload["source"]),
        priority=int(payload["priority"]),
        status=ReservationStatus(payload["status"]),
        owner_id=payload["ownerId"],
        created_at=_moment(payload.get("createdAt")),
        created_by=payload.get("createdBy"),
        expires_at=_moment(payload.get("expiresAt")),
        release_reason=None if reason is None else ReleaseReason(reason),
        released_at=_moment(payload.get("releasedAt")),
        closed_at=_moment(payload.get("closedAt")),
    )


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def consumption_payload(consumption: Consumption) -> dict[str, Any]:
    """A consumption (the closed reservation and its movement) as a plan keeps it."""
    movement = consumption.transaction
    return {
        "reservation": reservation_payload(consumption.reservation),
        "transaction": {**transaction_payload(movement),
                        "previousOnHand": movement.previous_on_hand,
                        "newOnHand": movement.new_on_hand},
        "remainderReleased": consumption.remainder_released,
    }  # fmt: skip


def consumption_from_payload(payload: Mapping[str, Any]) -> Consumption:
    """The consumption ``consumption_payload`` wrote."""
    movement = payload["transaction"]
    previous, new = movement.get("previousOnHand"), movement.get("newOnHand")
    return Consumption(
        reservation_from_payload(payload["reservation"]),
        replace(
            transaction_from_payload(movement),
            previous_on_hand=None if previous is None else decimal(previous),
            new_on_hand=None if new is None else decimal(new),
        ),
        remainder_released=bool(payload.get("remainderReleased", False)),
    )
