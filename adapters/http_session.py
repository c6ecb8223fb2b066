"""Pooled keep-alive HTTP sessions whose environment is read once, when they are built.

A ``requests.Session`` that trusts the environment reads proxy variables, ``.netrc`` and
``REQUESTS_CA_BUNDLE`` again on every call (decision 150); these sessions read them once, at
start, and then never look again.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import address_in_network, is_ipv4_address, is_valid_cidr

from gateway.domain.errors import GatewayError, UpstreamTimeout, UpstreamUnavailable

NO_PROXIES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class StartupEnvironment:
    """What requests would read from the environment per call, read once: proxies, the
    ``NO_PROXY`` list and the ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` trust."""

    proxies: Mapping[str, str] = field(default_factory=lambda: NO_PROXIES)
    no_proxy: str = ""
    ca_bundle: str | None = None
    _by_host: dict[str, Mapping[str, str]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def read(cls) -> StartupEnvironment:
        """The environment as it is now, read the way requests reads it."""
        proxies = dict(urllib.request.getproxies())  # *_proxy in either case, as requests does
        no_proxy = proxies.pop("no", "")
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        return cls(MappingProxyType(proxies), no_proxy, bundle or None)

    def proxies_for(self, url: str) -> Mapping[str, str]:
        """The proxies for ``url``: none when ``NO_PROXY`` names its host; decided once a host."""
        parts = urlsplit(url)
        host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        if host not in self._by_host:  # a handful of upstream hosts, all from settings
            self._by_host[host] = (
                NO_PROXIES if self._bypasses(parts.hostname, host) else self.proxies
            )
        return self._by_host[host]

    def _bypasses(self, hostname: str | None, host_with_port: str) -> bool:
        # The matching of requests' should_bypass_proxies (CIDR blocks, suffixes with or
        # without the port, "*" as curl has it), on the list read at start, not os.environ.
        if hostname is None:
            return True
        entries = [entry for entry in self.no_proxy.replace(" ", "").split(",") if entry]
        if "*" in entries:
            return True
        if is_ipv4_address(hostname):
            return any(
                address_in_network(hostname, entry) if is_valid_cidr(entry) else hostname == entry
                for entry in entries
            )
        suffixes = [entry.lstrip(".") for entry in entries]
        return any(
            name == suffix or name.endswith("." + suffix)
            for suffix in suffixes
            for name in (hostname, host_with_port)
        )


class StartupEnvironmentSession(requests.Session):
    """A session with ``trust_env`` off that applies the proxies read at start."""

    def __init__(self, environment: StartupEnvironment) -> None:
        super().__init__()
        self.trust_env = False  # no os.environ, .netrc or proxy-bypass lookups per call
        self.environment = environment

    def merge_environment_settings(  # type: ignore[override]
        self, url: str, proxies: dict[str, str] | None, *args: Any
    ) -> Any:
        if not proxies and self.environment.proxies:
            proxies = dict(self.environment.proxies_for(url))
        return super().merge_environment_settings(url, proxies, *args)


class PinnedTrustAdapter(HTTPAdapter):
    """Verifies TLS against one CA bundle.

    ``REQUESTS_CA_BUNDLE`` / ``CURL_CA_BUNDLE`` are no longer read per call (the session's
    ``verify`` is the pinned bundle), but a caller passing ``verify=`` still cannot widen the
    trust: the bundle is forced here, at the last moment before the connection is made.
    """

    def __init__(self, ca_bundle: str, pool_maxsize: int) -> None:
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize)
        self._ca_bundle = ca_bundle

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self._ca_bundle
        return super().send(request, **kwargs)


def make_session(
    ca_bundle: str | None = None,
    pool_maxsize: int = 32,
    environment: StartupEnvironment | None = None,
) -> requests.Session:
    """One pooled keep-alive session, the environment read now (or ``environment``) and not
    per call; with ``ca_bundle`` HTTPS trusts exactly that bundle, else the start-time
    ``REQUESTS_CA_BUNDLE`` or the default store."""
    environment = environment or StartupEnvironment.read()
    session = StartupEnvironmentSession(environment)
    session.verify = ca_bundle or environment.ca_bundle or True
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
