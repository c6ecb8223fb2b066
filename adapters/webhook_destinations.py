"""Where webhooks may go: a URL's host resolved, and every address it resolves to checked
against the outbound policy, so a subscription is not a way into the internal network.

The checked addresses travel with the destination: the sender connects to one of them (pinned),
never resolving the name again, so a name that resolves differently a second later (DNS
rebinding) cannot send a delivery anywhere the check did not see.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.domain.errors import DestinationRefused

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]
SCHEMES = {"http": 80, "https": 443}


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (IPv4 and IPv6)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(entry[4][0]) for entry in found))


@dataclass(frozen=True)
class DestinationPolicy:
    """Allowed host names (empty: any), allowed networks (empty: public addresses only), and
    whether loopback is allowed (the demo, tests). Link-local (169.254.0.0/16, cloud metadata),
    multicast, unspecified and reserved addresses are never allowed."""

    allowed_hosts: tuple[str, ...] = ()
    allowed_networks: tuple[Network, ...] = ()
    allow_loopback: bool = False
    allowed_ports: tuple[int, ...] | None = None
    """None: any port. Loopback, where allowed (the demo, tests), takes any port."""

    @classmethod
    def of(
        cls, hosts: Sequence[str], networks: Sequence[str], allow_loopback: bool,
        ports: Sequence[int] | None = None,
    ) -> DestinationPolicy:  # fmt: skip
        return cls(
            tuple(
                ("." if host.startswith(".") else "") + ascii_name(host.lstrip("."))
                for host in hosts
            ),
            tuple(ipaddress.ip_network(network, strict=False) for network in networks),
            allow_loopback,
            None if ports is None else tuple(ports),
        )

    def port_allowed(self, port: int, addresses: Sequence[Address]) -> bool:
        """A port in WEBHOOK_ALLOWED_PORTS; any port of an allowed loopback address."""
        if self.allowed_ports is None or port in self.allowed_ports:
            return True
        return self.allow_loopback and all(_inner(a).is_loopback for a in addresses)

    def host_allowed(self, host: str) -> bool:
        """An exact name, or ``.example.com`` for every name under it."""
        if not self.allowed_hosts:
            return True
        return any(
            host == allowed or (allowed.startswith(".") and host.endswith(allowed))
            for allowed in self.allowed_hosts
        )

    def refusal(self, address: Address) -> str | None:
        """Why ``address`` is refused, or None if a delivery may go there."""
        address = _inner(address)
        if address.is_loopback:
            return None if self.allow_loopback else "loopback"
        for kind in ("link_local", "site_local", "multicast", "unspecified", "reserved"):
            if getattr(address, f"is_{kind}", False):
                return kind.replace("_", "-")
        if self.allowed_networks:
            inside = any(address in network for network in self.allowed_networks)
            return None if inside else "outside WEBHOOK_ALLOWED_NETWORKS"
        return None if address.is_global else "private"


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (one of ``addresses``) and what to ask for."""

    scheme: str
    host: str
    port: int
    target: str
    """The path and query, as sent in the request line."""
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if SCHEMES[self.scheme] == self.port else f"{name}:{self.port}"


def ascii_name(host: str) -> str:
    """The name as resolved and sent (Host header, SNI): lower case, IDNA for a non-ASCII one,
    no trailing dot; DestinationRefused if it is no valid name."""
    try:
        return host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise DestinationRefused(f"{host!r} is not a valid host name") from None


def _inner(address: Address) -> Address:
    """An IPv4 address inside an IPv6 one (mapped, or 6to4) is checked as itself."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour or address
    return address


class DestinationGuard:
    """Checks webhook URLs against the policy (at registration and before every delivery)."""

    def __init__(self, policy: DestinationPolicy, resolve: Resolver = system_resolver) -> None:
        self.policy = policy
        self._resolve = resolve

    def check(self, url: str) -> Destination:
        """The destination ``url`` names, every address checked; DestinationRefused if not."""
        if any(char <= " " or "\x7f" <= char <= "\x9f" for char in url):
            raise DestinationRefused("A webhook URL has no spaces or control characters")
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in SCHEMES or not parts.hostname:
            raise DestinationRefused("A webhook URL is http:// or https:// with a host")
        if parts.username is not None or parts.password is not None:
            raise DestinationRefused("A webhook URL may not carry credentials")
        host = ascii_name(parts.hostname)
        try:
            port = parts.port or SCHEMES[scheme]
        except ValueError:
            raise DestinationRefused("The webhook URL's port is not a number") from None
        if not self.policy.host_allowed(host):
            raise DestinationRefused(f"{host} is not in WEBHOOK_ALLOWED_HOSTS")
        addresses = self._addresses(host, port)
        if not self.policy.port_allowed(port, [ipaddress.ip_address(a) for a in addresses]):
            raise DestinationRefused(f"Port {port} is not in WEBHOOK_ALLOWED_PORTS")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Destination(scheme, host, port, target, addresses)

    def _addresses(self, host: str, port: int) -> tuple[str, ...]:
        try:
            found = [ipaddress.ip_address(a.split("%")[0]) for a in self._resolve(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise DestinationRefused(f"{host} does not resolve") from None
        if not found:
            raise DestinationRefused(f"{host} does not resolve")
        for address in found:
            reason = self.policy.refusal(address)
            if reason is not None:
                shown = "" if host == str(address) else f" resolves to {address}, which"
                raise DestinationRefused(f"{host}{shown} is not allowed ({reason})")
        return tuple(str(address) for address in found)
