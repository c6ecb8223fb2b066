"""The AsyncAPI 3.0 document at ``/asyncapi.json``: the events subscribers receive, by webhook,
over AMQP and over MQTT (issue 14.4).

A message's payload is the REST event feed's own schema (``EventSchema``), taken from the app's
OpenAPI components and declared in the OpenAPI 3.0 schema format (AsyncAPI's multi-format
schema object), so that the two documents cannot tell different stories. Nothing here is
written twice: the event types, the routing key and the topic come from the modules that
publish them.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from apispec import APISpec
from flask import Blueprint, Flask, Response

from gateway.domain.webhooks import EVENT_TYPES
from gateway.settings import BrokerSettings

ASYNCAPI_VERSION = "3.0.0"
OPENAPI_SCHEMA_FORMAT = "application/vnd.oai.openapi+json;version=3.0.0"
EVENT_SCHEMA = "Event"
"""The name flask-smorest gives ``EventSchema`` in the OpenAPI components."""
WEBHOOK_HEADERS = {
    "type": "object",
    "required": ["webhook-id", "webhook-timestamp", "webhook-signature"],
    "properties": {
        "webhook-id": {
            "type": "string",
            "description": "The event's id: the same on a redelivery.",
        },
        "webhook-timestamp": {"type": "string", "description": "Seconds since the epoch."},
        "webhook-signature": {
            "type": "string",
            "description": "Standard Webhooks signatures (v1,<base64 HMAC-SHA256>), "
            "space-separated; two while a rotated signing secret is in its grace period.",
        },
    },
}


def register_asyncapi(app: Flask, spec: APISpec, brokers: BrokerSettings, version: str) -> None:
    """Serve ``/asyncapi.json``, built on first request (after every blueprint is registered)."""
    blueprint = Blueprint("asyncapi", __name__)
    built: list[bytes] = []

    @blueprint.get("/asyncapi.json")
    def asyncapi_json() -> Response:
        """The AsyncAPI 3.0 document."""
        if not built:
            document = asyncapi_document(spec.to_dict(), brokers, version)
            built.append(json.dumps(document, indent=2, sort_keys=True).encode())
        return Response(built[0], mimetype="application/json")

    app.register_blueprint(blueprint)


def asyncapi_document(
    openapi: Mapping[str, Any], brokers: BrokerSettings, version: str
) -> dict[str, Any]:
    """The AsyncAPI document for the event types, over the three ways they leave the gateway."""
    event = _resolved(openapi, openapi["components"]["schemas"][EVENT_SCHEMA])
    messages = {
        **{name: _broker_message(name, event) for name in EVENT_TYPES},
        **{f"{name}Webhook": _webhook_message(name, event) for name in EVENT_TYPES},
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Reservation gateway events",
            "version": version,
            "description": (
                "Every change of a reservation, once per event id, in order per reservation: "
                "the same events as `GET /api/events` (the REST feed, see /openapi.json). "
                "Changes made inside the ERP carry `origin: erp`. Webhooks are signed as "
                "Standard Webhooks specifies; AMQP messages are persistent, on a durable topic "
                "exchange; MQTT messages are QoS 1 (docs/decisions/160-webhook-deliveries.md)."
            ),
        },
        "servers": _servers(brokers),
        "channels": _channels(brokers, messages),
        "operations": _operations(),
        "components": {"messages": messages},
    }


def _servers(brokers: BrokerSettings) -> dict[str, Any]:
    return {
        "webhookSubscriber": {
            "host": "{subscriberHost}",
            "protocol": "https",
            "description": "A subscriber's endpoint, registered with POST /admin/subscriptions.",
            "variables": {"subscriberHost": {"description": "The host of the subscription URL"}},
        },
        "amqpBroker": {
            "host": _host(brokers.amqp_url, "127.0.0.1:5672"),
            "protocol": "amqp",
            "protocolVersion": "0.9.1",
            "description": "RabbitMQ, when AMQP_URL is set.",
        },
        "mqttBroker": {
            "host": _host(brokers.mqtt_url, "127.0.0.1:1883"),
            "protocol": "mqtt",
            "protocolVersion": "5",
            "description": "An MQTT 5 broker, when MQTT_URL is set.",
        },
    }


def _channels(brokers: BrokerSettings, messages: Mapping[str, Any]) -> dict[str, Any]:
    def refs(suffix: str) -> dict[str, Any]:
        return {f"{name}{suffix}": {"$ref": f"#/components/messages/{name}{suffix}"}
                for name in EVENT_TYPES}  # fmt: skip

    owner = {"description": "The reservation's owner (plant)"}
    event_type = {"enum": list(EVENT_TYPES), "description": "The event type"}
    return {
        "webhook": {
            "description": "POSTed to each subscription's URL, one event per request.",
            "servers": [{"$ref": "#/servers/webhookSubscriber"}],
            "messages": refs("Webhook"),
            "bindings": {"http": {"bindingVersion": "0.3.0"}},
        },
        "amqpReservations": {
            "address": "{ownerId}.{eventType}.{itemSkuId}",
            "description": f"Routing keys on the topic exchange {brokers.amqp_exchange!r}.",
            "servers": [{"$ref": "#/servers/amqpBroker"}],
            "messages": refs(""),
            "parameters": {
                "ownerId": owner,
                "eventType": event_type,
                "itemSkuId": {"description": "The reserved item"},
            },
            "bindings": {"amqp": _amqp_binding(brokers.amqp_exchange)},
        },
        "mqttReservations": {
            "address": f"{brokers.mqtt_topic_prefix}/{{ownerId}}/reservations/{{eventType}}",
            "description": "Topics under MQTT_TOPIC_PREFIX, one per owner and event type.",
            "servers": [{"$ref": "#/servers/mqttBroker"}],
            "messages": refs(""),
            "parameters": {"ownerId": owner, "eventType": event_type},
        },
    }


def _amqp_binding(exchange: str) -> dict[str, Any]:
    return {
        "is": "routingKey",
        "exchange": {"name": exchange, "type": "topic", "durable": True, "autoDelete": False,
                     "vhost": "/"},
        "bindingVersion": "0.3.0",
    }  # fmt: skip


def _operations() -> dict[str, Any]:
    def send(channel: str, summary: str, bindings: dict[str, Any] | None = None) -> dict[str, Any]:
        operation = {"action": "send", "summary": summary,
                     "channel": {"$ref": f"#/channels/{channel}"}}  # fmt: skip
        if bindings:
            operation["bindings"] = bindings
        return operation

    return {
        "deliverWebhook": send(
            "webhook",
            "At least once, in order per reservation; retried with backoff, dead-lettered after "
            "the configured age; a 410 answer disables the subscription.",
            {"http": {"method": "POST", "bindingVersion": "0.3.0"}},
        ),
        "publishAmqp": send(
            "amqpReservations",
            "Persistent messages with publisher confirms; at least once.",
            {"amqp": {"deliveryMode": 2, "ack": True, "bindingVersion": "0.3.0"}},
        ),
        "publishMqtt": send(
            "mqttReservations",
            "QoS 1; the correlation id as a user property.",
            {"mqtt": {"qos": 1, "retain": False, "bindingVersion": "0.2.0"}},
        ),
    }


def _broker_message(event_type: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """On AMQP and MQTT: the feed's event itself."""
    return {
        "name": event_type,
        "title": event_type,
        "contentType": "application/json",
        "correlationId": {"location": "$message.payload#/correlationId"},
        "payload": {"schemaFormat": OPENAPI_SCHEMA_FORMAT, "schema": _typed(event, event_type)},
    }


