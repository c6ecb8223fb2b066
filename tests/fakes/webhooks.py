"""The DeliveryTarget port in memory: answers as told, remembers every attempt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gateway.domain.credentials import Secret
from gateway.domain.webhooks import Attempt, FeedEvent, Outcome, attempt_for_status


@dataclass
class FakeTarget:
    """``status`` is what the target answers now; None: nobody listens (connection refused)."""

    status: int | None = 204
    attempts: list[tuple[str, FeedEvent, int]] = field(default_factory=list)

    def deliver(self, url: str, event: FeedEvent, secrets: Sequence[Secret]) -> Attempt:
        self.attempts.append((url, event, len(secrets)))
        if self.status is None:
            return Attempt(Outcome.FAILED, error="ConnectionRefusedError")
        return attempt_for_status(self.status)
