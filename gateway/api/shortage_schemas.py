"""Schemas of the shortage view (issue 15.5)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.api.bounded import MAX_CURSOR
from gateway.api.schemas import ReservationSchema, exact_decimal
from gateway.api.text import Text


class ShortageQuery(Schema):
    item_sku_id = Text(data_key="itemSkuId", validate=validate.Length(1, 18))
    warehouse_id = Text(data_key="warehouseId", validate=validate.Length(1, 3))
    offset = fields.Integer(validate=validate.Range(0, MAX_CURSOR), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 500), load_default=50)


class ShortageSchema(Schema):
    reservation = fields.Nested(ReservationSchema)
    short_quantity = exact_decimal(
        data_key="shortQuantity",
        metadata={"description": "The part of the reservation on-hand no longer covers"},
    )
    on_hand = exact_decimal(data_key="onHand", metadata={"description": "The pair's on-hand"})


class ShortagePageSchema(Schema):
    items = fields.List(fields.Nested(ShortageSchema))
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()
