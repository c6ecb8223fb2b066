"""Idempotency records (SPEC §8): one per caller and ``Idempotency-Key``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import idempotency_records as records


class Outcome(Enum):
    PROCEED = "proceed"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    KEY_REUSED = "key_reused"


@dataclass(frozen=True)
class Claim:
    outcome: Outcome
    status_code: int | None = None
    body: str | None = None
    headers: dict[str, str] | None = None
    plan_id: str | None = None
    """Set when the key's earlier request made a write plan and stopped answering."""


class IdempotencyStore:
    """Claims a key before the work, and stores the answer with the work's own writes.

    A claim whose holder died (no answer within ``lease``) may be taken over by a retry; the
    upstream references derived from the key make the retried work land only once.
    """

    def __init__(self, engine: Engine, lease: timedelta = timedelta(seconds=60)) -> None:
        self._engine = engine
        self._lease = lease

    def claim(self, caller: str, key: str, request_hash: str) -> Claim:
        """PROCEED (the key is ours now), REPLAY (with the stored answer), or a conflict."""
        now = utc_now()
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(records).values(
                        caller=caller, key=key, request_hash=request_hash, state="in_progress",
                        locked_until=now + self._lease, created_at=now,
                    )
                )  # fmt: skip
            return Claim(Outcome.PROCEED)
        except IntegrityError:
            return self._existing(caller, key, request_hash, now)

    def _existing(self, caller: str, key: str, request_hash: str, now: datetime) -> Claim:
        with self._engine.begin() as connection:
            row = connection.execute(
                select(records).where(records.c.caller == caller, records.c.key == key)
            ).first()
            if row is None:  # released between our insert and this read: try again
                return self.claim(caller, key, request_hash)
            if row.request_hash != request_hash:
                return Claim(Outcome.KEY_REUSED)
            if row.state == "completed":
                headers = json.loads(row.response_headers) or {}
                return Claim(Outcome.REPLAY, row.status_code, row.response_body, headers)
            locked_until = as_utc(row.locked_until)
            if locked_until is not None and locked_until > now:
                return Claim(Outcome.IN_PROGRESS)
            taken = connection.execute(
                update(records)
                .where(records.c.caller == caller, records.c.key == key)
                .where(records.c.locked_until == row.locked_until)
                .values(locked_until=now + self._lease)
            ).rowcount
            if taken != 1:
                return Claim(Outcome.IN_PROGRESS)
            return Claim(Outcome.PROCEED, plan_id=row.plan_id)

    def completion(
        self, caller: str, key: str, status_code: int, body: str, headers: dict[str, str]
    ) -> Any:
        """A write that stores the answer; run it in the unit of work's transaction."""

        def write(connection: Connection) -> None:
            connection.execute(
                update(records)
                .where(records.c.caller == caller, records.c.key == key)
                .values(
                    state="completed", status_code=status_code, response_body=body,
                    response_headers=json.dumps(headers), completed_at=utc_now(),
                )
            )  # fmt: skip

        return write

    def unlock(self, caller: str, key: str) -> None:
        """Let the next retry look again at once (its plan is still running elsewhere)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(records)
                .where(records.c.caller == caller, records.c.key == key)
                .where(records.c.state == "in_progress")
                .values(locked_until=utc_now())
            )

    def release(self, caller: str, key: str) -> None:
        """Forget an unfinished claim (the work failed), so the caller may retry."""
        with self._engine.begin() as connection:
            connection.execute(
                delete(records).where(
                    records.c.caller == caller,
                    records.c.key == key,
                    records.c.state == "in_progress",
                )
            )
