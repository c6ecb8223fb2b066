"""Builds the concrete adapters from settings: the one place that picks implementations."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Protocol

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
from gateway.settings import AuthSettings, Settings, UpstreamSettings


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


def build_adapters(settings: Settings) -> Adapters:
    """Real adapters for the configured upstreams and identity provider."""
    upstream = settings.upstream
    retry = RetryPolicy(attempts=upstream.retry_attempts, max_wait=upstream.retry_max_wait)
    tokens = {name: _token_provider(upstream, name) for name in UPSTREAMS}
    inventory = InventorySoapClient(
        endpoint=upstream.inventory_url,
        wsdl=upstream.inventory_wsdl,
        session=make_session(),
        token_provider=tokens["inventory"],
        scope=upstream.inventory_scope,
        clock=PlantClock(upstream.plant_timezone),
        retry=retry,
        max_answer_bytes=upstream.max_answer_bytes,
        max_depth=upstream.xml_max_depth,
        connect_timeout=upstream.connect_timeout,
        read_timeout=upstream.read_timeout,
        guard=_guard("inventory", upstream),
    )
    work_orders = WorkOrderRestClient(
        base_url=upstream.workorders_url,
        session=make_session(),
        token_provider=tokens["workorders"],
        scope=upstream.workorders_scope,
        retry=lambda call: retry.call(call, idempotent=True),
        connect_timeout=upstream.connect_timeout,
        read_timeout=upstream.read_timeout,
        guard=_guard("workorders", upstream),
    )
    return Adapters(
        inventory=inventory,
        work_orders=work_orders,
        token_validator=_token_validator(settings.auth),
        probes=_probes(upstream.inventory_scope, tokens["inventory"], inventory, work_orders),
        token_providers=tokens,
    )


def _token_provider(upstream: UpstreamSettings, name: str) -> AzureTokenProvider:
    """An upstream's own Azure credential (settings.azure_clients has the AZURE_* fallback);
    the credential store takes over from there."""
    client = upstream.clients[name]
    return AzureTokenProvider(
        authority=upstream.azure_authority,
        client_id=client.client_id,
        client_credential=client.client_secret,
        http_session=make_session(upstream.azure_ca_bundle),
        on_fetch=lambda scope: TOKEN_FETCHES.labels(scope).inc(),
        refresh_margin=upstream.token_refresh_margin,
    )


def _guard(name: str, upstream: UpstreamSettings) -> CallGuard:
    """The circuit breaker and measurements of one upstream."""
    return CallGuard(
        name,
        fail_max=upstream.breaker_fail_max,
        reset_timeout=upstream.breaker_reset_seconds,
        observer=UpstreamMetrics(),
    )


def _token_validator(auth: AuthSettings) -> TokenValidator:
    jwks = JwksCache(auth.jwks_url, session=make_session(auth.ca_bundle))
    return TokenValidator(
        issuer=auth.issuer,
        audience=auth.audience,
        jwks=jwks,
        owner_claim=auth.owner_claim,
        leeway=auth.leeway_seconds,
        cache_size=auth.token_cache_size,
    )


def _probes(
    token_scope: str,
    tokens: TokenProvider,
    inventory: InventoryPort,
    work_orders: WorkOrderPort,
) -> dict[str, Callable[[], None]]:
    """Cheap calls that prove each dependency answers and accepts our token."""

    def token_endpoint() -> None:
        tokens.token_for(token_scope)

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
