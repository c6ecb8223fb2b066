"""Failed logins throttled per legacy client and per source address, across processes.

The counting is `limits`' fixed window over a shared storage: Redis when
``GATEWAY_RATE_LIMIT_URL`` names one, else the gateway's database. A spent client or address is
refused before any password is hashed, so the throttled attempts cost nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter

from gateway.domain.errors import Throttled, Unauthenticated
from gateway.domain.legacy_clients import NAME_PATTERN

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class ThrottlePolicy:
    """So many failures per window, for one client name and for one source address."""

    client_failures: int = 10
    address_failures: int = 50
    window_seconds: int = 300


class LoginThrottle:
    """Runs a login unless its client or address failed too often lately; counts its failure."""

    def __init__(
        self, storage: Storage, policy: ThrottlePolicy, clock: Callable[[], float] = time.time
    ) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._clock = clock
        self._client = RateLimitItemPerSecond(policy.client_failures, policy.window_seconds)
        self._address = RateLimitItemPerSecond(policy.address_failures, policy.window_seconds)

    def attempt(self, name: str, address: str, login: Callable[[], T]) -> T:
        """``login()``'s result; Throttled (429) without calling it when a limit is spent."""
        limits = self._limits_for(name, address)
        for item, key in limits:
            if not self._limiter.test(item, *key):
                log.warning("legacy login throttled: %s", key[0])
                raise Throttled(retry_after=self._retry_after(item, key))
        try:
            return login()
        except Unauthenticated:
            for item, key in limits:
                self._limiter.hit(item, *key)
            raise

    def _limits_for(self, name: str, address: str) -> list[tuple[RateLimitItem, tuple[str, str]]]:
        # a name no client can have is counted only against its address: no row per junk name
        by_address = (self._address, ("address", address or "unknown"))
        if not NAME_PATTERN.fullmatch(name):
            return [by_address]
        return [(self._client, ("client", name)), by_address]

    def _retry_after(self, item: RateLimitItem, key: tuple[str, str]) -> int:
        reset = self._limiter.get_window_stats(item, *key).reset_time
        return max(1, math.ceil(reset - self._clock()))
