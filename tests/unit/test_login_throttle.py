"""Failed logins are counted per client name and per source address; past the limit the login
is refused (Throttled, with a Retry-After) before it runs. Argon2 runs under a concurrency cap."""

from __future__ import annotations

import threading

import pytest
from limits.storage import MemoryStorage

from gateway.auth.passwords import HashCost, PasswordHashing
from gateway.auth.throttle import LoginThrottle, ThrottlePolicy
from gateway.domain.errors import Throttled, Unauthenticated

POLICY = ThrottlePolicy(client_failures=3, address_failures=5, window_seconds=60)


class Logins:
    """Counts the logins the throttle let through."""

    def __init__(self) -> None:
        self.runs = 0

    def wrong(self) -> str:
        self.runs += 1
        raise Unauthenticated("Unknown client or wrong credentials")

    def right(self) -> str:
        self.runs += 1
        return "principal"


def fail(throttle: LoginThrottle, logins: Logins, name: str, address: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            throttle.attempt(name, address, logins.wrong)


@pytest.fixture
def throttle() -> LoginThrottle:
    return LoginThrottle(MemoryStorage(), POLICY)


def test_a_client_past_its_failures_is_throttled_without_running_the_login(
    throttle: LoginThrottle,
) -> None:
    logins = Logins()
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # one name, from anywhere
        fail(throttle, logins, "mes-a", address, 1)
    with pytest.raises(Throttled) as refused:
        throttle.attempt("mes-a", "10.0.0.9", logins.right)  # even the right password waits
    assert logins.runs == 3
    assert refused.value.code == "auth.throttled"
    assert 1 <= refused.value.retry_after <= 60


def test_an_address_past_its_failures_is_throttled_for_every_name(
    throttle: LoginThrottle,
) -> None:
    logins = Logins()
    for index in range(5):
        fail(throttle, logins, f"guess-{index}", "10.0.0.1", 1)
    with pytest.raises(Throttled):
        throttle.attempt("mes-b", "10.0.0.1", logins.right)
    assert throttle.attempt("mes-b", "10.0.0.2", logins.right) == "principal"


def test_successful_logins_are_not_counted(throttle: LoginThrottle) -> None:
    logins = Logins()
    for _ in range(10):
        assert throttle.attempt("mes-c", "10.0.0.1", logins.right) == "principal"
    assert logins.runs == 10


def test_a_name_no_client_can_have_counts_only_against_its_address(
    throttle: LoginThrottle,
) -> None:
    logins = Logins()
    fail(throttle, logins, "not a name!", "10.0.0.1", 3)
    assert throttle.attempt("not a name!", "10.0.0.2", logins.right) == "principal"


CHEAP = HashCost(memory_kib=8, time_cost=1, parallelism=1, max_concurrent=2, wait_seconds=30)


class HeldHasher:
    """Stands in for argon2: each hash waits for ``release``, and the most at once is kept."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()
        self.entered = threading.Semaphore(0)

    def verify(self, *_: str) -> bool:
        with self._lock:
            self.active += 1
            self.most = max(self.most, self.active)
        self.entered.release()
        self.release.wait(timeout=30)
        with self._lock:
            self.active -= 1
        return False


def hold(hashing: PasswordHashing) -> HeldHasher:
    held = HeldHasher()
    hashing._hasher = held  # type: ignore[assignment]
    return held


def test_no_more_hashes_run_at_once_than_the_cap() -> None:
    hashing = PasswordHashing(CHEAP)
    held = hold(hashing)
    threads: list[threading.Thread] = []
    for _ in range(CHEAP.max_concurrent + 3):  # K + 3 logins at once
        thread = threading.Thread(target=hashing.matches, args=("$argon2id$x", "wrong"))
        thread.start()
        threads.append(thread)
    for _ in range(CHEAP.max_concurrent):
        assert held.entered.acquire(timeout=30)  # the cap's worth got in
    held.release.set()
    for thread in threads:
        thread.join(timeout=30)
    assert held.most == CHEAP.max_concurrent


def test_a_login_finding_no_free_slot_in_time_is_throttled() -> None:
    hashing = PasswordHashing(HashCost(memory_kib=8, time_cost=1, parallelism=1,
                                       max_concurrent=1, wait_seconds=0.05))  # fmt: skip
    held = hold(hashing)
    first = threading.Thread(target=hashing.matches, args=("$argon2id$x", "wrong"))
    first.start()
    assert held.entered.acquire(timeout=30)
    with pytest.raises(Throttled) as refused:
        hashing.matches("$argon2id$x", "wrong")
    assert refused.value.retry_after == 1
    held.release.set()
    first.join(timeout=30)


def test_the_real_hash_still_verifies_under_the_cap() -> None:
    hashing = PasswordHashing(CHEAP)
    stored = hashing.hash("correct-horse-battery")
    assert "m=8," in stored
    assert hashing.matches(stored, "correct-horse-battery")
    assert not hashing.matches(stored, "wrong")
