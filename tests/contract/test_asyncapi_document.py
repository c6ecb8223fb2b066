"""``/asyncapi.json`` is a valid AsyncAPI 3.0 document (checked by AsyncAPI's own parser, in
Node) whose payloads are the REST event feed's schema (issue 14.4)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.app import create_app
from gateway.domain.webhooks import EVENT_TYPES
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders

VALIDATOR = Path(__file__).with_name("asyncapi_validator")


def _app(**settings: Any) -> Flask:
    return create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", **settings},
        adapters=Adapters(FakeInventory(), FakeWorkOrders({}), FakeTokenValidator({})),
    )


@pytest.fixture(scope="module")
def documents() -> tuple[dict[str, Any], dict[str, Any]]:
    """(/asyncapi.json, /openapi.json) of one app."""
    with _app().test_client() as client:
        asyncapi, openapi = client.get("/asyncapi.json"), client.get("/openapi.json")
    assert asyncapi.status_code == 200 and asyncapi.mimetype == "application/json"
    return asyncapi.get_json(), openapi.get_json()


def _validate(document: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "Node.js runs AsyncAPI's parser (the Makefile checks for it)"
    if not (VALIDATOR / "node_modules" / "@asyncapi" / "parser").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=VALIDATOR, check=True,
                       capture_output=True, timeout=600)  # fmt: skip
    return subprocess.run([node, "validate.mjs"], cwd=VALIDATOR, input=json.dumps(document),
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_document_is_valid_asyncapi_3(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    asyncapi, _ = documents

    checked = _validate(asyncapi)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = json.loads(checked.stdout.strip().splitlines()[-1])
    assert summary["version"] == "3.0.0"
    assert sorted(summary["channels"]) == ["amqpReservations", "mqttReservations", "webhook"]


def test_the_validator_refuses_a_broken_document(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    broken = json.loads(json.dumps(documents[0]))
    broken["channels"]["webhook"]["messages"]["InventoryReservedWebhook"] = {"$ref": "#/x"}

    assert _validate(broken).returncode == 1


def test_every_event_type_is_a_message_whose_payload_is_the_feeds_event_schema(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    asyncapi, openapi = documents
    feed = openapi["components"]["schemas"]["Event"]["properties"]
    messages = asyncapi["components"]["messages"]

    assert set(messages) == set(EVENT_TYPES) | {f"{name}Webhook" for name in EVENT_TYPES}
    for event_type in EVENT_TYPES:
        on_brokers = messages[event_type]["payload"]["schema"]
        by_webhook = messages[f"{event_type}Webhook"]["payload"]["schema"]
        for event in (on_brokers, by_webhook["properties"]["data"]):
            assert set(event["properties"]) == set(feed)
            assert event["properties"]["type"]["enum"] == [event_type]
            assert {k: v for k, v in event["properties"].items() if k != "type"} == {
                k: v for k, v in feed.items() if k != "type"
            }
        assert messages[event_type]["payload"]["schemaFormat"].startswith(
            "application/vnd.oai.openapi"
        )
        assert set(messages[f"{event_type}Webhook"]["headers"]["required"]) == {
            "webhook-id", "webhook-timestamp", "webhook-signature"
        }  # fmt: skip
    channels = asyncapi["channels"]
    assert set(channels["webhook"]["messages"]) == {f"{n}Webhook" for n in EVENT_TYPES}
    assert set(channels["amqpReservations"]["messages"]) == set(EVENT_TYPES)


def test_the_broker_channels_name_the_configured_exchange_and_prefix_and_no_credentials() -> None:
    app = _app(
        AMQP_URL="amqp://user:s3cret-pw@broker.plant:5673/%2F",
        AMQP_EXCHANGE="plant-x",
        MQTT_URL="mqtt://mq:hidden@mqtt.plant:1884",
        MQTT_TOPIC_PREFIX="/uns/site-1/",
    )
    with app.test_client() as client:
        answer = client.get("/asyncapi.json")
    document = answer.get_json()

    assert document["channels"]["amqpReservations"]["bindings"]["amqp"]["exchange"]["name"] == (
        "plant-x"
    )
    assert document["channels"]["mqttReservations"]["address"] == (
        "uns/site-1/{ownerId}/reservations/{eventType}"
    )
    assert document["servers"]["amqpBroker"]["host"] == "broker.plant:5673"
    assert document["servers"]["mqttBroker"]["host"] == "mqtt.plant:1884"
    assert b"s3cret-pw" not in answer.data and b"hidden" not in answer.data


def test_the_openapi_document_links_the_asyncapi_one(
    documents: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    assert "(/asyncapi.json)" in documents[1]["info"]["description"]
