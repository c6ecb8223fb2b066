"""Azure AD client-credentials tokens through MSAL: cached, refreshed ahead, single-flight."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import msal
import requests
from msal.exceptions import MsalServiceError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

from gateway.domain.errors import (
    GatewayError,
    UpstreamFault,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

UPSTREAM = "identity"
TimeoutSpec = float | tuple[float, float]
USABLE_UNTIL_BEFORE_EXPIRY = 60.0
"""A token is handed out until this long (at most a quarter of its lifetime) before its expiry,
so that it cannot lapse in flight."""
EARLY_REFRESH_RETRY_AFTER = 30.0
"""After a failed early refresh, the next attempt waits this long (the token stays in use)."""


@dataclass(frozen=True)
class TokenRetry:
    """How often and how patiently a failed identity-provider call is tried again."""

    attempts: int = 3
    initial_wait: float = 0.2
    max_wait: float = 2.0


@dataclass(frozen=True)
class HeldToken:
    """A token in use, when to start replacing it, and when it may no longer be handed out."""

    token: str
    refresh_at: float
    usable_until: float

    @classmethod
    def lasting(cls, token: str, expires_in: float, now: float, margin: float) -> HeldToken:
        """Refreshed once less than ``margin`` (at most half its lifetime) remains, and never
        later than the moment it stops being handed out."""
        expires = now + expires_in
        usable_until = expires - min(USABLE_UNTIL_BEFORE_EXPIRY, expires_in / 4)
        return cls(token, min(expires - min(margin, expires_in / 2), usable_until), usable_until)


class AzureTokenProvider:
    """The TokenProvider port over one Azure AD app registration (client credentials).

    A token is refreshed ahead of its expiry, once less than ``refresh_margin`` remains: one
    caller fetches while the others go on with the token in hand, and a failed early refresh
    keeps that token in use (with a warning) until shortly before it expires (decision 151).
    """

    def __init__(
        self,
        authority: str,
        client_id: str,
        client_credential: str | dict[str, Any],
        http_session: requests.Session,
        token_cache: msal.SerializableTokenCache | None = None,
        timeout: TimeoutSpec = (3.05, 10.0),
        retry: TokenRetry | None = None,
        on_fetch: Callable[[str], None] | None = None,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._held: dict[str, HeldToken] = {}
        self._refresh_margin = refresh_margin
        self._clock = clock
        self._authority = authority
        self._on_fetch = on_fetch or (lambda scope: None)
        self._client_id = client_id
        self._credential = client_credential
        self._http = RetryingHttpClient(http_session, timeout, retry or TokenRetry())
        self._token_cache = token_cache or msal.SerializableTokenCache()
        # MSAL's throttling memory; kept here so a rebuilt app (new credential) inherits it.
        self._http_cache: dict[str, Any] = {}
        self._app: msal.ConfidentialClientApplication | None = None
        self._app_lock = threading.Lock()
        self._scope_locks: dict[str, threading.Lock] = {}
        self._scope_locks_guard = threading.Lock()
        self._before_token: Callable[[], None] = _nothing

    def watch(self, before_token: Callable[[], None]) -> None:
        """Call ``before_token`` (a cheap check for a rotated credential) before each token."""
        self._before_token = before_token

    def replace_credential(self, client_id: str, credential: str | dict[str, Any]) -> None:
        """Use another credential from now on, with no token request failing in between.

        The new MSAL app shares the token cache (a valid token stays in use) and is built
        before the swap; returning waits for token requests still sent with the old one.
        """
        app = None if self._app is None else self._build_app(client_id, credential)
        with self._app_lock:
            self._client_id, self._credential = client_id, credential
            self._app = app  # None: built on first use, with the new credential
        with self._scope_locks_guard:
            locks = list(self._scope_locks.values())
        for lock in locks:  # a token request holds its scope's lock until answered
            with lock:
                pass

    def token_for(self, scope: str) -> str:
        """A valid access token for ``scope``; one request to the IdP however many callers wait."""
        self._before_token()
        held, now = self._held.get(scope), self._clock()
        if held is not None and now < held.refresh_at:
            return held.token
        if held is not None and now < held.usable_until:
            return self._refresh_ahead(scope, held)
        # MSAL checks its cache but does not coalesce concurrent misses; the lock does.
        with self._lock_for(scope):
            current = self._held.get(scope)
            if current is not None and current is not held and self._clock() < current.refresh_at:
                return current.token  # fetched by the caller this one waited for
            return self._fetch(scope, due=held)

    def _refresh_ahead(self, scope: str, held: HeldToken) -> str:
        lock = self._lock_for(scope)
        if not lock.acquire(blocking=False):
            return held.token  # another caller is fetching; this token is still good
        try:
            if self._held.get(scope) is not held:
                return self._held[scope].token  # refreshed just now
            return self._fetch(scope, due=held)
        except GatewayError as error:
            retry_at = min(self._clock() + EARLY_REFRESH_RETRY_AFTER, held.usable_until)
            self._held[scope] = replace(held, refresh_at=retry_at)
            log.warning("early token refresh for %s failed (%s); the current token stays in use",
                        scope, error.code)  # fmt: skip
            return held.token
        finally:
            lock.release()

    def _fetch(self, scope: str, due: HeldToken | None) -> str:
        if due is not None:  # MSAL would answer it from its cache until 5 min before expiry
            self._forget_cached(scope, due.token)
        result = self._acquire(scope)
        token = _access_token(result, scope)
        expires_in = result.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            self._held[scope] = HeldToken.lasting(
                token, float(expires_in), self._clock(), self._refresh_margin
            )
        return token

    def _forget_cached(self, scope: str, token: str) -> None:
        kind = self._token_cache.CredentialType.ACCESS_TOKEN
        entries = list(self._token_cache.search(kind, target=[scope]))
        for entry in entries:
            if entry.get("secret") == token:
                self._token_cache.remove_at(entry)

    def _lock_for(self, scope: str) -> threading.Lock:
        with self._scope_locks_guard:
            return self._scope_locks.setdefault(scope, threading.Lock())

    def _acquire(self, scope: str) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self._application().acquire_token_for_client(scopes=[scope])
        except requests.Timeout as exc:
            raise UpstreamTimeout(UPSTREAM, "the identity provider did not answer in time") from exc
        except requests.RequestException as exc:
            raise UpstreamUnavailable(UPSTREAM, "the identity provider is unreachable") from exc
        except MsalServiceError as exc:
            # MSAL raises this for 5xx answers, including ones it is still throttling.
            raise UpstreamUnavailable(UPSTREAM, "the identity provider failed") from exc
        except ValueError as exc:
            raise UpstreamFault(UPSTREAM, "the identity provider answered nonsense") from exc
        if result.get("token_source") == "identity_provider":
            self._on_fetch(scope)  # counted: a token that came from the IdP, not from the cache
        return result

    def _application(self) -> msal.ConfidentialClientApplication:
        # Building the app costs a discovery round trip: do it once, and not under load.
        with self._app_lock:
            if self._app is None:
                self._app = self._build_app(self._client_id, self._credential)
            return self._app

    def _build_app(
        self, client_id: str, credential: str | dict[str, Any]
    ) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            client_id,
            client_credential=credential,
            authority=self._authority,
            instance_discovery=False,
            http_client=self._http,
            token_cache=self._token_cache,
            http_cache=self._http_cache,
        )


def _nothing() -> None:
    return None


def _access_token(result: dict[str, Any], scope: str) -> str:
    token = result.get("access_token")
    if isinstance(token, str) and token:
        return token
    error = str(result.get("error") or "unknown_error")
    codes = [c for c in result.get("error_codes") or [] if isinstance(c, int)]
    # The description is Azure's prose; only the code, AADSTS numbers and correlation id
    # leave here, so nothing the request carried can leak into logs or problem details.
    log.warning(
        "token request for %s rejected: %s %s correlation_id=%s",
        scope,
        error,
        codes,
        result.get("correlation_id"),
    )
    aadsts = f" (AADSTS{codes[0]})" if codes else ""
    raise UpstreamFault(
        UPSTREAM, f"the identity provider refused the token request: {error}{aadsts}", error=error
    )


class RetryingHttpClient:
    """The http client MSAL is given: timeouts always set, transient failures retried.

    MSAL neither retries nor sets timeouts on a client it is handed, and it throttles
    5xx answers it sees, so retrying must happen below it, where the answer is first seen.
    """

    def __init__(self, session: requests.Session, timeout: TimeoutSpec, retry: TokenRetry) -> None:
        self._session = session
        self._timeout = timeout
        self._retry = retry

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        """GET with the default timeout and retries."""
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        """POST with the default timeout and retries (a token request is safe to repeat)."""
        return self._send("POST", url, **kwargs)

    def close(self) -> None:
        """Nothing to do: the session belongs to whoever passed it in."""

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        retrying = Retrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_random_exponential(
                multiplier=self._retry.initial_wait, max=self._retry.max_wait
            ),
            retry=retry_if_exception_type(requests.ConnectionError)
            | retry_if_result(_is_transient),
            before_sleep=_log_retry,
            retry_error_callback=_last_outcome,
            reraise=True,
        )
        response: requests.Response = retrying(self._session.request, method, url, **kwargs)
        return response


def _is_transient(response: requests.Response) -> bool:
    return response.status_code >= 500


def _last_outcome(state: RetryCallState) -> Any:
    # Out of attempts: hand MSAL the last answer (or raise the last error) as it was.
    assert state.outcome is not None
    return state.outcome.result()


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    if outcome is None:
        return
    failure = outcome.exception()
    what = type(failure).__name__ if failure else f"HTTP {outcome.result().status_code}"
    method, url = state.args[0], state.args[1]
    log.warning(
        "identity provider %s %s failed (%s); attempt %d", method, url, what, state.attempt_number
    )
