"""An in-memory unit of work for unit tests of use cases."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
    ) -> None:
        self.entries.append(
            {"actor": actor, "action": action, "target_type": target_type,
             "target_id": target_id, "before": before, "after": after}
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
    ) -> None:
        if dedupe_key and any(e["dedupe_key"] == dedupe_key for e in self.events):
            return
        self.events.append(
            {"type": event_type, "aggregate_id": aggregate_id, "payload": dict(payload),
             "owner_id": owner_id, "dedupe_key": dedupe_key}
        )  # fmt: skip


@dataclass
class FakeOutbox:
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def enqueue(self, kind: str, payload: Mapping[str, Any]) -> None:
        self.entries.append((kind, dict(payload)))


@dataclass
class FakeUnitOfWork:
    audit: FakeAuditLog = field(default_factory=FakeAuditLog)
    events: FakeEventLog = field(default_factory=FakeEventLog)
    outbox: FakeOutbox = field(default_factory=FakeOutbox)
    correlation_id: str | None = "test-correlation"
    commits: int = 0

    def commit(self) -> None:
        self.commits += 1
