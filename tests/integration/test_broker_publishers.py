"""The AMQP and MQTT targets against the local RabbitMQ and Mosquitto: what a consumer receives,
and what a cut connection does to an attempt (issue 14.2)."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import paho.mqtt.client as mqtt
import pika
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from adapters.amqp_publisher import AmqpPublisher, routing_key
from adapters.mqtt_publisher import MqttPublisher, topic
from gateway.domain.webhooks import FeedEvent, Outcome
from tests.brokers import MOSQUITTO, RABBITMQ, relay, require
from tests.gateway_process import wait_for

AMQP = "amqp://guest:guest@127.0.0.1:{port}/%2F"


def event(number: int, owner: str = "PLANT-A", item: str = "SKU-1", kind: str = "InventoryReserved",
          correlation: str | None = "corr-1") -> FeedEvent:  # fmt: skip
    return FeedEvent(
        id=number, type=kind, at=datetime(2026, 12, 3, 9, 0, number % 60, tzinfo=UTC),
        aggregate_id=f"RSV-{number}", owner_id=owner, correlation_id=correlation,
        payload={"reservationId": f"RSV-{number}", "itemSkuId": item,
                 "quantity": Decimal("1.250"), "ownerId": owner},
    )  # fmt: skip


@pytest.fixture
def exchange() -> Iterator[tuple[str, Any]]:
    """A fresh topic exchange with a queue bound to every key: (exchange name, channel)."""
    require(RABBITMQ, "RabbitMQ")
    name = f"test-reservations-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP.format(port=RABBITMQ[1])))
    channel = connection.channel()
    channel.exchange_declare(name, exchange_type="topic", durable=True)
    declared = channel.queue_declare("", exclusive=True)
    channel.queue_bind(declared.method.queue, name, routing_key="#")
    channel.consumed_queue = declared.method.queue  # type: ignore[attr-defined]
    try:
        yield name, channel
    finally:
        channel.exchange_delete(name)
        connection.close()


def received(channel: Any, count: int) -> list[tuple[Any, Any, bytes]]:
    got: list[tuple[Any, Any, bytes]] = []

    def more() -> bool:
        method, properties, body = channel.basic_get(channel.consumed_queue, auto_ack=True)
        if method is not None:
            got.append((method, properties, body))
        return len(got) >= count

    wait_for(more, f"{count} AMQP messages", deadline=60)
    return got


def test_amqp_messages_are_persistent_routed_by_owner_type_and_item_and_carry_the_event(
    exchange: tuple[str, Any],
) -> None:
    name, channel = exchange
    publisher = AmqpPublisher(AMQP.format(port=RABBITMQ[1]), name)
    events = [event(1), event(2, owner="PLANT.B", item="SKU#*2", kind="InventoryReleased")]
    try:
        attempts = [publisher.deliver("", e, ()) for e in events]
    finally:
        publisher.close()

    assert [a.outcome for a in attempts] == [Outcome.DELIVERED] * 2
    (m1, p1, b1), (m2, _, b2) = received(channel, 2)
    assert [m1.routing_key, m2.routing_key] == [
        "PLANT-A.InventoryReserved.SKU-1", "PLANT_B.InventoryReleased.SKU__2"
    ]  # fmt: skip
    assert p1.delivery_mode == 2 and p1.message_id == "evt_1" and p1.correlation_id == "corr-1"
    assert p1.content_type == "application/json" and p1.type == "InventoryReserved"
    body = json.loads(b1, parse_float=Decimal)
    assert (
        body["id"] == 1 and body["aggregateId"] == "RSV-1" and body["type"] == "InventoryReserved"
    )
    assert body["payload"]["quantity"] == Decimal("1.250")
    assert json.loads(b2)["ownerId"] == "PLANT.B"


def test_a_cut_amqp_connection_fails_the_attempt_and_the_next_one_reconnects(
    exchange: tuple[str, Any],
) -> None:
    name, channel = exchange
    with relay(RABBITMQ) as link:
        publisher = AmqpPublisher(AMQP.format(port=link.port), name, timeout=30)
        try:
            first = publisher.deliver("", event(1), ())
            link.cut()
            during = publisher.deliver("", event(2), ())
            link.mend()
            after = publisher.deliver("", event(2), ())
        finally:
            publisher.close()

    assert (first.outcome, during.outcome, after.outcome) == (
        Outcome.DELIVERED, Outcome.FAILED, Outcome.DELIVERED
    )  # fmt: skip
    assert during.error
    assert [json.loads(body)["id"] for _, _, body in received(channel, 2)] == [1, 2]
    assert link.connections == 2


def test_an_unreachable_broker_is_a_failed_attempt_not_an_exception() -> None:
    with relay(RABBITMQ) as link:
        link.cut()
        attempt = AmqpPublisher(AMQP.format(port=link.port), "nowhere", timeout=2).deliver(
            "", event(1), ()
        )
    assert attempt.outcome is Outcome.FAILED and attempt.error


@pytest.fixture
def subscriber() -> Iterator[tuple[str, queue.Queue[Any]]]:
    """An MQTT 5 client subscribed (QoS 1) to a fresh prefix: (prefix, received messages)."""
    require(MOSQUITTO, "Mosquitto")
    prefix = f"test/{uuid.uuid4().hex[:8]}"
    messages: queue.Queue[Any] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda c, u, message: messages.put(message)
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, u, f, reason, p: c.subscribe(f"{prefix}/#", qos=1)
    client.connect(*MOSQUITTO)
    client.loop_start()
    try:
        assert subscribed.wait(60)
        yield prefix, messages
    finally:
        client.disconnect()
        client.loop_stop()


def test_mqtt_messages_are_qos1_on_the_owner_topic_with_the_correlation_id(
    subscriber: tuple[str, queue.Queue[Any]],
) -> None:
    prefix, messages = subscriber
    publisher = MqttPublisher(f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}", prefix)
    try:
        attempts = [publisher.deliver("", e, ()) for e in (event(1), event(2, owner="A/B+#"))]
    finally:
        publisher.close()

    assert [a.outcome for a in attempts] == [Outcome.DELIVERED] * 2
    first, second = messages.get(timeout=60), messages.get(timeout=60)
    assert first.topic == f"{prefix}/PLANT-A/reservations/InventoryReserved"
    assert second.topic == f"{prefix}/A_B__/reservations/InventoryReserved"
    assert first.qos == 1
    assert ("correlationId", "corr-1") in first.properties.UserProperty
    assert first.properties.CorrelationData == b"corr-1"
    assert json.loads(first.payload)["aggregateId"] == "RSV-1"


def test_a_cut_mqtt_connection_fails_the_attempt_and_the_next_one_reconnects(
    subscriber: tuple[str, queue.Queue[Any]],
) -> None:
    prefix, messages = subscriber
    with relay(MOSQUITTO) as link:
        publisher = MqttPublisher(f"mqtt://127.0.0.1:{link.port}", prefix, timeout=30)
        try:
            first = publisher.deliver("", event(1), ())
            link.cut()
            wait_for(lambda: not publisher.connected(), "the client to see the cut", deadline=60)
            during = publisher.deliver("", event(2), ())
            link.mend()
            after = publisher.deliver("", event(2), ())
        finally:
            publisher.close()

    assert (first.outcome, during.outcome, after.outcome) == (
        Outcome.DELIVERED, Outcome.FAILED, Outcome.DELIVERED
    )  # fmt: skip
    ids = [json.loads(messages.get(timeout=60).payload)["id"] for _ in range(2)]
    assert ids == [1, 2]


def test_the_topic_and_routing_key_of_an_event_without_owner_or_item() -> None:
    bare = FeedEvent(id=5, type="InventoryCompensationConflict", at=datetime.now(UTC),
                     aggregate_id="RSV-5", owner_id=None, correlation_id=None,
                     payload={})  # fmt: skip
    assert routing_key(bare) == "none.InventoryCompensationConflict.none"
    assert topic("p", bare) == "p/none/reservations/InventoryCompensationConflict"


HOSTILE = [
    ("PLANT-A", "x" * 300), ("PLANT-A", "é" * 200), ("o" * 70_000, "SKU-1"),
    ("PL\tA", "SKU\x00#"), ("PL\x7fA\x85", "SKU-1"), ("PL\ufdd0A\U0001fffe", "SKU-1"),
]  # fmt: skip
"""Owner and item ids the API or the ERP may hand on: too long for an AMQP routing key (255
bytes) or an MQTT topic (65,535), or with characters Mosquitto refuses in a topic."""


def test_hostile_owner_and_item_ids_are_published_not_retried_forever(
    exchange: tuple[str, Any], subscriber: tuple[str, queue.Queue[Any]]
) -> None:
    """A routing key or topic the broker refuses would fail the attempt every time, holding back
    every later event of every owner until the first is given up (a dead letter)."""
    name, channel = exchange
    prefix, messages = subscriber
    amqp = AmqpPublisher(AMQP.format(port=RABBITMQ[1]), name, timeout=30)
    mqtts = MqttPublisher(f"mqtt://{MOSQUITTO[0]}:{MOSQUITTO[1]}", prefix, timeout=30)
    events = [event(n, owner=owner, item=item) for n, (owner, item) in enumerate(HOSTILE, 1)]
    try:
        published = [(amqp.deliver("", e, ()), mqtts.deliver("", e, ())) for e in events]
    finally:
        amqp.close()
        mqtts.close()
    assert all(a.outcome is m.outcome is Outcome.DELIVERED for a, m in published), published
    keys = [method.routing_key for method, _, _ in received(channel, len(HOSTILE))]
    assert all(len(key.encode()) <= 255 and key.count(".") == 2 for key in keys), keys
    assert len(set(keys)) == len(keys)
    topics = [messages.get(timeout=60).topic for _ in HOSTILE]
    assert all(t.startswith(prefix + "/") and t.count("/") == prefix.count("/") + 3
               and len(t.encode()) < 1000 for t in topics), topics  # fmt: skip
    assert keys == [routing_key(e) for e in events]  # the key published is the key computed
