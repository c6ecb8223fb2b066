"""An in-memory unit of work for unit tests of use cases."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.write_plan import WritePlan


@dataclass
class FakeAuditLog:
    entries: list[dict[str, Any]] = field(default_factory=list)

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
        self.entries.append(
            {"actor": actor, "action": action, "target_type": target_type,
             "target_id": target_id, "before": before, "after": after, "owner_id": owner_id}
        )  # fmt: skip


@dataclass
class FakeEventLog:
    events: list[dict[str, Any]] = field(default_factory=list)

    def publish(
        self,
        event_type: str,
        aggregate_id: str,
        payload: Mapping[str, Any],
        owner_id: str | None = None,
        dedupe_key: str | None = None,
        origin: str = "gateway",
    ) -> None:
        if dedupe_key and any(e["dedupe_key"] == dedupe_key for e in self.events):
            return
        self.events.append(
            {"type": event_type, "aggregate_id": aggregate_id, "payload": dict(payload),
             "owner_id": owner_id, "dedupe_key": dedupe_key, "origin": origin}
        )  # fmt: skip


@dataclass
class FakeOutbox:
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    conflicts: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        plan_id: str | None = None,
        conflict: str | None = None,
        owner_id: str | None = None,
    ) -> None:
        if conflict is not None:
            self.conflicts.append((kind, dict(payload), conflict))
        else:
            self.entries.append((kind, dict(payload)))


@dataclass
class FakePlanJournal:
    """Plans and work-order locks in memory: every saved version is kept."""

    saved: list[WritePlan] = field(default_factory=list)
    finished: list[WritePlan] = field(default_factory=list)
    locks: dict[str, str] = field(default_factory=dict)

    def begin(self, plan: WritePlan, idempotency: tuple[str, str] | None = None) -> None:
        self.saved.append(plan)

    def save(self, plan: WritePlan) -> None:
        self.saved.append(plan)

    def finishing(self, plan: WritePlan) -> Callable[[Any], None]:
        def write(_: Any) -> None:
            self.finished.append(plan)
            self.locks = {k: v for k, v in self.locks.items() if v != plan.id}

        return write

    def lock_work_order(self, work_order_id: str, holder: str) -> bool:
        if self.locks.get(work_order_id, holder) != holder:
            return False
        self.locks[work_order_id] = holder
        return True

    def unlock_work_order(self, work_order_id: str, holder: str) -> None:
        if self.locks.get(work_order_id) == holder:
            del self.locks[work_order_id]


@dataclass
class FakeUnitOfWork:
    audit: FakeAuditLog = field(default_factory=FakeAuditLog)
    events: FakeEventLog = field(default_factory=FakeEventLog)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    correlation_id: str | None = "test-correlation"
    plans: FakePlanJournal = field(default_factory=FakePlanJournal)
    request_key: tuple[str, str] | None = None
    ended_plans: list[WritePlan] = field(default_factory=list)
    also: list[Callable[[Any], None]] = field(default_factory=list)
    commits: int = 0

    def also_in_transaction(self, write: Callable[[Any], None]) -> None:
        self.also.append(write)

    def commit(self) -> None:
        for write in self.also:
            write(None)
        self.also.clear()
        self.commits += 1
