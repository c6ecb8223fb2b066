"""Builds the concrete adapters from settings: the one place that picks implementations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, Protocol

from adapters.azure_tokens import AzureTokenProvider
from adapters.call_guard import CallGuard
from adapters.http_session import make_session
from adapters.inventory_soap import InventorySoapClient
from adapters.legacy_inventory import PlantClock
from adapters.resilience import RetryPolicy
from adapters.workorders_rest import WorkOrderRestClient
from gateway.auth.validator import JwksCache, TokenValidator
from gateway.domain.credentials import UPSTREAMS
from gateway.domain.errors import ItemNotFound, RecipeNotFound
from gateway.domain.principal import Principal
from gateway.observability.metrics import TOKEN_FETCHES, UpstreamMetrics
from gateway.services.ports import InventoryPort, TokenProvider, WorkOrderPort


class InboundTokenValidator(Protocol):
    def validate(self, token: str) -> Principal:
        """The caller behind a bearer token; Unauthenticated if it is not good."""
        ...


@dataclass
class Adapters:
    inventory: InventoryPort
    work_orders: WorkOrderPort
    token_validator: InboundTokenValidator
    probes: dict[str, Callable[[], None]] = field(default_factory=dict)
    token_providers: dict[str, AzureTokenProvider] = field(default_factory=dict)
    """One per upstream, by name; the credential store swaps their credentials."""


def build_adapters(settings: Mapping[str, Any]) -> Adapters:
    """Real adapters for the configured upstreams and identity provider."""
    retry = RetryPolicy(
        attempts=int(settings["UPSTREAM_RETRY_ATTEMPTS"]),
        max_wait=float(settings["UPSTREAM_RETRY_MAX_WAIT"]),
    )
    connect_timeout = float(settings["UPSTREAM_CONNECT_TIMEOUT"])
    read_timeout = float(settings["UPSTREAM_READ_TIMEOUT"])
    tokens = {name: _token_provider(settings, name) for name in UPSTREAMS}
    inventory = InventorySoapClient(
        endpoint=settings["INVENTORY_URL"],
        wsdl=settings["INVENTORY_WSDL"],
        session=make_session(),
        token_provider=tokens["inventory"],
        scope=settings["INVENTORY_SCOPE"],
        clock=PlantClock(settings["PLANT_TIMEZONE"]),
        retry=retry,
        max_answer_bytes=int(settings["UPSTREAM_MAX_ANSWER_BYTES"]),
        max_depth=int(settings["XML_MAX_DEPTH"]),
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        guard=_guard("inventory", settings),
    )
    work_orders = WorkOrderRestClient(
        base_url=settings["WORKORDERS_URL"],
        session=make_session(),
        token_provider=tokens["workorders"],
        scope=settings["WORKORDERS_SCOPE"],
        retry=lambda call: retry.call(call, idempotent=True),
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        guard=_guard("workorders", settings),
    )
    return Adapters(
        inventory=inventory,
        work_orders=work_orders,
        token_validator=_token_validator(settings),
        probes=_probes(settings, tokens["inventory"], inventory, work_orders),
        token_providers=tokens,
    )


def _token_provider(settings: Mapping[str, Any], upstream: str) -> AzureTokenProvider:
    """An upstream's own Azure credential; both start from AZURE_CLIENT_ID/SECRET unless
    <UPSTREAM>_CLIENT_ID/SECRET set them apart. The credential store takes over from there."""
    prefix = upstream.upper()
    secret = settings.get(f"{prefix}_CLIENT_SECRET") or settings["AZURE_CLIENT_SECRET"]
    return AzureTokenProvider(
        authority=settings["AZURE_AUTHORITY"],
        client_id=settings.get(f"{prefix}_CLIENT_ID") or settings["AZURE_CLIENT_ID"],
        client_credential=str(secret or ""),
        http_session=make_session(settings["AZURE_CA_BUNDLE"]),
        on_fetch=lambda scope: TOKEN_FETCHES.labels(scope).inc(),
    )


def _guard(upstream: str, settings: Mapping[str, Any]) -> CallGuard:
    """The circuit breaker and measurements of one upstream."""
    return CallGuard(
        upstream,
        fail_max=int(settings["BREAKER_FAIL_MAX"]),
        reset_timeout=float(settings["BREAKER_RESET_SECONDS"]),
        observer=UpstreamMetrics(),
    )


def _token_validator(settings: Mapping[str, Any]) -> TokenValidator:
    issuer = settings["AUTH_ISSUER"]
    jwks_url = settings["AUTH_JWKS_URL"] or f"{issuer.removesuffix('/v2.0')}/discovery/v2.0/keys"
    jwks = JwksCache(jwks_url, session=make_session(settings["AUTH_CA_BUNDLE"]))
    return TokenValidator(
        issuer=issuer,
        audience=settings["AUTH_AUDIENCE"],
        jwks=jwks,
        owner_claim=settings["AUTH_OWNER_CLAIM"],
        leeway=int(settings["AUTH_LEEWAY_SECONDS"]),
    )


def _probes(
    settings: Mapping[str, Any],
    tokens: TokenProvider,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
) -> dict[str, Callable[[], None]]:
    """Cheap calls that prove each dependency answers and accepts our token."""

    def token_endpoint() -> None:
        tokens.token_for(settings["INVENTORY_SCOPE"])

    def inventory_probe() -> None:
        with suppress(ItemNotFound):  # a "not found" answer is a healthy answer
            inventory.get_item("READINESS-PROBE")

    def work_orders_probe() -> None:
        with suppress(RecipeNotFound):
            work_orders.get_recipe("READINESS-PROBE")

    return {
        "tokenEndpoint": token_endpoint,
        "inventory": inventory_probe,
        "workOrders": work_orders_probe,
    }
