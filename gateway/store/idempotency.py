"""Idempotency records (SPEC §8): one per caller and ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

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


# Built once: each call only binds its values (SQLAlchemy then finds the compiled form in its
# cache without rebuilding and hashing a statement tree per request).
_THIS_KEY = (records.c.caller == bindparam("w_caller"), records.c.key == bindparam("w_key"))
_CLAIM = {
    # A key already there is no error (an aborted statement would end a PostgreSQL
    # transaction): the row count tells (kept for an INSERT only when asked), and the same
    # transaction reads the existing record.
    name: dialect.insert(records).on_conflict_do_nothing().execution_options(preserve_rowcount=True)
    for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))
}
_READ = select(records).where(*_THIS_KEY)
_TAKE_OVER = update(records).where(*_THIS_KEY, records.c.locked_until == bindparam("w_until"))
_COMPLETE = update(records).where(*_THIS_KEY)
_UNLOCK = update(records).where(*_THIS_KEY, records.c.state == "in_progress")
_RELEASE = delete(records).where(*_THIS_KEY, records.c.state == "in_progress")

Write = Callable[[Connection], None]
"""A write for the unit of work's transaction (``SqlUnitOfWork.also_in_transaction``)."""


class IdempotencyStore:
    """Claims a key before the work, and stores (or frees) it with the work's own writes.

    A claim whose holder died (no answer within ``lease``) may be taken over by a retry; the
    upstream references derived from the key make the retried work land only once.
    """

    def __init__(self, engine: Engine, lease: timedelta = timedelta(seconds=60)) -> None:
        self._engine = engine
        self._lease = lease
        self._claim = _CLAIM[engine.dialect.name]

    def claim(self, caller: str, key: str, request_hash: str) -> Claim:
        """PROCEED (the key is ours now), REPLAY (with the stored answer), or a conflict.

        One transaction, committed before the work starts: a concurrent request with the
        same key must see the claim while the work runs upstream.
        """
        now = utc_now()
        while True:
            with self._engine.begin() as connection:
                inserted = connection.execute(
                    self._claim,
                    {"caller": caller, "key": key, "request_hash": request_hash,
                     "state": "in_progress", "locked_until": now + self._lease, "created_at": now},
                ).rowcount  # fmt: skip
                if inserted == 1:
                    return Claim(Outcome.PROCEED)
                claim = self._existing(connection, caller, key, request_hash, now)
            if claim is not None:
                return claim
            # released between our insert and our read (PostgreSQL): try again

    def _existing(
        self, connection: Connection, caller: str, key: str, request_hash: str, now: datetime
    ) -> Claim | None:
        row = connection.execute(_READ, {"w_caller": caller, "w_key": key}).first()
        if row is None:
            return None
        if row.request_hash != request_hash:
            return Claim(Outcome.KEY_REUSED)
        if row.state == "completed":
            headers = json.loads(row.response_headers) or {}
            return Claim(Outcome.REPLAY, row.status_code, row.response_body, headers)
        locked_until = as_utc(row.locked_until)
        if locked_until is not None and locked_until > now:
            return Claim(Outcome.IN_PROGRESS)
        taken = connection.execute(
            _TAKE_OVER,
            {"w_caller": caller, "w_key": key, "w_until": row.locked_until,
             "locked_until": now + self._lease},
        ).rowcount  # fmt: skip
        if taken != 1:
            return Claim(Outcome.IN_PROGRESS)
        return Claim(Outcome.PROCEED, plan_id=row.plan_id)

    def completion(
        self, caller: str, key: str, status_code: int, body: str, headers: dict[str, str]
    ) -> Write:
        """A write that stores the answer; run it in the unit of work's transaction."""
        values = {"w_caller": caller, "w_key": key, "state": "completed",
                  "status_code": status_code, "response_body": body,
                  "response_headers": json.dumps(headers)}  # fmt: skip

        def write(connection: Connection) -> None:
            connection.execute(_COMPLETE, {**values, "completed_at": utc_now()})

        return write

    def releasing(self, caller: str, key: str) -> Write:
        """A write that forgets an unfinished claim (the work failed), so the caller may
        retry; in the unit of work's transaction, it frees the key exactly when the failed
        request's audit entries and plan end commit."""

        def write(connection: Connection) -> None:
            connection.execute(_RELEASE, {"w_caller": caller, "w_key": key})

        return write

    def unlocking(self, caller: str, key: str) -> Write:
        """A write that lets the next retry look again at once (its plan waits elsewhere)."""

        def write(connection: Connection) -> None:
            unlocked = {"w_caller": caller, "w_key": key, "locked_until": utc_now()}
            connection.execute(_UNLOCK, unlocked)

        return write

    def unlock(self, caller: str, key: str) -> None:
        """Let the next retry look again at once (its plan is still running elsewhere)."""
        with self._engine.begin() as connection:
            self.unlocking(caller, key)(connection)

    def release(self, caller: str, key: str) -> None:
        """Forget an unfinished claim (the work failed), so the caller may retry."""
        with self._engine.begin() as connection:
            self.releasing(caller, key)(connection)
