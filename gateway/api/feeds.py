"""REST: the event feed for MES clients and the audit log for admins."""

from __future__ import annotations

from typing import Any

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.context import store
from gateway.api.feed_schemas import (
    AuditPageSchema,
    AuditQuery,
    EventPageSchema,
    EventQuery,
    OutboxPageSchema,
    OutboxQuery,
)
from gateway.api.parser import Blueprint
from gateway.domain.roles import ADMIN, RESERVATION_ROLES
from gateway.store.feeds import audit_after, events_after

events_blp = Blueprint("events", __name__, url_prefix="/api/events", description="Event feed")
events_blp.before_request(authenticate)
admin_blp = Blueprint("admin-audit", __name__, url_prefix="/admin", description="Administration")
admin_blp.before_request(authenticate)


@events_blp.get("")
@events_blp.arguments(EventQuery, location="query", as_kwargs=True)
@events_blp.response(200, EventPageSchema)
@requires_any_role(*RESERVATION_ROLES)
def follow_events(after: int, limit: int) -> Any:
    """Every change after the cursor, in commit order; pass `nextCursor` back as `after`."""
    found = events_after(store().engine, after, limit, _scope())
    return {"events": found, "next_cursor": found[-1]["id"] if found else after}


@admin_blp.get("/audit")
@admin_blp.arguments(AuditQuery, location="query", as_kwargs=True)
@admin_blp.response(200, AuditPageSchema)
@requires_any_role(ADMIN)
def list_audit(after: int, limit: int, target_id: str | None = None) -> Any:
    """Audit entries (who, what, when, before, after), oldest first."""
    scope = _scope()
    return {"entries": audit_after(store().engine, after, limit, target_id, scope)}


@admin_blp.get("/outbox")
@admin_blp.arguments(OutboxQuery, location="query", as_kwargs=True)
@admin_blp.response(200, OutboxPageSchema)
@requires_any_role(ADMIN)
def list_outbox(limit: int, state: str | None = None) -> Any:
    """Compensations still pending (or done): kind, attempts, last error, next attempt."""
    outbox, scope = store().outbox, _scope()
    return {"entries": outbox.entries(state, limit, scope), "pending": outbox.pending_count(scope)}


def _scope() -> frozenset[str] | None:
    """An admin sees the records of its owner scope; ``*`` sees every one, the gateway's own
    (credential rotations) included (SPEC §7)."""
    caller = current_principal()
    return None if caller.all_owners else frozenset(caller.owner_ids)
