"""Schemas of the reservation endpoints (the feeds' are in feed_schemas.py)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_load, validate, validates_schema

from gateway.api.bounded import (
    MAX_CURSOR,
    Identifier,
    JsonBoolean,
    LegacyQuantity,
    LegacyTimestamp,
    strict_integer,
)
from gateway.api.dumps import PlainDump, page_json
from gateway.api.schemas import ReservationSchema, SourceSchema, exact_decimal
from gateway.api.text import Text
from gateway.domain.errors import InvalidSplit
from gateway.domain.model import DEFAULT_PRIORITY, Page, ReservationStatus, SourceType
from gateway.domain.reservation_rules import ReservationDraft
from gateway.domain.split_holds import SplitDraft, check_split
from gateway.services.reservations import PickedPart


class SourceInSchema(Schema):
    type = Identifier(required=True, metadata={"example": "sales_order"})
    id = Identifier(required=True, validate=validate.Length(1, 20))


class ReservationCreateSchema(Schema):
    """Quantity, type and expiry are checked by the rules, which answer with their own codes."""

    item_sku_id = Identifier(data_key="itemSkuId", required=True, validate=validate.Length(1, 18))
    warehouse_id = Identifier(data_key="warehouseId", validate=validate.Length(1, 3),
                              load_default=None)  # fmt: skip
    warehouse_ids = fields.List(  # instead of warehouseId: split across these (decision 172)
        Identifier(validate=validate.Length(1, 3)), data_key="warehouseIds", load_default=None,
        metadata={"description": "Instead of `warehouseId`: 1 to 10 distinct warehouses, tried "
                  "in this order; each part is a reservation of its own"},
    )  # fmt: skip
    any_warehouse = JsonBoolean(
        data_key="anyWarehouse", load_default=False,
        metadata={"description": "Instead of `warehouseId`: the owner's warehouses holding the "
                  "item, `SPLIT_WAREHOUSE_ORDER` first"},
    )  # fmt: skip
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
    allow_partial = JsonBoolean(  # JSON true or false only, not "yes" or 1
        data_key="allowPartial", load_default=False,
        metadata={"description": "Reserve what is available, backorder the rest"},
    )  # fmt: skip

    @validates_schema
    def one_way_to_name_warehouses(self, data: dict[str, Any], **_: Any) -> None:
        check_split(data["warehouse_id"], data["warehouse_ids"], data["any_warehouse"],
                    lot=data["lot"], location=data["location"])  # fmt: skip

    @post_load
    def draft(self, data: dict[str, Any], **_: Any) -> ReservationDraft | SplitDraft:
        source = data.pop("source")
        warehouses, any_warehouse = data.pop("warehouse_ids"), data.pop("any_warehouse")
        if warehouses is None and not any_warehouse:
            return ReservationDraft(source_type=source["type"], source_id=source["id"], **data)
        data["warehouse_id"] = ""  # each part's warehouse takes its place
        draft = ReservationDraft(source_type=source["type"], source_id=source["id"], **data)
        return SplitDraft(draft, None if warehouses is None else tuple(warehouses))


class ReservationBatchSchema(Schema):
    lines = fields.List(
        fields.Nested(ReservationCreateSchema), required=True, validate=validate.Length(1, 200)
    )

    @post_load
    def no_split_lines(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if any(isinstance(line, SplitDraft) for line in data["lines"]):
            raise InvalidSplit("A batch line names one warehouse: split lines are single creates")
        return data


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

    quantity = LegacyQuantity(  # left out: all of it; null is refused, not read as all
        load_default=None, allow_none=False,
        metadata={"description": "What was picked; at most what is reserved"},
    )  # fmt: skip
    release_remainder = JsonBoolean(  # JSON true or false only
        data_key="releaseRemainder", load_default=False,
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
