"""The outbox table as a work queue: claim due entries, complete them, or retry later."""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, or_, select, update

from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import outbox


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: str | None
    correlation_id: str | None
    plan_id: str | None = None
    owner_id: str | None = None


class OutboxRepository:
    """Entries are claimed for ``lease`` before they run, so two processes never run one twice
    at the same time; a claim left by a dead process expires."""

    def __init__(self, engine: Engine, lease: timedelta = timedelta(minutes=2)) -> None:
        self._engine = engine
        self._lease = lease

    def claim_due(self, now: datetime, limit: int = 50) -> list[OutboxEntry]:
        """Pending entries whose time has come and that nobody else holds; now held by us."""
        due = (
            select(outbox.c.id)
            .where(outbox.c.state == "pending", outbox.c.next_attempt_at <= now)
            .where(or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))
            .order_by(outbox.c.id)
            .limit(limit)
        )
        claimed: list[OutboxEntry] = []
        with self._engine.begin() as connection:
            for (entry_id,) in connection.execute(due).all():
                taken = connection.execute(
                    update(outbox)
                    .where(outbox.c.id == entry_id, outbox.c.state == "pending")
                    .where(or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now))
                    .values(claimed_until=now + self._lease)
                ).rowcount
                if taken:
                    row = connection.execute(select(outbox).where(outbox.c.id == entry_id))
                    claimed.append(self._entry(row.mappings().one()))
        return claimed

    def completion(self, entry_id: int, state: str = "done", error: str | None = None) -> Any:
        """A write that ends the entry (``done``, or ``conflict``: final, never retried), for the
        transaction that also writes the compensation's audit entry and event."""

        def write(connection: Any) -> None:
            connection.execute(
                update(outbox).where(outbox.c.id == entry_id).values(
                    state=state, done_at=utc_now(), claimed_until=None,
                    last_error=None if error is None else error[:2000],
                )
            )  # fmt: skip

        return write

    def retry_later(self, entry: OutboxEntry, error: str, at: datetime) -> None:
        self._set(
            entry.id, attempts=entry.attempts + 1, last_error=error[:2000],
            next_attempt_at=at, claimed_until=None,
        )  # fmt: skip

    def make_all_due(self, now: datetime) -> int:
        """Every pending entry may run at once (``gateway outbox retry``)."""
        with self._engine.begin() as connection:
            return connection.execute(
                update(outbox).where(outbox.c.state == "pending").values(next_attempt_at=now)
            ).rowcount

    def entries(
        self, state: str | None = None, limit: int = 100, owner_ids: Set[str] | None = None
    ) -> list[OutboxEntry]:
        """Newest first; ``owner_ids`` None means every owner, else only entries of those."""
        query = select(outbox).order_by(outbox.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(outbox.c.state == state)
        if owner_ids is not None:
            query = query.where(outbox.c.owner_id.in_(sorted(owner_ids)))
        with self._engine.connect() as connection:
            return [self._entry(row) for row in connection.execute(query).mappings().all()]

    def pending_count(self, owner_ids: Set[str] | None = None) -> int:
        """How many entries are still to run (read at every /metrics scrape: one COUNT)."""
        with self._engine.connect() as connection:
            query = select(func.count()).select_from(outbox).where(outbox.c.state == "pending")
            if owner_ids is not None:
                query = query.where(outbox.c.owner_id.in_(sorted(owner_ids)))
            return int(connection.execute(query).scalar_one())

    def _set(self, entry_id: int, **values: Any) -> None:
        with self._engine.begin() as connection:
            connection.execute(update(outbox).where(outbox.c.id == entry_id).values(**values))

    @staticmethod
    def _entry(row: Any) -> OutboxEntry:
        return OutboxEntry(
            id=row["id"], kind=row["kind"], payload=json.loads(row["payload"]),
            state=row["state"], attempts=row["attempts"],
            created_at=as_utc(row["created_at"]) or utc_now(),
            next_attempt_at=as_utc(row["next_attempt_at"]) or utc_now(),
            last_error=row["last_error"], correlation_id=row["correlation_id"],
            plan_id=row["plan_id"], owner_id=row["owner_id"],
        )  # fmt: skip
