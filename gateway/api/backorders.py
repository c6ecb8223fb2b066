"""REST: backorders of partial creates (issue 15.2, decision 170)."""

from __future__ import annotations

from typing import Any

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.backorder_schemas import BackorderPageSchema, BackorderQuery, BackorderSchema
from gateway.api.context import backorder_desk, unit_of_work
from gateway.api.idempotency import idempotent
from gateway.api.parser import Blueprint
from gateway.domain.backorders import BackorderSearch
from gateway.domain.roles import RESERVATION_ROLES

blp = Blueprint("backorders", __name__, url_prefix="/api/inventory", description="Backorders")
blp.before_request(authenticate)


@blp.get("/backorders")
@blp.arguments(BackorderQuery, location="query", as_kwargs=True)
@blp.response(200, BackorderPageSchema)
@requires_any_role(*RESERVATION_ROLES)
def list_backorders(offset: int, limit: int, **criteria: Any) -> Any:
    """Backorders in your owner scope, highest priority first, then oldest."""
    search = BackorderSearch(**criteria)
    return backorder_desk().search(search, current_principal(), offset, limit)


@blp.get("/backorders/<id:backorder_id>")
@blp.response(200, BackorderSchema)
@blp.problem(404, "inventory.backorder.not_found")
@requires_any_role(*RESERVATION_ROLES)
def get_backorder(backorder_id: str) -> Any:
    """One backorder; another owner's is not found."""
    return backorder_desk().get(backorder_id, current_principal())


@blp.put("/backorders/<id:backorder_id>/cancel")
@blp.response(200, BackorderSchema)
@blp.problem(404, "inventory.backorder.not_found")
@blp.problem(409, "inventory.backorder.not_open")
@requires_any_role(*RESERVATION_ROLES)
@idempotent
def cancel_backorder(backorder_id: str) -> Any:
    """OPEN → CANCELLED (yours, or anyone's in scope as Manager/Owner); what it filled stays."""
    return backorder_desk().cancel(backorder_id, current_principal(), unit_of_work())
