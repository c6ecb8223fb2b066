"""Reading the event feed and the audit log."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select

from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import audit_entries, events

SETTLE = timedelta(seconds=10)
"""How long a hole in the event ids may be a transaction still committing (decision 163)."""


def events_after(
    engine: Engine,
    after: int,
    limit: int,
    owner_ids: Set[str] | None,
    now: datetime | None = None,
    settle: timedelta = SETTLE,
) -> list[dict[str, Any]]:
    """Events with an id above ``after`` and up to the settled horizon, oldest first;
    ``owner_ids`` None means every owner."""
    with engine.connect() as connection:
        horizon = settled_horizon(connection, after, now or utc_now(), settle, max(limit, 1000))
        query = select(events).where(events.c.id > after, events.c.id <= horizon)
        if owner_ids is not None:
            query = query.where(events.c.owner_id.in_(sorted(owner_ids)))
        rows = connection.execute(query.order_by(events.c.id).limit(limit)).mappings().all()
    return [{**row, "at": as_utc(row["at"]), "payload": json.loads(row["payload"])} for row in rows]


def settled_horizon(
    connection: Connection, after: int, now: datetime, settle: timedelta, scan: int = 1000
) -> int:
    """The highest event id up to which the feed can be read without skipping one for good.

    Ids are handed out when a transaction inserts, not when it commits: on PostgreSQL, event 11
    can be visible while event 10's transaction is still open, and a reader that moved its
    cursor past 11 would never see 10. So the feed stops before a hole in the ids until the
    event after the hole is ``settle`` old; a hole still there by then was a rollback (or an
    insert that lost a dedupe race), and reading goes on past it.
    """
    found = connection.execute(
        select(events.c.id, events.c.at).where(events.c.id > after).order_by(events.c.id)
        .limit(scan)
    ).all()  # fmt: skip
    horizon = after
    for event_id, at in found:
        if event_id != horizon + 1 and (as_utc(at) or now) > now - settle:
            break
        horizon = event_id
    return horizon


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
