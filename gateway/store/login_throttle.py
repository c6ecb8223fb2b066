"""A `limits` storage on the gateway's own database, so that gateway processes sharing it count
failed logins together without another server (Redis is used instead when configured)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from limits.storage import Storage
from sqlalchemy import Engine, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from gateway.store.tables import login_throttle as counters


class DatabaseThrottleStorage(Storage):
    """Fixed-window counters in ``login_throttle``: one atomic upsert a hit (PostgreSQL and
    SQLite alike), so concurrent processes never lose one; windows past their end are purged."""

    STORAGE_SCHEME = None  # built by the gateway, not from a URL

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._engine = engine
        self._clock = clock

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count ``amount`` hits on ``key``; a window that ended starts again, ``expiry`` long."""
        now = self._clock()
        upsert = _insert_for(self._engine)(counters).values(
            key=key, hits=amount, expires_at=now + expiry
        )
        ended = counters.c.expires_at <= now
        upsert = upsert.on_conflict_do_update(
            index_elements=[counters.c.key],
            set_={
                "hits": case((ended, upsert.excluded.hits), else_=counters.c.hits + amount),
                "expires_at": case(
                    (ended, upsert.excluded.expires_at), else_=counters.c.expires_at
                ),
            },
        ).returning(counters.c.hits)
        with self._engine.begin() as connection:
            connection.execute(delete(counters).where(counters.c.expires_at < now))
            return int(connection.execute(upsert).scalar_one())

    def get(self, key: str) -> int:
        query = select(counters.c.hits).where(
            counters.c.key == key, counters.c.expires_at > self._clock()
        )
        with self._engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def get_expiry(self, key: str) -> float:
        query = select(counters.c.expires_at).where(counters.c.key == key)
        with self._engine.connect() as connection:
            found = connection.execute(query).scalar()
        return float(found) if found is not None else self._clock()

    def check(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.execute(select(func.count()).select_from(counters))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine.begin() as connection:
            return int(connection.execute(delete(counters)).rowcount)

    def clear(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(counters).where(counters.c.key == key))


def _insert_for(engine: Engine) -> Any:
    """The dialect's INSERT, which has ON CONFLICT DO UPDATE (PostgreSQL ≥ 9.5, SQLite ≥ 3.24)."""
    return postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
