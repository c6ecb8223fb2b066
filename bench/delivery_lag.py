"""Delivery lag: 1,000 changes committed at a steady rate, pushed to one webhook and to RabbitMQ
by the gateway's own drainers (issue 14); the lag of each is its arrival minus its commit.

The gateway's database is a SQLite file of its own; the changes are committed through its unit
of work as a reservation write commits its event (the API in front of that is measured by the
other rows). The drainers poll every ``WEBHOOK_DRAIN_SECONDS`` (1 s by default), which bounds
the lag from below: an event waits for the next pass, half a period on average.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench.rows import Row
from bench.timing import percentile

CHANGES = 1000
RATE = 100.0
"""Changes committed per second."""
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672/%2F"


def delivery_lag(changes: int = CHANGES, rate: float = RATE) -> list[Row]:
    """Rows for the webhook and the AMQP lag (the latter skipped when RabbitMQ is not there)."""
    from gateway.app import create_app
    from gateway.background import Periodic, broker_drainers_of, drain_webhooks, webhook_drainer
    from gateway.bootstrap import gateway_of, webhooks_of
    from gateway.domain.webhooks import EVENT_TYPES, NewSubscription

    amqp = _answers(("127.0.0.1", 5672))
    exchange = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory(prefix="bench-lag-") as directory, _Receiver() as receiver:
        app = create_app({
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'gateway.db'}",
            "MASTER_KEYS": Fernet.generate_key().decode(), "WEBHOOK_ALLOW_LOOPBACK": True,
            "AMQP_URL": RABBITMQ if amqp else None, "AMQP_EXCHANGE": exchange,
        })  # fmt: skip
        gateway = gateway_of(app)
        uow = gateway.store.unit_of_work()
        new = NewSubscription(receiver.url, frozenset(EVENT_TYPES), frozenset({"*"}))
        webhooks_of(gateway).subscribe(new, "bench", None, uow.audit)
        uow.commit()
        consumer = _AmqpConsumer(exchange) if amqp else None
        drainers = [webhook_drainer(app), *broker_drainers_of(app)]
        seconds = gateway.config.webhooks.drain_seconds
        loops = [Periodic(f"bench-drainer-{i}", seconds, partial(drain_webhooks, d)).start()
                 for i, d in enumerate(drainers)]  # fmt: skip
        try:
            _commit_changes(app, changes, rate)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and (
                len(receiver.lags) < changes or (consumer and len(consumer.lags()) < changes)
            ):
                time.sleep(0.2)
        finally:
            for loop in loops:
                loop.stop()
        rows = [_row("webhook (Standard Webhooks POST)", receiver.lags, changes, seconds)]
        if consumer is not None:
            rows.append(_row("RabbitMQ (persistent, confirmed)", consumer.lags(), changes,
                             seconds))  # fmt: skip
            consumer.close()
        else:
            missing = "not measured: no RabbitMQ on 127.0.0.1:5672"
            rows.append(Row(f"Delivery lag, {changes:,} changes: RabbitMQ", missing,
                            "p99 ≤ 2 drain periods", False))  # fmt: skip
        return rows


def _row(target: str, lags: list[float], changes: int, period: float) -> Row:
    got = sorted(lags)
    if not got:
        return Row(f"Delivery lag, {changes:,} changes: {target}", "nothing arrived",
                   f"p99 ≤ 2 drain periods = {2 * period:.1f} s", False)  # fmt: skip
    p50, p99 = percentile(got, 0.5), percentile(got, 0.99)
    return Row(
        measure=f"Delivery lag, {changes:,} changes at {RATE:.0f}/s: {target}",
        result=f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms ({len(got):,} of {changes:,} "
        f"arrived; drain period {period:g} s)",
        target=f"p99 ≤ 2 drain periods = {2 * period:.1f} s",
        met=len(got) >= changes and p99 <= 2 * period,
        numbers={"p50": p50, "p99": p99, "arrived": len(got), "period": period},
    )


def _commit_changes(app: Any, changes: int, rate: float) -> None:
    start = time.monotonic()
    store = app.extensions["gateway"].store
    for number in range(changes):
        time.sleep(max(0.0, start + number / rate - time.monotonic()))
        aggregate = f"RSV-BENCH-{number}"
        uow = store.unit_of_work()
        uow.events.publish("InventoryReserved", aggregate, {"reservationId": aggregate},
                           "PLANT-A", f"InventoryReserved:{aggregate}")  # fmt: skip
        uow.commit()


def _lag(body: bytes) -> float:
    event = json.loads(body)
    at = event.get("data", event)["at"]
    return (datetime.now(UTC) - datetime.fromisoformat(at)).total_seconds()


class _Receiver:
    """A webhook target on 127.0.0.1 that notes each event's lag once."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        seen: set[str] = set()
        lags = self.lags

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                webhook_id = self.headers.get("webhook-id", "")
                if webhook_id not in seen:
                    seen.add(webhook_id)
                    lags.append(_lag(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def __enter__(self) -> _Receiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _AmqpConsumer:
    """A queue bound to every key of the exchange, read in a thread of its own as messages
    arrive (the lag is taken on arrival)."""

    def __init__(self, exchange: str) -> None:
        import pika

        self._exchange = exchange
        self._connection = pika.BlockingConnection(pika.URLParameters(RABBITMQ))
        self._channel = self._connection.channel()
        self._channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        self._queue = self._channel.queue_declare("", exclusive=True).method.queue
        self._channel.queue_bind(self._queue, exchange, routing_key="#")
        self._lags: list[float] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._consume, daemon=True)
        self._thread.start()

    def _consume(self) -> None:
        for method, _, body in self._channel.consume(self._queue, auto_ack=True,
                                                     inactivity_timeout=0.2):  # fmt: skip
            if self._stopping.is_set():
                break
            if method is not None:
                self._lags.append(_lag(body))
        self._channel.cancel()

    def lags(self) -> list[float]:
        return list(self._lags)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        self._channel.exchange_delete(self._exchange)
        self._connection.close()


def _answers(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=5):
            return True
    except OSError:
        return False
