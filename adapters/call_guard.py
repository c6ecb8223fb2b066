"""Every upstream call passes one guard per upstream: circuit breaker, latency and errors.

An upstream that keeps failing opens its breaker: calls are refused at once with
``upstream.unavailable`` instead of tying up workers, until a trial call succeeds.
Only transient failures count; a "not found" or a legacy fault is an answer, not an outage.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import pybreaker

from gateway.domain.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable

T = TypeVar("T")


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


class _StateReporter(pybreaker.CircuitBreakerListener):
    def __init__(self, upstream: str, observer: CallObserver) -> None:
        self._upstream = upstream
        self._observer = observer

    def state_change(self, cb: pybreaker.CircuitBreaker, old: object, new: object) -> None:
        self._observer.breaker_state(self._upstream, str(getattr(new, "name", new)))


def _not_an_outage(error: BaseException) -> bool:
    return not isinstance(error, UpstreamUnavailable | UpstreamTimeout)


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
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=[_not_an_outage],
            listeners=[_StateReporter(upstream, self._observer)],
            name=upstream,
        )
        self._observer.breaker_state(upstream, "closed")

    def __call__(self, operation: str, attempt: Callable[[], T]) -> T:
        started = time.perf_counter()
        code: str | None = None
        try:
            return self.breaker.call(attempt)
        except pybreaker.CircuitBreakerError:
            code = UpstreamUnavailable.code
            raise UpstreamUnavailable(self.upstream, "circuit open: failing fast") from None
        except GatewayError as error:
            code = error.code
            raise
        finally:
            self._observer.observed(self.upstream, operation, time.perf_counter() - started, code)

    @property
    def state(self) -> str:
        return str(self.breaker.current_state)
