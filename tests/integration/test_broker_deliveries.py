"""Reservation changes published to RabbitMQ and Mosquitto from the event feed (issue 14.2):
real changes through the gateway, real consumers, a broker cut mid-run, two processes on one
PostgreSQL database. Each test has a database of its own (the broker subscriptions have fixed
ids, decision 162)."""

from __future__ import annotations

import json
import os
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pika
import pytest
from flask import Flask
from paho.mqtt.enums import CallbackAPIVersion

from gateway.app import create_app
from gateway.background import broker_drainers_of, drain_webhooks
from gateway.services.webhooks.drainer import WebhookDrainer
from tests.brokers import MOSQUITTO, RABBITMQ, Relay, relay, require
from tests.gateway_process import wait_for
from tests.integration.reservation_helpers import create

AMQP = "amqp://guest:guest@127.0.0.1:{port}/%2F"
Keep = Callable[[list[WebhookDrainer]], list[WebhookDrainer]]


class Consumers:
    """A queue bound to every key of the test's exchange, and an MQTT subscription to the
    test's prefix; what each received, by event id, in arrival order."""

    def __init__(self, exchange: str, prefix: str) -> None:
        self.exchange, self.prefix = exchange, prefix
        self._amqp = pika.BlockingConnection(pika.URLParameters(AMQP.format(port=RABBITMQ[1])))
        self._channel = self._amqp.channel()
        self._channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self._queue = self._channel.queue_declare("", exclusive=True).method.queue
        self._channel.queue_bind(self._queue, exchange, routing_key="#")
        self.amqp: list[tuple[str, dict[str, Any]]] = []
        self._mqtt_inbox: queue.Queue[Any] = queue.Queue()
        self.mqtt: list[tuple[str, dict[str, Any]]] = []
        subscribed = threading.Event()
        self._mqtt = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self._mqtt.on_message = lambda c, u, message: self._mqtt_inbox.put(message)
        self._mqtt.on_subscribe = lambda *args: subscribed.set()
        self._mqtt.on_connect = lambda c, u, f, r, p: c.subscribe(f"{prefix}/#", qos=1)
        self._mqtt.connect(*MOSQUITTO)
        self._mqtt.loop_start()
        if not subscribed.wait(60):  # the fixture never gets to close what was opened
            self.close()
            raise AssertionError("Mosquitto did not acknowledge the subscription in 60 s")

    def poll(self) -> None:
        while True:
            method, _, body = self._channel.basic_get(self._queue, auto_ack=True)
            if method is None:
                break
            self.amqp.append((method.routing_key, json.loads(body)))
        while not self._mqtt_inbox.empty():
            message = self._mqtt_inbox.get()
            self.mqtt.append((message.topic, json.loads(message.payload)))

    def close(self) -> None:
        self._channel.exchange_delete(self.exchange)
        self._amqp.close()
        self._mqtt.disconnect()
        self._mqtt.loop_stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    yield from _fresh_postgres()


def _fresh_postgres() -> Iterator[str]:
    from tests.postgres import fresh_database, server_answers

    if not server_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL on 127.0.0.1:5432 does not answer (required under CI=true)")
        pytest.skip("PostgreSQL on 127.0.0.1:5432 does not answer")
    with fresh_database() as url:
        yield url


@pytest.fixture
def world() -> Iterator[tuple[Consumers, Relay, Relay]]:
    """Consumers, and relays in front of RabbitMQ and Mosquitto the gateway publishes through."""
    require(RABBITMQ, "RabbitMQ")
    require(MOSQUITTO, "Mosquitto")
    suffix = uuid.uuid4().hex[:8]
    with ExitStack() as stack:
        amqp, mqtt_link = (
            stack.enter_context(relay(RABBITMQ)),
            stack.enter_context(relay(MOSQUITTO)),
        )
        consumers = Consumers(f"test-reservations-{suffix}", f"test/{suffix}")
        stack.callback(consumers.close)
        yield consumers, amqp, mqtt_link


def broker_app(settings: dict[str, Any], url: str, world: tuple[Consumers, Relay, Relay]) -> Flask:
    consumers, amqp, mqtt_link = world
    return create_app({
        **settings, "DATABASE_URL": url,
        "AMQP_URL": AMQP.format(port=amqp.port), "AMQP_EXCHANGE": consumers.exchange,
        "MQTT_URL": f"mqtt://127.0.0.1:{mqtt_link.port}", "MQTT_TOPIC_PREFIX": consumers.prefix,
        "WEBHOOK_RETRY_BASE_SECONDS": 0.05, "WEBHOOK_RETRY_MAX_SECONDS": 0.2,
    })  # fmt: skip


@pytest.fixture
def closed_afterwards() -> Iterator[Callable[[list[WebhookDrainer]], list[WebhookDrainer]]]:
    """Drainers whose broker connections are closed when the test ends."""
    made: list[WebhookDrainer] = []

    def keep(drainers: list[WebhookDrainer]) -> list[WebhookDrainer]:
        made.extend(drainers)
        return drainers

    yield keep
    for drainer in made:
        drainer.close()


def drained_until(drainers: list[WebhookDrainer], consumers: Consumers,
                  done: Callable[[], bool], what: str) -> None:  # fmt: skip
    def step() -> bool:
        for drainer in drainers:
            drain_webhooks(drainer)
        consumers.poll()
        return done()

    wait_for(step, what, deadline=90)


