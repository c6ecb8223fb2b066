"""The SQL unit of work: use cases add audit entries, events and outbox entries after their
upstream calls; ``commit`` writes them all in one short transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text

from gateway.domain.write_plan import WritePlan
from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.tables import audit_entries, events, outbox
from gateway.store.write_plans import WritePlanJournal

EVENT_ORDER_LOCK = 7_402_212
"""PostgreSQL advisory lock held from the events insert to commit, so ids commit in order
and a reader following ``after=<id>`` can never skip an event committed late."""

AfterCommit = Callable[[Connection], None]

# Built once; each commit only binds its rows.
_INSERT_AUDIT = insert(audit_entries)
_INSERT_OUTBOX = insert(outbox)
_INSERT_EVENT = insert(events)
_EVENT_PUBLISHED = select(events.c.id).where(events.c.dedupe_key == bindparam("w_key"))
_EVENT_ORDER = text("SELECT pg_advisory_xact_lock(:id)").bindparams(id=EVENT_ORDER_LOCK)


@dataclass
class BufferedAuditLog:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        actor: str,
        action: str,
        target_type: str,
        target_id: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        owner_id: str | None = None,
    ) -> None:
        owner = owner_id or (after or {}).get("ownerId") or (before or {}).get("ownerId")
        self.rows.append(
            {"actor": actor, "action": action, "target_type": target_type,
             "target_id": target_id, "before": None if before is None else json.dumps(before),
             "after": None if after is None else json.dumps(after), "owner_id": owner}
        )  # fmt: skip


@dataclass
class BufferedEventLog:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def publish(
        self,
        event_type: str,
        aggregate_id: str,
        payload: Mapping[str, Any],
        owner_id: str | None = None,
        dedupe_key: str | None = None,
        origin: str = "gateway",
    ) -> None:
        self.rows.append(
            {"type": event_type, "aggregate_id": aggregate_id, "owner_id": owner_id,
             "payload": json.dumps(payload), "dedupe_key": dedupe_key, "origin": origin}
        )  # fmt: skip


@dataclass
class BufferedOutbox:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        plan_id: str | None = None,
        conflict: str | None = None,
        owner_id: str | None = None,
    ) -> None:
        row = {"kind": kind, "payload": json.dumps(payload), "plan_id": plan_id,
               "state": "pending", "last_error": None, "owner_id": owner_id}  # fmt: skip
        if conflict is not None:  # shown in /admin/outbox, never run
            row |= {"state": "conflict", "last_error": conflict}
        self.rows.append(row)


class SqlUnitOfWork:
    """One use case's writes to the gateway database; nothing is written before ``commit``."""

    def __init__(
        self,
        engine: Engine,
        correlation_id: str | None = None,
        plans: WritePlanJournal | None = None,
    ) -> None:
        self._engine = engine
        self.correlation_id = correlation_id
        self.plans = plans or WritePlanJournal(engine)
        self.request_key: tuple[str, str] | None = None
        self.ended_plans: list[WritePlan] = []
        self.audit = BufferedAuditLog()
        self.events = BufferedEventLog()
        self.outbox = BufferedOutbox()
        self._also: list[AfterCommit] = []
        self._then: list[Callable[[], None]] = []

    def also_in_transaction(self, write: AfterCommit) -> None:
        """Another write (e.g. the idempotency record) that must commit with these."""
        self._also.append(write)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Something to do once these writes are committed (e.g. free an idempotency key)."""
        self._then.append(action)

    def commit(self) -> None:
        """Write everything buffered in one transaction (none when there is nothing to write:
        a read-only request does not take SQLite's write lock), then run the after-commit
        actions."""
        if self.audit.rows or self.outbox.rows or self.events.rows or self._also:
            with self._engine.begin() as connection:
                self._write(connection)
        self.audit.rows.clear()
        self.events.rows.clear()
        self.outbox.rows.clear()
        self._also.clear()
        then, self._then = self._then, []
        for action in then:
            action()

    def _write(self, connection: Connection) -> None:
        now = utc_now()
        stamp = {"at": now, "correlation_id": self.correlation_id}
        if self.audit.rows:
            connection.execute(_INSERT_AUDIT, [{**r, **stamp} for r in self.audit.rows])
        queued = {"created_at": now, "attempts": 0, "next_attempt_at": now,
                  "correlation_id": self.correlation_id}  # fmt: skip
        for row in self.outbox.rows:  # one by one: compensations run in the order queued
            connection.execute(_INSERT_OUTBOX, {**row, **queued})
        if self.events.rows:
            _write_events(connection, [{**r, **stamp} for r in self.events.rows])
        for write in self._also:
            write(connection)


def _write_events(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(_EVENT_ORDER)
    for row in rows:  # one by one: each id is taken in the order the events were published
        key = row["dedupe_key"]
        if key and connection.execute(_EVENT_PUBLISHED, {"w_key": key}).first():
            continue  # already published (e.g. by another gateway process)
        connection.execute(_INSERT_EVENT, row)
