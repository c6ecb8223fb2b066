"""Schemas of the reservation endpoints (the feeds' are in feed_schemas.py)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate

from gateway.api.bounded import (
    MAX_CURSOR,
    Identifier,
    LegacyQuantity,
    LegacyTimestamp,
    strict_integer,
)
from gateway.api.dumps import PlainDump, page_json
from gateway.api.schemas import ReservationSchema, SourceSchema, exact_decimal
from gateway.api.text import Text
from gateway.domain.model import DEFAULT_PRIORITY, Page, ReservationStatus, SourceType
from gateway.domain.reservation_rules import ReservationDraft
from gateway.services.reservations import PickedPart


class SourceInSchema(Schema):
    type = Identifier(required=True, metadata={"example": "sales_order"})
    id = Identifier(required=True, validate=validate.Length(1, 20))


class ReservationCreateSchema(Schema):
    """Quantity, type and expiry are checked by the rules, which answer with their own codes."""

    item_sku_id = Identifier(data_key="itemSkuId", required=True, validate=validate.Length(1, 18))
    warehouse_id = Identifier(data_key="warehouseId", required=True, validate=validate.Length(1, 3))
    quantity = LegacyQuantity(required=True)
    uom = Identifier(validate=validate.Length(1, 3), load_default=None)
    location = Identifier(validate=validate.Length(1, 10), load_default=None)
    lot = Identifier(validate=validate.Length(1, 20), load_default=None)
    type = Identifier(required=True, metadata={"example": "SALES"})
    source = fields.Nested(SourceInSchema, required=True)
    owner_id = Identifier(data_key="ownerId", validate=validate.Length(1, 10), load_default=None)
    priority = strict_integer(validate=validate.Range(0, 99), load_default=DEFAULT_PRIORITY)
    expires_at = LegacyTimestamp(data_key="expiresAt", load_default=None)
    override = fields.Boolean(load_default=False)
    allow_partial = fields.Boolean(  # JSON true or false only, not "yes" or 1
        data_key="allowPartial", load_default=False, truthy={True}, falsy={False},
        metadata={"description": "Reserve what is available, backorder the rest"},
    )  # fmt: skip

    @post_load
    def draft(self, data: dict[str, Any], **_: Any) -> ReservationDraft:
        source = data.pop("source")
        return ReservationDraft(source_type=source["type"], source_id=source["id"], **data)


class ReservationBatchSchema(Schema):
    lines = fields.List(
        fields.Nested(ReservationCreateSchema), required=True, validate=validate.Length(1, 200)
    )


class ReservationListSchema(Schema):
    reservations = fields.List(fields.Nested(ReservationSchema))


class ReservationQuery(Schema):
    item_sku_id = Text(data_key="itemSkuId", validate=validate.Length(1, 18))
    warehouse_id = Text(data_key="warehouseId", validate=validate.Length(1, 3))
    status = fields.Enum(ReservationStatus, by_value=True)
    source_type = fields.Enum(SourceType, by_value=True, data_key="sourceType")
    source_id = Text(data_key="sourceId", validate=validate.Length(1, 20))
    offset = fields.Integer(validate=validate.Range(0, MAX_CURSOR), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 500), load_default=50)


class ReservationPageSchema(PlainDump):
    model, plain = Page, staticmethod(page_json)

    items = fields.List(fields.Nested(ReservationSchema))
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()


class TransactionSchema(Schema):
    reference = Text()
    quantity = exact_decimal()
    transaction_date = fields.AwareDateTime(data_key="transactionDate")
    previous_on_hand = exact_decimal(data_key="previousOnHand")
    new_on_hand = exact_decimal(data_key="newOnHand")


class ConsumptionSchema(Schema):
    reservation = fields.Nested(ReservationSchema)
    transaction = fields.Nested(TransactionSchema)
    consumed_quantity = exact_decimal(data_key="consumedQuantity")
    remaining_quantity = exact_decimal(
        data_key="remainingQuantity", metadata={"description": "Still reserved (OPEN)"}
    )
    released_quantity = exact_decimal(
        data_key="releasedQuantity", metadata={"description": "Given back by releaseRemainder"}
    )


class ConsumeSchema(Schema):
    """A consume's optional body: without it (or without quantity) all of it is consumed."""

    quantity = LegacyQuantity(
        load_default=None, metadata={"description": "What was picked; at most what is reserved"}
    )
    release_remainder = fields.Boolean(  # JSON true or false only
        data_key="releaseRemainder", load_default=False, truthy={True}, falsy={False},
        metadata={"description": "Close the reservation and give the rest back to available"},
    )  # fmt: skip

    @post_load
    def picked(self, data: dict[str, Any], **_: Any) -> PickedPart:
        return PickedPart(data["quantity"], data["release_remainder"])


class ExpiryChangeSchema(Schema):
    expires_at = LegacyTimestamp(
        data_key="expiresAt", required=True, allow_none=True,
        metadata={"description": "The new expiry, in the future; null: never expires"},
    )  # fmt: skip


class SourceExpirySchema(Schema):
    source = fields.Nested(SourceSchema)
    expires_at = fields.AwareDateTime(data_key="expiresAt", allow_none=True)
    reservations = fields.List(fields.Nested(ReservationSchema))
