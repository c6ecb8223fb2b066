"""REST: work orders (SPEC 5.1)."""

from __future__ import annotations

from typing import Any

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.context import work_order_desk
from gateway.api.parser import Blueprint
from gateway.api.schemas import WorkOrderReservationsQuery, WorkOrderReservationsSchema
from gateway.domain.roles import RESERVATION_ROLES
from gateway.services.workorders import (
    ReservationFilter,
    work_order_etag,
)

blp = Blueprint("work-orders", __name__, url_prefix="/api/work-orders", description="Work orders")
blp.before_request(authenticate)


@blp.get("/<id:work_order_id>/reservations")
@blp.arguments(WorkOrderReservationsQuery, location="query", as_kwargs=True)
@blp.response(200, WorkOrderReservationsSchema)
@blp.problem(401, "Missing or invalid token (auth.unauthenticated)")
@blp.problem(404, "Unknown work order (workorder.not_found)")
@requires_any_role(*RESERVATION_ROLES)
def work_order_reservations(work_order_id: str, **filters: Any) -> Any:
    """The work order's materials, each with its reservations (location, lot, quantity)."""
    keep, caller = ReservationFilter(**filters), current_principal()
    view = work_order_desk().reservations(work_order_id, caller.can_see_owner, keep)
    # The v2 update takes it back in If-Match (read-modify-write without lost updates).
    return view, 200, {"ETag": work_order_etag(view.work_order)}
