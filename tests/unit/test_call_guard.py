from __future__ import annotations

import threading

import pytest

from adapters.call_guard import CLOSED, HALF_OPEN, OPEN, Breaker, CallGuard
from gateway.domain.errors import ItemNotFound, UpstreamTimeout, UpstreamUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def failing() -> None:
    raise UpstreamUnavailable("inventory", "HTTP 503")


def test_breaker_opens_after_fail_max_outages_and_lets_one_trial_through_later() -> None:
    clock, states = Clock(), []
    breaker = Breaker(fail_max=3, reset_timeout=30, on_change=states.append, clock=clock)
    for _ in range(3):
        assert breaker.admit()
        breaker.failed()
    assert breaker.state == OPEN and not breaker.admit()
    clock.now += 30
    assert breaker.admit() and breaker.state == HALF_OPEN
    assert not breaker.admit()  # only one trial at a time
    breaker.succeeded()
    assert breaker.state == CLOSED and breaker.admit()
    assert states == [OPEN, HALF_OPEN, CLOSED]


def test_a_failed_trial_opens_the_breaker_again() -> None:
    clock = Clock()
    breaker = Breaker(fail_max=1, reset_timeout=5, on_change=lambda _: None, clock=clock)
    breaker.failed()
    clock.now += 5
    assert breaker.admit()
    breaker.failed()
    assert breaker.state == OPEN and not breaker.admit()


def test_guard_fails_fast_without_calling_once_open() -> None:
    guard = CallGuard("inventory", fail_max=2, reset_timeout=60)
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable):
            guard("GetItem", failing)
    calls = []
    with pytest.raises(UpstreamUnavailable, match="circuit open"):
        guard("GetItem", lambda: calls.append(1))
    assert calls == []


def test_answers_do_not_count_as_outages_and_timeouts_do() -> None:
    guard = CallGuard("inventory", fail_max=2, reset_timeout=60)

    def not_found() -> None:
        raise ItemNotFound()

    def timeout() -> None:
        raise UpstreamTimeout("inventory")

    for _ in range(5):
        with pytest.raises(ItemNotFound):
            guard("GetItem", not_found)
    assert guard.state == CLOSED
    for _ in range(2):
        with pytest.raises(UpstreamTimeout):
            guard("GetItem", timeout)
    assert guard.state == OPEN


def test_calls_through_one_guard_run_side_by_side() -> None:
    guard = CallGuard("inventory")
    first_inside, release_first = threading.Event(), threading.Event()

    def slow() -> str:
        first_inside.set()
        assert release_first.wait(5)
        return "slow"

    worker = threading.Thread(target=lambda: guard("GetItem", slow))
    worker.start()
    assert first_inside.wait(5)
    assert guard("GetItem", lambda: "fast") == "fast"  # not queued behind the slow call
    release_first.set()
    worker.join(5)
