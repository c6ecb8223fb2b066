"""Two gateway processes (gunicorn, background work on) on one PostgreSQL deliver each event to
a webhook and to RabbitMQ once, in feed order, whichever process made the change (decisions 160,
162)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pika
import pytest
import requests

from tests.brokers import RABBITMQ, require
from tests.gateway_process import answers, free_port, wait_for
from tests.integration.reservation_helpers import body
from tests.secret_scan import SecretScan
from tests.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


AMQP = f"amqp://guest:guest@{RABBITMQ[0]}:{RABBITMQ[1]}/%2F"


@pytest.fixture(scope="module")
def amqp_queue() -> Iterator[tuple[str, Any]]:
    """A fresh exchange both gateways publish to, and a queue bound to all of it."""
    require(RABBITMQ, "RabbitMQ")
    exchange = f"test-two-gateways-{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="#")
    channel.consumed_queue = queue  # type: ignore[attr-defined]
    try:
        yield exchange, channel
    finally:
        channel.exchange_delete(exchange)
        connection.close()


@pytest.fixture(scope="module")
def gateways(
    gateway_settings: dict[str, Any], postgres_url: str, amqp_queue: tuple[str, Any]
) -> Iterator[list[str]]:
    env = {
        **os.environ,
        **{f"GATEWAY_{k}": str(v) for k, v in gateway_settings.items() if v is not None},
        "GATEWAY_DATABASE_URL": postgres_url,
        "GATEWAY_WEBHOOK_ALLOW_LOOPBACK": "true",
        "GATEWAY_WEBHOOK_DRAIN_SECONDS": "0.1",
        "GATEWAY_AMQP_URL": AMQP,
        "GATEWAY_AMQP_EXCHANGE": amqp_queue[0],
    }
    ports = [free_port(), free_port()]
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve"]
    processes = [
        subprocess.Popen(
            [*command, "--workers", "1", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_for(lambda url=url: answers(url), f"{url} to start")
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def test_two_gateway_processes_deliver_each_event_once(
    gateways: list[str], receiver: Receiver, staff_a: dict[str, str],
    mint: Callable[..., str], secret_scan: SecretScan, amqp_queue: tuple[str, Any],
) -> None:  # fmt: skip
    admin = {"Authorization": f"Bearer {mint(('Gateway.Admin',), ('PLANT-A',))}"}
    made = requests.post(gateways[0] + "/admin/subscriptions", headers=admin,
                         json={"url": receiver.url}, timeout=30)  # fmt: skip
    assert made.status_code == 201, made.text
    subscription_id, secret = made.json()["id"], made.json()["secret"]
    secret_scan.shown_once(secret)
    reservations: list[str] = []
    try:
        for number in range(12):  # changes through both processes, alternately
            url = gateways[number % 2] + "/api/inventory/reservations"
            answer = requests.post(url, headers=staff_a, json=body(), timeout=30)
            assert answer.status_code == 201, answer.text
            reservations.append(answer.json()["id"])

        def mine() -> list[str]:
            return [b["data"]["aggregateId"] for b in receiver.verified(secret)
                    if b["data"]["aggregateId"] in reservations]  # fmt: skip

        published: list[dict[str, Any]] = []

        def on_rabbitmq() -> list[int]:
            channel = amqp_queue[1]
            while True:
                method, _, message = channel.basic_get(channel.consumed_queue, auto_ack=True)
                if method is None:
                    break
                published.append(json.loads(message))
            return [e["id"] for e in published if e["aggregateId"] in reservations]

        wait_for(lambda: len(mine()) >= 12, "12 deliveries", deadline=60)
        wait_for(lambda: len(on_rabbitmq()) >= 12, "12 messages on RabbitMQ", deadline=60)
        seen = requests.get(f"{gateways[1]}/admin/subscriptions/{subscription_id}/deliveries",
                            headers=admin, timeout=30).json()["deliveries"]  # fmt: skip
    finally:  # disabled even on a timeout: later drainers on this database leave it alone
        requests.post(f"{gateways[1]}/admin/subscriptions/{subscription_id}/disable",
                      headers=admin, timeout=30)  # fmt: skip
    ids = [r.id for r in receiver.accepted()]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert sorted(mine()) == sorted(reservations) and len(mine()) == 12
    numbers = [int(i.removeprefix("evt_")) for i in ids]
    assert numbers == sorted(numbers)
    assert all(d["state"] == "delivered" and d["attempts"] == 1 for d in seen)
    on_broker = on_rabbitmq()
    assert len(on_broker) == len(set(on_broker)) == 12 and on_broker == sorted(on_broker)
