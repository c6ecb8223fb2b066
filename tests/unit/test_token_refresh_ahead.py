"""Upstream tokens are replaced ahead of expiry by one caller, without failing anyone
(Azure's endpoints mocked with `responses`, no sockets; a hand-moved clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
import requests
import responses

from adapters.azure_tokens import AzureTokenProvider, HeldToken
from gateway.domain.errors import UpstreamUnavailable
from tests.unit.test_azure_tokens import (
    AUTHORITY,
    DISCOVERY,
    NO_WAIT,
    SCOPE,
    SECRET,
    TOKEN_URL,
    token_answer,
    token_posts,
)

LIFETIME = 3600
MARGIN = 300


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, DISCOVERY, json={
            "issuer": f"{AUTHORITY}/v2.0",
            "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
            "token_endpoint": TOKEN_URL,
        })  # fmt: skip
        rsps.add(responses.POST, TOKEN_URL, json=token_answer("first"))
        yield rsps


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def provider(clock: Clock) -> AzureTokenProvider:
    return AzureTokenProvider(
        AUTHORITY, "client-1", SECRET, requests.Session(), retry=NO_WAIT,
        refresh_margin=MARGIN, clock=clock,
    )  # fmt: skip


@pytest.fixture
def first(provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock) -> str:
    token = provider.token_for(SCOPE)
    mocked.replace(responses.POST, TOKEN_URL, json=token_answer("second"))
    return token


def test_the_token_is_kept_until_the_margin_and_replaced_within_it(
    provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock, first: str
) -> None:
    clock.now += LIFETIME - MARGIN - 1
    assert provider.token_for(SCOPE) == "first"
    assert token_posts(mocked) == 1

    clock.now += 2  # less than the margin remains; MSAL's cache would still answer "first"
    assert provider.token_for(SCOPE) == "second"
    assert provider.token_for(SCOPE) == "second"
    assert token_posts(mocked) == 2


def test_one_caller_refreshes_while_the_others_use_the_valid_token(
    provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock, first: str
) -> None:
    in_flight, release = threading.Event(), threading.Event()

    def slow_token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        in_flight.set()
        release.wait(timeout=60)
        return 200, {}, '{"token_type":"Bearer","expires_in":3600,"access_token":"second"}'

    mocked.remove(responses.POST, TOKEN_URL)
    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    clock.now += LIFETIME - MARGIN + 1
    refreshed: list[str] = []
    refresher = threading.Thread(target=lambda: refreshed.append(provider.token_for(SCOPE)))
    refresher.start()
    assert in_flight.wait(timeout=60)

    others: list[str] = []
    callers = [
        threading.Thread(target=lambda: others.append(provider.token_for(SCOPE))) for _ in range(8)
    ]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=60)
    answered_while_fetching = list(others)
    release.set()
    refresher.join(timeout=60)

    assert answered_while_fetching == ["first"] * 8
    assert refreshed == ["second"]
    assert token_posts(mocked) == 2  # the first token, and one refresh


def test_a_failed_early_refresh_keeps_the_valid_token_and_warns(
    provider: AzureTokenProvider,
    mocked: responses.RequestsMock,
    clock: Clock,
    first: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
    clock.now += LIFETIME - MARGIN + 1

    with caplog.at_level(logging.WARNING, logger="adapters.azure_tokens"):
        assert provider.token_for(SCOPE) == "first"
    posts_after_failure = token_posts(mocked)
    clock.now += 10  # within the retry pause: no new attempt
    assert provider.token_for(SCOPE) == "first"

    assert posts_after_failure == 1 + NO_WAIT.attempts
    assert token_posts(mocked) == posts_after_failure
    assert any("early token refresh" in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text

    mocked.replace(responses.POST, TOKEN_URL, json=token_answer("second"))
    clock.now += 30
    assert provider.token_for(SCOPE) == "second"


def test_a_token_about_to_expire_is_not_handed_out_when_the_refresh_fails(
    provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock, first: str
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, body=requests.ConnectionError("refused"))
    clock.now += LIFETIME - 59  # under a minute left: it could lapse on the way

    with pytest.raises(UpstreamUnavailable):
        provider.token_for(SCOPE)


def test_a_short_lived_token_is_refreshed_at_half_its_lifetime(
    provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, json={**token_answer("short"), "expires_in": 400})
    provider.token_for(SCOPE)
    mocked.replace(responses.POST, TOKEN_URL, json=token_answer("second"))

    clock.now += 199
    assert provider.token_for(SCOPE) == "short"
    clock.now += 2
    assert provider.token_for(SCOPE) == "second"


@pytest.mark.parametrize(("lifetime", "margin"), [(6, 300), (100, 300), (3600, 10), (3600, 300)])
def test_a_token_is_refreshed_before_it_stops_being_handed_out_and_that_before_expiry(
    lifetime: float, margin: float
) -> None:
    held = HeldToken.lasting("t", lifetime, now=0.0, margin=margin)

    assert 0 < held.refresh_at <= held.usable_until < lifetime
    assert held.refresh_at >= lifetime / 2


def test_a_token_past_the_time_it_is_handed_out_is_fetched_again_even_if_short_lived(
    provider: AzureTokenProvider, mocked: responses.RequestsMock, clock: Clock
) -> None:
    mocked.replace(responses.POST, TOKEN_URL, json={**token_answer("short"), "expires_in": 8})
    provider.token_for(SCOPE)
    mocked.replace(responses.POST, TOKEN_URL, json=token_answer("second"))

    clock.now += 6.5  # 1.5 s left: under a quarter of its lifetime
    assert provider.token_for(SCOPE) == "second"
