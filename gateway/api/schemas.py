"""Request and response schemas; the same ones validate requests and make /openapi.json."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from gateway.api.dumps import PlainDump, reservation_json, work_order_reservations_json
from gateway.api.text import Text
from gateway.domain.model import Reservation, ReservationStatus
from gateway.services.workorders import WorkOrderReservations


def exact_decimal(**kwargs: Any) -> fields.Decimal:
    """A quantity: dumped as a Decimal (a JSON number without loss), never a float."""
    return fields.Decimal(as_string=False, allow_nan=False, **kwargs)


class ProblemSchema(Schema):
    type = Text()
    title = Text()
    status = fields.Integer()
    detail = Text()
    code = Text(metadata={"description": "Stable error code (docs/error-codes.md)"})
    correlationId = Text(allow_none=True)
    errors = fields.Dict(metadata={"description": "Field → messages, for request.invalid"})
    providerError = Text(
        metadata={"description": "The identity provider's error, for credential.rejected"}
    )
    shortfall = exact_decimal(
        metadata={"description": "What a split create's warehouses lack, for insufficient_stock"}
    )


class SourceSchema(Schema):
    type = Text()
    id = Text()


class ReservationSchema(PlainDump):
    model, plain = Reservation, staticmethod(reservation_json)

    id = Text()
    reference = Text(allow_none=True)
    item_sku_id = Text(data_key="itemSkuId")
    warehouse_id = Text(data_key="warehouseId")
    location = Text(allow_none=True)
    lot = Text(allow_none=True)
    quantity = exact_decimal()
    uom = Text(allow_none=True)
    type = Text()
    source = fields.Nested(SourceSchema)
    priority = fields.Integer()
    status = Text()
    release_reason = Text(data_key="releaseReason", allow_none=True)
    owner_id = Text(data_key="ownerId")
    expires_at = fields.AwareDateTime(data_key="expiresAt", allow_none=True)
    created_at = fields.AwareDateTime(data_key="createdAt", allow_none=True)
    created_by = Text(data_key="createdBy", allow_none=True)
    released_at = fields.AwareDateTime(data_key="releasedAt", allow_none=True)
    closed_at = fields.AwareDateTime(data_key="closedAt", allow_none=True)


class WorkOrderHeaderSchema(Schema):
    id = Text()
    status = Text()
    recipe_name = Text(data_key="recipeName")
    batch_quantity = exact_decimal(data_key="batchQuantity")
    uom = Text()
    planned_start = fields.AwareDateTime(data_key="plannedStart", allow_none=True)
    owner_id = Text(data_key="ownerId")


class MaterialReservationsSchema(Schema):
    operation = fields.Integer(attribute="operation_sequence")
    operation_name = Text(data_key="operationName")
    item_number = Text(attribute="material.item_number", data_key="itemNumber")
    description = Text(allow_none=True)
    quantity = exact_decimal(attribute="material.quantity")
    uom = Text(attribute="material.uom")
    lot = Text(attribute="material.lot", allow_none=True)
    is_rework = fields.Boolean(attribute="material.is_rework", data_key="isRework")
    reservations = fields.List(fields.Nested(ReservationSchema))


class WorkOrderReservationsSchema(PlainDump):
    model, plain = WorkOrderReservations, staticmethod(work_order_reservations_json)

    work_order = fields.Nested(WorkOrderHeaderSchema, data_key="workOrder")
    materials = fields.List(fields.Nested(MaterialReservationsSchema))


class WorkOrderReservationsQuery(Schema):
    item_sku_id = Text(data_key="itemSkuId", validate=validate.Length(1, 18))
    status = fields.Enum(ReservationStatus, by_value=True)
    warehouse_id = Text(data_key="warehouseId", validate=validate.Length(1, 3))


class StockLevelSchema(Schema):
    item_sku_id = Text(data_key="itemSkuId")
    warehouse_id = Text(data_key="warehouseId")
    on_hand = exact_decimal(data_key="onHand")
    reserved = exact_decimal()
    available = exact_decimal(metadata={"description": "ATP: onHand − reserved"})
    stock_tracked = fields.Boolean(data_key="stockTracked")
    allow_negative_stock = fields.Boolean(data_key="allowNegativeStock")
    min_stock_level = exact_decimal(data_key="minStockLevel")
    reorder_point = exact_decimal(data_key="reorderPoint")
    backordered = exact_decimal(
        metadata={"description": "What OPEN backorders wait for (stock view only)"}
    )


class StockQuery(Schema):
    warehouse_id = Text(data_key="warehouseId", required=True, validate=validate.Length(1, 3))
