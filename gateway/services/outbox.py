"""Draining the outbox: run each due entry; a failure is retried later, with backoff."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=5)


class OutboxQueue(Protocol):
    def claim_due(self, now: datetime, limit: int = 50) -> Any: ...
    def complete(self, entry_id: int) -> None: ...
    def retry_later(self, entry: Any, error: str, at: datetime) -> None: ...


Runner = Callable[[str, Mapping[str, Any]], None]


def drain(queue: OutboxQueue, run: Runner, now: datetime) -> tuple[int, int]:
    """One pass over the due entries; returns (done, failed)."""
    done = failed = 0
    for entry in queue.claim_due(now):
        try:
            run(entry.kind, entry.payload)
        except Exception as error:  # any failure means "not now": the entry stays pending
            failed += 1
            log.warning("outbox entry %s (%s) failed: %s", entry.id, entry.kind, error)
            queue.retry_later(
                entry, f"{type(error).__name__}: {error}", now + backoff(entry.attempts)
            )
            continue
        queue.complete(entry.id)
        done += 1
    return done, failed


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at five minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 12)), MAX_BACKOFF)
