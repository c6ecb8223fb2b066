"""The SOAP contract's types, named after the common model (wsdl/gateway.wsdl is made from them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from spyne import Boolean, ComplexModel, DateTime, Decimal, Fault, Integer32, Integer64, Unicode
from spyne.model.complex import Array

from gateway.domain.backorders import BackorderStatus
from gateway.domain.model import ReleaseReason, ReservationStatus, ReservationType, SourceType

NAMESPACE = "urn:reservation-gateway:soap:v1"


def named(base: Any, type_name: str, required: bool = False, **restrictions: Any) -> Any:
    """A restricted simple type with a name of its own in the WSDL (not ``Op_argType``)."""
    occurs = {"min_occurs": 1, "nillable": False} if required else {}
    return base(type_name=type_name, __namespace__=NAMESPACE, **restrictions, **occurs)


def enumeration(kind: type[StrEnum], required: bool = False) -> Any:
    return named(Unicode, kind.__name__, required, values=[member.value for member in kind])


def identifier(required: bool = True) -> Any:
    return named(Unicode, "Identifier", required, min_len=1, max_len=40)


def item_sku_id(required: bool = False) -> Any:
    return named(Unicode, "ItemSkuId", required, min_len=1, max_len=18)


def warehouse_id(required: bool = False) -> Any:
    return named(Unicode, "WarehouseId", required, min_len=1, max_len=3)


def lot(required: bool = False) -> Any:
    return named(Unicode, "Lot", required, min_len=1, max_len=20)


Required = Unicode(min_occurs=1, nillable=False)


class Source(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("type", enumeration(SourceType, required=True)),
        ("id", named(Unicode, "SourceId", required=True, min_len=1, max_len=20)),
    ]


class Reservation(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("id", Unicode),
        ("reference", Unicode),
        ("itemSkuId", Unicode),
        ("warehouseId", Unicode),
        ("location", Unicode),
        ("lot", Unicode),
        ("quantity", Decimal),
        ("uom", Unicode),
        ("type", enumeration(ReservationType)),
        ("source", Source),
        ("priority", Integer32),
        ("status", enumeration(ReservationStatus)),
        ("releaseReason", enumeration(ReleaseReason)),
        ("ownerId", Unicode),
        ("expiresAt", DateTime),
        ("createdAt", DateTime),
        ("createdBy", Unicode),
        ("releasedAt", DateTime),
        ("closedAt", DateTime),
    ]


class ReservationRequest(ComplexModel):
    """What CreateReservation asks for; quantity, type and expiry are checked by the rules."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("itemSkuId", item_sku_id(required=True)),
        ("warehouseId", warehouse_id(required=True)),
        ("quantity", Decimal(min_occurs=1, nillable=False)),
        ("uom", Unicode(max_len=3)),
        ("location", Unicode(max_len=10)),
        ("lot", lot()),
        ("type", Required),
        ("source", Source.customize(min_occurs=1, nillable=False)),
        ("ownerId", named(Unicode, "OwnerId", min_len=1, max_len=10)),
        ("priority", named(Integer32, "Priority", ge=0, le=99)),
        ("expiresAt", DateTime),
        ("override", Boolean),
        # Added by decision 172; an older client that leaves them out creates as before.
        ("moreWarehouseIds", named(Unicode, "WarehouseId", min_len=1, max_len=3, max_occurs=9)),
        ("anyWarehouse", Boolean),
        ("allowPartial", Boolean),
    ]


class ReservationCreated(Reservation):
    """CreateReservation's answer: the reservation made, as before. With allowPartial also
    what was reserved and backordered; a split (moreWarehouseIds or anyWarehouse) answers only
    those, its requestId (every part's reference starts with it) and its parts, in order."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("requestId", Unicode),
        ("reservedQuantity", Decimal),
        ("backorderedQuantity", Decimal),
        ("backorderId", Unicode),
        ("parts", Array(Reservation)),
    ]


class Backorder(ComplexModel):
    """What a partial create still waits for (decision 170); quantity is what is outstanding."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("id", Unicode),
        ("itemSkuId", Unicode),
        ("warehouseId", Unicode),
        ("requestedQuantity", Decimal),
        ("quantity", Decimal),
        ("filledQuantity", Decimal),
        ("type", enumeration(ReservationType)),
        ("source", Source),
        ("priority", Integer32),
        ("status", enumeration(BackorderStatus)),
        ("ownerId", Unicode),
        ("createdBy", Unicode),
        ("createdAt", DateTime),
        ("expiresAt", DateTime),
        ("fills", Integer32),
        ("endedAt", DateTime),
    ]


