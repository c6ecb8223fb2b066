"""Wires webhook subscriptions: the store over the gateway's database and master keys, the
outbound policy, the Standard Webhooks sender, and the drainer each process runs."""

from __future__ import annotations

import os
import random
import secrets
import socket

from adapters.webhook_destinations import DestinationGuard, DestinationPolicy, Resolver
from adapters.webhook_destinations import system_resolver as system_resolve
from adapters.webhook_sender import StandardWebhookSender
from gateway.domain.webhooks import WEBHOOK, RetryPolicy
from gateway.services.webhooks.drainer import WebhookDrainer
from gateway.services.webhooks.ports import DeliveryObserver
from gateway.services.webhooks.subscriptions import WebhookPolicy, Webhooks
from gateway.settings import Settings, WebhookSettings
from gateway.store.database import utc_now
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys
from gateway.store.subscriptions import SubscriptionStore
from gateway.store.webhook_deliveries import DeliveryLedger


def destination_guard(
    settings: WebhookSettings, resolve: Resolver = system_resolve
) -> DestinationGuard:
    policy = DestinationPolicy.of(
        settings.allowed_hosts,
        settings.allowed_networks,
        settings.allow_loopback,
        settings.allowed_ports,
    )
    return DestinationGuard(policy, resolve)


def build_webhooks(config: Settings, store: GatewayStore, keys: MasterKeys | None) -> Webhooks:
    """The subscription use cases over this database and these master keys."""
    settings = config.webhooks
    return Webhooks(
        SubscriptionStore(store.engine, keys),
        DeliveryLedger(store.engine),
        destination_guard(settings),
        WebhookPolicy(
            retry=RetryPolicy(settings.retry_base, settings.retry_cap, settings.max_age),
            secret_grace=settings.secret_grace,
            lease=settings.lease,
            max_active=settings.max_subscriptions,
        ),
        clock=utc_now,
    )


def build_drainer(
    webhooks: Webhooks, settings: WebhookSettings, observer: DeliveryObserver
) -> WebhookDrainer:
    """This process's drainer, with a lease holder name of its own."""
    sender = StandardWebhookSender(
        destination_guard(settings),
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_response_bytes=settings.max_response_bytes,
        ca_bundle=settings.ca_bundle,
    )
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    return WebhookDrainer(webhooks, {WEBHOOK: sender}, holder, observer, random.random)
