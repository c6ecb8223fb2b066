"""Schemas of partial creates and backorders (issue 15.2, decision 170)."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields, validate

from gateway.api.bounded import MAX_CURSOR
from gateway.api.schemas import ReservationSchema, SourceSchema, exact_decimal
from gateway.api.text import Text
from gateway.domain.backorders import BackorderStatus
from gateway.domain.payloads import reservation_from_payload
from gateway.domain.write_plan import WritePlan
from gateway.services.backorder_batch import BatchLine
from gateway.services.backorders import PartialReservation
from gateway.services.desks import BackorderDesk, SplitDesk
from gateway.services.split_holds import SplitReservation


class BackorderSchema(Schema):
    id = Text()
    item_sku_id = Text(data_key="itemSkuId")
    warehouse_id = Text(data_key="warehouseId")
    requested = exact_decimal(
        data_key="requestedQuantity", metadata={"description": "What the create could not reserve"}
    )
    quantity = exact_decimal(metadata={"description": "What is still outstanding"})
    filled = exact_decimal(data_key="filledQuantity")
    type = Text()
    source = fields.Nested(SourceSchema)
    priority = fields.Integer()
    status = Text(metadata={"description": "OPEN, FILLED, CANCELLED or EXPIRED"})
    owner_id = Text(data_key="ownerId")
    created_by = Text(data_key="createdBy", allow_none=True)
    created_at = fields.AwareDateTime(data_key="createdAt")
    expires_at = fields.AwareDateTime(data_key="expiresAt", allow_none=True)
    fills = fields.Integer(metadata={"description": "Reservations made to fill it so far"})
    ended_at = fields.AwareDateTime(data_key="endedAt", allow_none=True)


class ReservationCreatedSchema(ReservationSchema):
    """A reservation; with `allowPartial` also what was reserved and backordered (and, when
    nothing was available, only those members). A split create (`warehouseIds` or
    `anyWarehouse`) answers only `requestId`, `reservedQuantity`, `backorderedQuantity`,
    `reservations` (its parts, in order) and `backorder` (null when all was reserved)."""

    reserved_quantity = exact_decimal(data_key="reservedQuantity")
    backordered_quantity = exact_decimal(data_key="backorderedQuantity")
    backorder = fields.Nested(BackorderSchema, allow_none=True)
    request_id = Text(
        data_key="requestId",
        metadata={"description": "A split's id: every part's `reference` starts with it"},
    )
    reservations = fields.List(fields.Nested(ReservationSchema),
                               metadata={"description": "A split's parts"})  # fmt: skip


def split_answer(split: SplitReservation) -> dict[str, Any]:
    """What ReservationCreatedSchema dumps for a split create (decision 172)."""
    return {"request_id": split.request_id, "reserved_quantity": split.reserved_quantity,
            "backordered_quantity": split.backordered_quantity,
            "reservations": list(split.reservations), "backorder": split.backorder}  # fmt: skip


def split_answer_of_plan(plan: WritePlan, desk: SplitDesk) -> dict[str, Any]:
    """A split create's answer from its plan, finished by another process."""
    made = [reservation_from_payload(step.result or {}) for step in plan.steps]
    return split_answer(desk.of_plan(dict(plan.summary), made))


def partial_answer(partial: PartialReservation) -> dict[str, Any]:
    """What ReservationCreatedSchema dumps for a partial create."""
    made = {} if partial.reservation is None else asdict(partial.reservation)
    return {**made, "reserved_quantity": partial.reserved_quantity,
            "backordered_quantity": partial.backordered_quantity,
            "backorder": partial.backorder}  # fmt: skip


def partial_answer_of_plan(plan: WritePlan, desk: BackorderDesk) -> dict[str, Any]:
    """A partial create's answer from its plan, finished by another process, whose end wrote
    the backorder (decision 170)."""
    made = reservation_from_payload(plan.steps[-1].result or {})
    partial = plan.summary["partial"]
    requested = Decimal(str(partial["requested"]))
    backorder = desk.book.get(str(partial["backorderId"]))
    return partial_answer(PartialReservation(made, made.quantity, requested - made.quantity,
                                             backorder))  # fmt: skip


class BatchLineSchema(Schema):
    reserved_quantity = exact_decimal(data_key="reservedQuantity")
    backordered_quantity = exact_decimal(data_key="backorderedQuantity")
    reservation = fields.Nested(ReservationSchema, allow_none=True)
    backorder = fields.Nested(BackorderSchema, allow_none=True)


class ReservationBatchCreatedSchema(Schema):
    """The reservations made; with `allowPartial` lines also what each line got."""

    reservations = fields.List(fields.Nested(ReservationSchema))
    lines = fields.List(fields.Nested(BatchLineSchema))


def batch_answer(lines: list[BatchLine]) -> dict[str, Any]:
    """What ReservationBatchCreatedSchema dumps for a batch with partial lines."""
    made = [line.reservation for line in lines if line.reservation is not None]
    return {"reservations": made, "lines": lines}


class BackorderQuery(Schema):
    item_sku_id = Text(data_key="itemSkuId", validate=validate.Length(1, 18))
    warehouse_id = Text(data_key="warehouseId", validate=validate.Length(1, 3))
    status = fields.Enum(BackorderStatus, by_value=True)
    offset = fields.Integer(validate=validate.Range(0, MAX_CURSOR), load_default=0)
    limit = fields.Integer(validate=validate.Range(1, 500), load_default=50)


class BackorderPageSchema(Schema):
    items = fields.List(fields.Nested(BackorderSchema))
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()
