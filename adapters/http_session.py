"""Pooled HTTP sessions whose TLS trust is explicit, whatever the environment says."""

from __future__ import annotations

from typing import Any

import requests
from requests.adapters import HTTPAdapter

from gateway.domain.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable


class PinnedTrustAdapter(HTTPAdapter):
    """Verifies TLS against one CA bundle.

    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` override ``Session.verify`` at request level,
    so the bundle is forced here, at the last moment before the connection is made.
    """

    def __init__(self, ca_bundle: str, pool_maxsize: int) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize)
        self._ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self._ca_bundle
        return super().send(request, **kwargs)


def make_session(ca_bundle: str | None = None, pool_maxsize: int = 32) -> requests.Session:
    """One pooled session; with ``ca_bundle`` HTTPS trusts exactly that bundle."""
    session = requests.Session()
    adapter: HTTPAdapter = (
        PinnedTrustAdapter(ca_bundle, pool_maxsize)
        if ca_bundle
        else HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize)
    )
    session.mount("https://", adapter)
    session.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize))
    return session


def transport_error(
    upstream: str, error: BaseException, detail: str | None = None
) -> GatewayError | None:
    """The one reading of a failed HTTP exchange, for every adapter: no answer in time, or no
    connection (refused, or broken mid-answer) — both worth a retry where retrying is safe.
    None for anything else, which each adapter reads its own way."""
    if isinstance(error, requests.Timeout):
        return UpstreamTimeout(upstream, detail)
    if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return UpstreamUnavailable(upstream, detail or "connection failed or broke mid-answer")
    return None
