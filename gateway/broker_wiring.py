"""Wires the brokers the settings name (issue 14.2, decision 162): each is a subscription of its
own kind, with a fixed id every process of the pool finds, to every event of every owner, and a
drainer of its own — so a broker that is down holds back only itself."""

from __future__ import annotations

import os
import random
import secrets
import socket
from urllib.parse import urlsplit

from adapters.amqp_publisher import AmqpPublisher
from adapters.mqtt_publisher import MqttPublisher
from gateway.domain.webhooks import (
    ALL_OWNERS,
    AMQP,
    EVENT_TYPES,
    MQTT,
    NewSubscription,
    Subscription,
)
from gateway.services.webhooks.drainer import WebhookDrainer
from gateway.services.webhooks.ports import DeliveryObserver, DeliveryTarget
from gateway.services.webhooks.subscriptions import Webhooks
from gateway.settings import BrokerSettings

SUBSCRIPTION_IDS = {AMQP: "broker-amqp", MQTT: "broker-mqtt"}
ACTOR = "settings"


def broker_targets(settings: BrokerSettings) -> dict[str, DeliveryTarget]:
    """One publisher per configured broker, by kind."""
    targets: dict[str, DeliveryTarget] = {}
    if settings.amqp_url:
        targets[AMQP] = AmqpPublisher(settings.amqp_url, settings.amqp_exchange)
    if settings.mqtt_url:
        targets[MQTT] = MqttPublisher(settings.mqtt_url, settings.mqtt_topic_prefix)
    return targets


def ensure_broker_subscriptions(webhooks: Webhooks, settings: BrokerSettings) -> list[Subscription]:
    """The configured brokers' subscriptions, added if missing (from the newest event on)."""
    named = {AMQP: (settings.amqp_url, f"exchange {settings.amqp_exchange}"),
             MQTT: (settings.mqtt_url, f"topics {settings.mqtt_topic_prefix}/…")}  # fmt: skip
    ensured = []
    for kind, (url, where) in named.items():
        if url:
            new = NewSubscription(f"{_shown(url)} ({where})", frozenset(EVENT_TYPES),
                                  frozenset({ALL_OWNERS}), kind=kind)  # fmt: skip
            ensured.append(webhooks.subscriptions.ensure(
                new, SUBSCRIPTION_IDS[kind], ACTOR, webhooks.clock()
            ))  # fmt: skip
    return ensured


def broker_drainers(
    webhooks: Webhooks, settings: BrokerSettings, observer: DeliveryObserver
) -> list[WebhookDrainer]:
    """A drainer per configured broker, its subscription ensured first."""
    ensure_broker_subscriptions(webhooks, settings)
    holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    return [WebhookDrainer(webhooks, {kind: target}, f"{holder}:{kind}", observer, random.random)
            for kind, target in broker_targets(settings).items()]  # fmt: skip


def _shown(url: str) -> str:
    """scheme://host:port of a broker URL: its credentials never reach the database."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"
