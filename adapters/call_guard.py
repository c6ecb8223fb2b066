"""Every upstream call passes one guard per upstream: circuit breaker, latency and errors.

An upstream that keeps failing opens its breaker: calls are refused at once with
``upstream.unavailable`` instead of tying up workers, until a trial call succeeds.
Only transient failures count; a "not found" or a legacy fault is an answer, not an outage.

The breaker's lock guards its state only, never a call in flight: calls to one upstream run
side by side (pybreaker holds its lock for the whole call, which serialises them).

The guard wraps every attempt, inside the retries. After ``BREAKER_FAIL_MAX`` transient failures
in a row (connection refused or dropped, timeout, 5xx) the breaker opens for
``BREAKER_RESET_SECONDS``; then one trial call (half-open) closes or reopens it. The state lives
in the process: another process's breaker learns on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from gateway.domain.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable

T = TypeVar("T")
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CallObserver(Protocol):
    def observed(self, upstream: str, operation: str, seconds: float, code: str | None) -> None:
        """One finished call attempt: how long, and the error code if it failed."""

    def breaker_state(self, upstream: str, state: str) -> None:
        """The breaker of ``upstream`` is now ``state`` (closed, open, half-open)."""


class _Quiet:
    def observed(self, upstream: str, operation: str, seconds: float, code: str | None) -> None:
        return None

    def breaker_state(self, upstream: str, state: str) -> None:
        return None


class Breaker:
    """Closed → open after ``fail_max`` outages in a row → one trial after ``reset_timeout``."""

    def __init__(
        self,
        fail_max: int,
        reset_timeout: float,
        on_change: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fail_max = fail_max
        self._reset_timeout = reset_timeout
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self.state = CLOSED
        self._failures = 0
        self._opened_at = 0.0

    def admit(self) -> bool:
        """Whether a call may go out now (in half-open state: only the one trial)."""
        with self._lock:
            if self.state == CLOSED:
                return True
            if self.state == OPEN and self._clock() - self._opened_at >= self._reset_timeout:
                self._set(HALF_OPEN)
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0
            if self.state != CLOSED:
                self._set(CLOSED)

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self.state == HALF_OPEN or self._failures >= self._fail_max:
                self._opened_at = self._clock()
                if self.state != OPEN:
                    self._set(OPEN)

    def _set(self, state: str) -> None:
        self.state = state
        self._on_change(state)


class CallGuard:
    """Breaker plus measurements around one attempt of one upstream call."""

    def __init__(
        self,
        upstream: str,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        observer: CallObserver | None = None,
    ) -> None:
        self.upstream = upstream
        self._observer = observer or _Quiet()
        self.breaker = Breaker(
            fail_max, reset_timeout, lambda state: self._observer.breaker_state(upstream, state)
        )
        self._observer.breaker_state(upstream, CLOSED)

    def __call__(self, operation: str, attempt: Callable[[], T]) -> T:
        if not self.breaker.admit():
            self._observer.observed(self.upstream, operation, 0.0, UpstreamUnavailable.code)
            raise UpstreamUnavailable(self.upstream, "circuit open: failing fast")
        started = time.perf_counter()
        code: str | None = None
        try:
            result = attempt()
        except GatewayError as error:
            code = error.code
            if isinstance(error, UpstreamUnavailable | UpstreamTimeout):
                self.breaker.failed()
            else:
                self.breaker.succeeded()  # an answer, even an unwelcome one
            raise
        except Exception:
            self.breaker.succeeded()  # our bug, not an outage; never leave a trial hanging
            raise
        finally:
            self._observer.observed(self.upstream, operation, time.perf_counter() - started, code)
        self.breaker.succeeded()
        return result

    @property
    def state(self) -> str:
        return self.breaker.state