def changes(app: Flask, staff: dict[str, str], count: int) -> list[str]:
    """``count`` reservations made and released through the gateway: their ids."""
    made = []
    with app.test_client() as client:
        for _ in range(count):
            created = create(client, staff)
            assert created.status_code == 201, created.get_json()
            reservation = created.get_json()["id"]
            released = client.put(
                f"/api/inventory/reservations/{reservation}/release", headers=staff
            )
            assert released.status_code == 200, released.get_json()
            made.append(created.get_json()["id"])
    return made


def of(received: list[tuple[str, dict[str, Any]]], ids: list[str]) -> list[tuple[str, str]]:
    return [(body["aggregateId"], body["type"]) for _, body in received
            if body["aggregateId"] in ids]  # fmt: skip


def test_every_change_reaches_both_brokers_in_order_with_its_routing_key_and_topic(
    gateway_settings: dict[str, Any], fresh_url: str, staff_a: dict[str, str],
    world: tuple[Consumers, Relay, Relay], closed_afterwards: Keep,
) -> None:  # fmt: skip
    consumers = world[0]
    app = broker_app(gateway_settings, fresh_url, world)
    drainers = closed_afterwards(broker_drainers_of(app))
    made = changes(app, staff_a, 3)
    expected = [(rid, kind) for rid in made for kind in ("InventoryReserved", "InventoryReleased")]

    drained_until(drainers, consumers,
                  lambda: len(of(consumers.amqp, made)) >= 6 and len(of(consumers.mqtt, made)) >= 6,
                  "six changes on each broker")  # fmt: skip

    assert of(consumers.amqp, made) == expected
    assert of(consumers.mqtt, made) == expected
    with app.test_client() as client:  # what /asyncapi.json promises: the feed's Event
        documented = client.get("/openapi.json").get_json()["components"]["schemas"]["Event"]
    for _, body in consumers.amqp + consumers.mqtt:
        assert set(body) == set(documented["properties"]) and body["origin"] == "gateway"
    keys = {key for key, body in consumers.amqp if body["aggregateId"] in made}
    assert keys == {"PLANT-A.InventoryReserved.RM-1002", "PLANT-A.InventoryReleased.RM-1002"}
    topics = {topic for topic, body in consumers.mqtt if body["aggregateId"] in made}
    assert topics == {f"{consumers.prefix}/PLANT-A/reservations/InventoryReserved",
                      f"{consumers.prefix}/PLANT-A/reservations/InventoryReleased"}  # fmt: skip


def test_a_broker_cut_mid_run_loses_nothing_and_holds_back_only_itself(
    gateway_settings: dict[str, Any], fresh_url: str, staff_a: dict[str, str],
    world: tuple[Consumers, Relay, Relay], closed_afterwards: Keep,
) -> None:  # fmt: skip
    consumers, amqp_link, _ = world
    app = broker_app(gateway_settings, fresh_url, world)
    drainers = closed_afterwards(broker_drainers_of(app))
    before = changes(app, staff_a, 2)
    drained_until(drainers, consumers, lambda: len(of(consumers.amqp, before)) >= 4, "4 on AMQP")

    amqp_link.cut()
    during = changes(app, staff_a, 3)
    drained_until(drainers, consumers, lambda: len(of(consumers.mqtt, before + during)) >= 10,
                  "MQTT going on while RabbitMQ is cut off")  # fmt: skip
    amqp_while_cut = of(consumers.amqp, during)
    amqp_link.mend()
    drained_until(drainers, consumers, lambda: len(of(consumers.amqp, before + during)) >= 10,
                  "RabbitMQ catching up")  # fmt: skip

    assert amqp_while_cut == []
    everything = [(rid, kind) for rid in before + during
                  for kind in ("InventoryReserved", "InventoryReleased")]  # fmt: skip
    assert of(consumers.amqp, before + during) == everything  # each once, in order
    assert of(consumers.mqtt, before + during) == everything


@pytest.fixture
def own_postgres() -> Iterator[str]:
    yield from _fresh_postgres()


@pytest.mark.postgres
def test_two_processes_on_one_postgresql_publish_each_event_once_per_broker(
    gateway_settings: dict[str, Any], own_postgres: str, staff_a: dict[str, str],
    world: tuple[Consumers, Relay, Relay], closed_afterwards: Keep,
) -> None:  # fmt: skip
    consumers = world[0]
    apps = [broker_app(gateway_settings, own_postgres, world) for _ in (1, 2)]
    drainers = closed_afterwards([d for app in apps for d in broker_drainers_of(app)])
    made = changes(apps[0], staff_a, 10)
    stop = threading.Event()

    def run(drainer: WebhookDrainer) -> None:
        while not stop.is_set():
            drain_webhooks(drainer)

    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in drainers]
    for thread in threads:
        thread.start()
    try:
        drained_until([], consumers, lambda: (len(of(consumers.amqp, made)) >= 20
                                              and len(of(consumers.mqtt, made)) >= 20),
                      "20 changes on each broker")  # fmt: skip
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    consumers.poll()

    for received in (consumers.amqp, consumers.mqtt):
        ids = [body["id"] for _, body in received if body["aggregateId"] in made]
        assert len(ids) == len(set(ids)) == 20
        assert ids == sorted(ids)
