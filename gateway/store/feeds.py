"""Reading the event feed and the audit log."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from sqlalchemy import Engine, select

from gateway.store import json
from gateway.store.json import as_utc
from gateway.store.tables import audit_entries, events


def events_after(
    engine: Engine, after: int, limit: int, owner_ids: Set[str] | None
) -> list[dict[str, Any]]:
    """Events with an id above ``after``, oldest first; ``owner_ids`` None means every owner.
    Ids are in commit order (decision 030), so a reader's cursor never passes one still to come."""
    query = select(events).where(events.c.id > after).order_by(events.c.id).limit(limit)
    if owner_ids is not None:
        query = query.where(events.c.owner_id.in_(sorted(owner_ids)))
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return [{**row, "at": as_utc(row["at"]), "payload": json.loads(row["payload"])} for row in rows]


def audit_after(
    engine: Engine,
    after: int,
    limit: int,
    target_id: str | None = None,
    owner_ids: Set[str] | None = None,
) -> list[dict[str, Any]]:
    """Audit entries with an id above ``after``, oldest first; ``owner_ids`` None means every
    owner (and the gateway's own entries), else only entries of those owners."""
    query = select(audit_entries).where(audit_entries.c.id > after)
    if target_id is not None:
        query = query.where(audit_entries.c.target_id == target_id)
    if owner_ids is not None:
        query = query.where(audit_entries.c.owner_id.in_(sorted(owner_ids)))
    with engine.connect() as connection:
        rows = connection.execute(query.order_by(audit_entries.c.id).limit(limit)).mappings().all()
    return [
        {**row, "at": as_utc(row["at"]), "before": json.loads(row["before"]),
         "after": json.loads(row["after"])}
        for row in rows
    ]  # fmt: skip