class Shortage(ComplexModel):
    """An OPEN reservation on-hand no longer covers in full (decision 170), and by how much."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("reservation", Reservation),
        ("shortQuantity", Decimal),
        ("onHand", Decimal),
    ]


class ShortagePage(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("items", Array(Shortage)),
        ("total", Integer64),
        ("offset", Integer64),
        ("limit", Integer32),
    ]


class BackorderPage(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("items", Array(Backorder)),
        ("total", Integer64),
        ("offset", Integer64),
        ("limit", Integer32),
    ]


class ReservationPage(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("items", Array(Reservation)),
        ("total", Integer64),
        ("offset", Integer64),
        ("limit", Integer32),
    ]


class InventoryTransaction(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("reference", Unicode),
        ("quantity", Decimal),
        ("transactionDate", DateTime),
        ("previousOnHand", Decimal),
        ("newOnHand", Decimal),
    ]


class Consumption(ComplexModel):
    """A consume's answer; the quantities were added by decision 173 (partial consumes)."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("reservation", Reservation),
        ("transaction", InventoryTransaction),
        ("consumedQuantity", Decimal),
        ("remainingQuantity", Decimal),
        ("releasedQuantity", Decimal),
    ]


class SourceExpiry(ComplexModel):
    """ChangeSourceExpiry's answer: the source's open reservations with their new expiry."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("source", Source),
        ("expiresAt", DateTime),
        ("reservations", Array(Reservation)),
    ]


class StockLevel(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("itemSkuId", Unicode),
        ("warehouseId", Unicode),
        ("onHand", Decimal),
        ("reserved", Decimal),
        ("available", Decimal),
        ("stockTracked", Boolean),
        ("allowNegativeStock", Boolean),
        ("minStockLevel", Decimal),
        ("reorderPoint", Decimal),
    ]


class WorkOrder(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("id", Unicode),
        ("status", Unicode),
        ("recipeName", Unicode),
        ("batchQuantity", Decimal),
        ("uom", Unicode),
        ("plannedStart", DateTime),
        ("ownerId", Unicode),
    ]


class MaterialReservations(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [
        ("operation", Integer32),
        ("operationName", Unicode),
        ("itemNumber", Unicode),
        ("description", Unicode),
        ("quantity", Decimal),
        ("uom", Unicode),
        ("lot", Unicode),
        ("isRework", Boolean),
        ("reservations", Array(Reservation)),
    ]


class WorkOrderReservations(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("workOrder", WorkOrder), ("materials", Array(MaterialReservations))]


class MaterialLine(ComplexModel):
    """One material of an UpdateWorkOrder; an absent lot keeps the material's lot."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("operation", Integer32(min_occurs=1, nillable=False, ge=0)),
        ("itemNumber", Unicode(min_occurs=1, nillable=False, min_len=1, max_len=18)),
        ("quantity", Decimal(min_occurs=1, nillable=False, ge=0)),
        ("uom", Unicode(min_occurs=1, nillable=False, min_len=1, max_len=10)),
        ("lot", lot()),
    ]


class FieldError(ComplexModel):
    __namespace__ = NAMESPACE
    _type_info = [("field", Unicode), ("message", Unicode)]


class GatewayFault(Fault):
    """Every fault's detail is one GatewayFault element: the §6 code, message, correlation id."""

    __namespace__ = NAMESPACE
    _type_info = [
        ("code", Unicode(min_occurs=1, nillable=False)),
        ("message", Unicode),
        ("correlationId", Unicode),
        ("errors", Array(FieldError)),
    ]