def _webhook_message(event_type: str, event: Mapping[str, Any]) -> dict[str, Any]:
    """By webhook: the Standard Webhooks envelope (type, timestamp) with the event as data."""
    envelope = {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": [event_type]},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": _typed(event, event_type),
        },
    }
    return {
        "name": f"{event_type}Webhook",
        "title": f"{event_type} (webhook)",
        "contentType": "application/json",
        "correlationId": {"location": "$message.payload#/data/correlationId"},
        "headers": WEBHOOK_HEADERS,
        "payload": {"schemaFormat": OPENAPI_SCHEMA_FORMAT, "schema": envelope},
    }


def _typed(event: Mapping[str, Any], event_type: str) -> dict[str, Any]:
    schema = copy.deepcopy(dict(event))
    schema.setdefault("properties", {})["type"] = {"type": "string", "enum": [event_type]}
    return schema


def _resolved(openapi: Mapping[str, Any], schema: Any) -> Any:
    """``schema`` with its ``$ref``s to OpenAPI components inlined (they mean nothing here)."""
    if isinstance(schema, Mapping):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            target = openapi["components"]["schemas"][ref.rsplit("/", 1)[1]]
            return _resolved(openapi, target)
        return {key: _resolved(openapi, value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolved(openapi, item) for item in schema]
    return schema


def _host(url: str | None, default: str) -> str:
    """host:port of a broker URL, without its credentials."""
    if not url:
        return default
    parts = urlsplit(url)
    host = parts.hostname or default
    return f"{host}:{parts.port}" if parts.port else host
