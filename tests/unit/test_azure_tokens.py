"""AzureTokenProvider against Azure's endpoints mocked with `responses` (no sockets)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from adapters.azure_tokens import AzureTokenProvider, TokenRetry
from gateway.domain.errors import UpstreamFault, UpstreamUnavailable

AUTHORITY = "https://login.example.test/tenant-a"
DISCOVERY = f"{AUTHORITY}/v2.0/.well-known/openid-configuration"
TOKEN_URL = f"{AUTHORITY}/oauth2/v2.0/token"
SCOPE = "api://sandbox-inventory/.default"
SECRET = "s3cr3t~value.that-must-not-leak"
NO_WAIT = TokenRetry(attempts=3, initial_wait=0, max_wait=0)


def token_answer(token: str = "token-1") -> dict[str, Any]:
    return {
        "token_type": "Bearer",
        "expires_in": 3600,
        "ext_expires_in": 3600,
        "access_token": token,
    }


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(
            responses.GET,
            DISCOVERY,
            json={
                "issuer": f"{AUTHORITY}/v2.0",
                "authorization_endpoint": f"{AUTHORITY}/oauth2/v2.0/authorize",
                "token_endpoint": TOKEN_URL,
                "jwks_uri": f"{AUTHORITY}/discovery/v2.0/keys",
            },
        )
        yield rsps


@pytest.fixture
def provider() -> AzureTokenProvider:
    return AzureTokenProvider(AUTHORITY, "client-1", SECRET, requests.Session(), retry=NO_WAIT)


def token_posts(mocked: responses.RequestsMock) -> int:
    return sum(1 for call in mocked.calls if call.request.url == TOKEN_URL)


def test_token_is_cached_across_calls(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=token_answer("cached-token"))

    first = provider.token_for(SCOPE)
    second = provider.token_for(SCOPE)

    assert first == second == "cached-token"
    assert token_posts(mocked) == 1


def test_concurrent_callers_on_an_empty_cache_share_one_token_request(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    all_posting = threading.Event()
    posts: list[int] = []

    def slow_token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        posts.append(1)
        if len(posts) == 8:
            all_posting.set()
        # Without single-flight all eight arrive here; the wait only widens that window.
        all_posting.wait(timeout=0.3)
        return 200, {}, '{"token_type":"Bearer","expires_in":3600,"access_token":"shared"}'

    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    start = threading.Barrier(8)
    results: list[str] = []

    def caller() -> None:
        start.wait()
        results.append(provider.token_for(SCOPE))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert results == ["shared"] * 8
    assert len(posts) == 1


def test_invalid_client_is_an_upstream_fault_that_does_not_leak_the_secret(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(
        responses.POST,
        TOKEN_URL,
        status=401,
        json={
            "error": "invalid_client",
            "error_description": f"AADSTS7000215: Invalid client secret provided: {SECRET}",
            "error_codes": [7000215],
        },
    )

    with pytest.raises(UpstreamFault) as caught:
        provider.token_for(SCOPE)

    assert caught.value.code == "upstream.fault"
    assert caught.value.upstream == "identity"
    assert "invalid_client" in str(caught.value) and "7000215" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value.extra)


def test_a_503_from_the_token_endpoint_is_retried(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=503, json={"error": "temporarily_unavailable"})
    mocked.add(responses.POST, TOKEN_URL, json=token_answer("after-retry"))

    assert provider.token_for(SCOPE) == "after-retry"
    assert token_posts(mocked) == 2


def test_persistent_5xx_is_upstream_unavailable_after_bounded_retries(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, status=500, body="oops")

    with pytest.raises(UpstreamUnavailable):
        provider.token_for(SCOPE)
    assert token_posts(mocked) == NO_WAIT.attempts


def test_persistent_connection_error_is_upstream_unavailable(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, body=requests.ConnectionError("connection refused"))

    with pytest.raises(UpstreamUnavailable) as caught:
        provider.token_for(SCOPE)

    assert caught.value.code == "upstream.unavailable"
    assert token_posts(mocked) == NO_WAIT.attempts


def test_discovery_happens_once_per_provider(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=token_answer())

    provider.token_for(SCOPE)
    provider.token_for("api://other/.default")

    assert sum(1 for call in mocked.calls if call.request.url == DISCOVERY) == 1
    assert token_posts(mocked) == 2


def test_a_replaced_credential_keeps_the_cached_token_and_sends_the_new_secret_after(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=token_answer("before"))
    first = provider.token_for(SCOPE)

    provider.replace_credential("client-1", "the-new-secret-value")
    cached = provider.token_for(SCOPE)
    mocked.replace(responses.POST, TOKEN_URL, json=token_answer("after"))
    fresh = provider.token_for("api://other/.default")

    assert first == cached == "before"  # the shared cache: no request, no failure
    assert "client_secret=the-new-secret-value" in str(mocked.calls[-1].request.body)
    assert fresh == "after"


def test_replacing_a_credential_waits_for_a_token_request_sent_with_the_old_one(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    in_flight, release = threading.Event(), threading.Event()

    def slow_token(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        in_flight.set()
        release.wait(timeout=10)
        return 200, {}, '{"token_type":"Bearer","expires_in":3600,"access_token":"old"}'

    mocked.add_callback(responses.POST, TOKEN_URL, callback=slow_token)
    caller = threading.Thread(target=provider.token_for, args=(SCOPE,))
    caller.start()
    assert in_flight.wait(timeout=10)
    replaced = threading.Event()
    swapper = threading.Thread(
        target=lambda: (provider.replace_credential("client-1", "new-one"), replaced.set())
    )
    swapper.start()

    waited = not replaced.wait(timeout=0.2)  # still held by the request in flight
    release.set()
    swapper.join(timeout=10)
    caller.join(timeout=10)

    assert waited and replaced.is_set()


def test_the_watch_hook_runs_before_every_token(
    provider: AzureTokenProvider, mocked: responses.RequestsMock
) -> None:
    mocked.add(responses.POST, TOKEN_URL, json=token_answer())
    checks: list[int] = []
    provider.watch(lambda: checks.append(1))

    provider.token_for(SCOPE)
    provider.token_for(SCOPE)

    assert len(checks) == 2
