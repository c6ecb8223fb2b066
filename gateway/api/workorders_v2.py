"""REST: the work-order update v2 (SPEC 5.2)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields, post_load, validate

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.bounded import Identifier, LegacyQuantity, LegacyTimestamp
from gateway.api.context import unit_of_work, work_order_desk
from gateway.api.idempotency import idempotent
from gateway.api.parser import Blueprint
from gateway.api.schemas import WorkOrderReservationsSchema
from gateway.api.text import Text
from gateway.domain.roles import RESERVATION_ROLES
from gateway.domain.rules import RequestedMaterial
from gateway.services.workorder_update import (
    Updater,
    WorkOrderUpdate,
)

blp = Blueprint(
    "work-orders-v2", __name__, url_prefix="/api/v2/work-orders", description="Work orders (v2)"
)
blp.before_request(authenticate)


class MaterialLineSchema(Schema):
    operation = fields.Integer(required=True, strict=True, validate=validate.Range(0, 9999))
    item_number = Identifier(data_key="itemNumber", required=True, validate=validate.Length(1, 18))
    quantity = LegacyQuantity(required=True, validate=validate.Range(min=0))
    uom = Identifier(required=True, validate=validate.Length(1, 10))
    lot = Identifier(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 20),
        metadata={"description": "absent or null keeps the material's lot"},
    )

    @post_load
    def requested(self, data: dict[str, Any], **_: Any) -> RequestedMaterial:
        return RequestedMaterial(**data)


class WorkOrderUpdateSchema(Schema):
    batch_quantity = LegacyQuantity(
        data_key="batchQuantity", required=True, validate=validate.Range(min=0, min_inclusive=False)
    )
    planned_start = LegacyTimestamp(data_key="plannedStart", required=True)
    transaction_date = LegacyTimestamp(
        data_key="transactionDate",
        load_default=None,
        metadata={"description": "default now; transactions carry it minus 59 seconds"},
    )
    materials = fields.List(
        fields.Nested(MaterialLineSchema), load_default=list, validate=validate.Length(max=1000)
    )


class WorkOrderUpdateQuery(Schema):
    recipe_name = Text(data_key="recipe-name", required=True, validate=validate.Length(1, 40))


@blp.put("/<id:work_order_id>")
@blp.doc(parameters=[{
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "The ETag of GET /api/work-orders/{id}/reservations: the update is refused "
                   "(412) if the work order changed since it was read",
}])  # fmt: skip
@blp.arguments(WorkOrderUpdateQuery, location="query", as_kwargs=True)
@blp.arguments(WorkOrderUpdateSchema)
@blp.response(200, WorkOrderReservationsSchema)
@blp.problem(403, "inventory.reservation.invalid_owner (rework in another owner's warehouse)")
@blp.problem(404, "workorder.not_found, recipe.not_found")
@blp.problem(
    409,
    "inventory.reservation.insufficient_stock (rework), "
    "workorder.update_in_progress (another update of it is running; Retry-After)",
)
@blp.problem(412, "workorder.precondition_failed (If-Match: the work order changed)")
@blp.problem(422, "workorder.invalid_batch_quantity, "
                  "workorder.start_not_in_future, workorder.material_not_in_recipe")  # fmt: skip
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=lambda plan: _view(plan.target_id))
def update(body: dict[str, Any], work_order_id: str, recipe_name: str) -> Any:
    """Update batch, start and materials all or nothing; answers like the reservations view."""
    principal = current_principal()
    change = WorkOrderUpdate(
        work_order_id=work_order_id,
        recipe_name=recipe_name,
        batch_quantity=body["batch_quantity"],
        planned_start=body["planned_start"],
        transaction_date=body["transaction_date"],
        materials=tuple(body["materials"]),
        if_match=request.headers.get("If-Match"),
    )
    updater = Updater(principal.subject, principal.can_see_owner)
    return work_order_desk().update(change, updater, unit_of_work())


def _view(work_order_id: str) -> Any:
    """The reservations view after an update whose plan another process finished."""
    return work_order_desk().reservations(work_order_id, current_principal().can_see_owner)
