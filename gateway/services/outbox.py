"""Draining the outbox: run each due entry; a failure is retried later, with backoff.

An entry that ran (or ended in conflict) is completed in the same transaction as its audit
entry and event, under the original request's correlation id; a plan whose last queued
compensation ran ends there too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from gateway.services.compensations import CompensationConflict, run_compensation
from gateway.services.plan_records import (
    OUTBOX_ACTOR,
    record_conflict,
    record_outbox_compensation,
)
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(minutes=5)


class OutboxQueue(Protocol):
    def claim_due(self, now: datetime, limit: int = 50) -> Any: ...
    def completion(self, entry_id: int, state: str = "done", error: str | None = None) -> Any: ...
    def retry_later(self, entry: Any, error: str, at: datetime) -> None: ...


class PlanSettling(Protocol):
    def settling(self, plan_id: str) -> Callable[[Any], None]: ...


Runner = Callable[[Any], None]
"""Runs one entry and completes it (or raises: not now)."""


def drain(queue: OutboxQueue, run: Runner, now: datetime) -> tuple[int, int]:
    """One pass over the due entries; returns (done, failed)."""
    done = failed = 0
    for entry in queue.claim_due(now):
        try:
            run(entry)
        except Exception as error:  # any failure means "not now": the entry stays pending
            failed += 1
            log.warning("outbox entry %s (%s) failed: %s", entry.id, entry.kind, error)
            queue.retry_later(
                entry, f"{type(error).__name__}: {error}", now + backoff(entry.attempts)
            )
            continue
        done += 1
    return done, failed


def compensation_runner(
    queue: OutboxQueue,
    plans: PlanSettling,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
    new_uow: Callable[[str | None], UnitOfWork],
) -> Runner:
    """Run an entry's compensation; record it and complete the entry in one transaction."""

    def run(entry: Any) -> None:
        uow = new_uow(entry.correlation_id)
        try:
            changed = run_compensation(entry.kind, entry.payload, inventory, work_orders)
        except CompensationConflict as conflict:
            released = {"reservationId": conflict.reservation_id,
                        **dict(entry.payload.get("request") or {})}  # fmt: skip
            record_conflict(uow, OUTBOX_ACTOR, released, conflict.detail, entry.plan_id)
            uow.also_in_transaction(queue.completion(entry.id, "conflict", conflict.detail))
        else:
            record_outbox_compensation(uow, entry.kind, entry.payload, changed, entry.owner_id)
            uow.also_in_transaction(queue.completion(entry.id))
        if entry.plan_id is not None:
            uow.also_in_transaction(plans.settling(entry.plan_id))
        uow.commit()

    return run


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at five minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 12)), MAX_BACKOFF)
