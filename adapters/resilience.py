"""Retry policy for upstream calls: only idempotent calls, only on transient failures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from gateway.domain.errors import UpstreamTimeout, UpstreamUnavailable

T = TypeVar("T")

TRANSIENT = (UpstreamUnavailable, UpstreamTimeout)
"""Connection errors, timeouts and 5xx: the adapters raise these and nothing else for them."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, capped; a non-idempotent call runs exactly once."""

    attempts: int = 3
    initial_wait: float = 0.1
    max_wait: float = 2.0

    def call(self, operation: Callable[[], T], *, idempotent: bool) -> T:
        """Run ``operation``, retrying transient failures only when it is safe to repeat."""
        if not idempotent or self.attempts <= 1:
            return operation()
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=wait_exponential_jitter(multiplier=self.initial_wait, max=self.max_wait),
            retry=retry_if_exception_type(TRANSIENT),
            reraise=True,
        )
        return retrying(operation)
