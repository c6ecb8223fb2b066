"""Reservation events published to RabbitMQ (AMQP 0-9-1, pika): a durable topic exchange,
persistent messages, publisher confirms (issue 14.2).

The routing key is ``<owner>.<event type>.<item>``, each part with the characters that would
change its meaning (``.`` separates words; ``*`` and ``#`` are wildcards in binding keys)
replaced by ``_``, and an owner or item id longer than ``PART_BYTES`` cut there and ended with a
hash of the whole id (the key stays under AMQP's 255 bytes, distinct per id; a longer key was
refused, so the event failed every attempt until given up, holding back every later one). A
message is delivered once the broker confirmed it; anything else — no
connection, a cut connection, a nack — is an attempt that failed, tried again by the drainer
(the feed keeps the event). Nothing here raises.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import pika
import simplejson
from pika.adapters.blocking_connection import BlockingChannel

from gateway.domain.credentials import Secret
from gateway.domain.webhooks import Attempt, FeedEvent, Outcome

log = logging.getLogger(__name__)
PERSISTENT = 2
NOT_A_WORD = re.compile(r"[.*#\s]")
PART_BYTES = 100
"""At most this much (UTF-8) of an owner or item id in a routing key or topic."""


def bounded(part: str, limit: int = PART_BYTES) -> str:
    """``part``, or if longer than ``limit`` bytes its start and ``~`` and a hash of all of it."""
    if len(part.encode(errors="surrogatepass")) <= limit:
        return part
    digest = hashlib.sha256(part.encode(errors="surrogatepass")).hexdigest()[:16]
    start = part.encode(errors="replace")[: limit - len(digest) - 1]
    return start.decode(errors="ignore") + "~" + digest


def routing_key(event: FeedEvent) -> str:
    """``<owner>.<event type>.<item>``: a consumer binds e.g. ``PLANT-A.InventoryReserved.*``."""
    item = str(event.payload.get("itemSkuId") or "none")
    return ".".join(NOT_A_WORD.sub("_", bounded(part)) for part in (event.owner_id or "none",
                                                                    event.type, item))  # fmt: skip


def message_body(event: FeedEvent) -> bytes:
    """The event as the REST feed writes it (quantities as exact JSON numbers)."""
    data = event.body()["data"]
    return simplejson.dumps(data, use_decimal=True, separators=(",", ":")).encode()


class AmqpPublisher:
    """The AMQP target: one connection per process, opened on first use and after a failure."""

    def __init__(self, url: str, exchange: str, timeout: float = 10.0) -> None:
        self._parameters = pika.URLParameters(url)
        self._parameters.socket_timeout = timeout
        self._parameters.blocked_connection_timeout = timeout
        self._parameters.connection_attempts = 1
        self._exchange = exchange
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None
        self._lock = threading.Lock()  # pika's blocking connection is not thread-safe

    def deliver(self, url: str, event: FeedEvent, secrets: Sequence[Secret]) -> Attempt:
        """Publish ``event`` and wait for the broker's confirm."""
        with self._lock:
            try:
                self._open().basic_publish(
                    self._exchange,
                    routing_key(event),
                    message_body(event),
                    properties=_properties(event),
                )
            except (pika.exceptions.AMQPError, OSError) as error:
                self._close()
                reason = f"{type(error).__name__}: {error}"[:300]
                log.warning("AMQP publish of event %s failed: %s", event.id, reason)
                return Attempt(Outcome.FAILED, error=reason)
        return Attempt(Outcome.DELIVERED)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self._close()
        self._connection = pika.BlockingConnection(self._parameters)
        channel = self._connection.channel()
        channel.confirm_delivery()  # basic_publish now raises on a nack or a returned message
        channel.exchange_declare(self._exchange, exchange_type="topic", durable=True)
        self._channel = channel
        return channel

    def _close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with suppress(pika.exceptions.AMQPError, OSError):  # it is being thrown away
                connection.close()


def _properties(event: FeedEvent) -> Any:
    return pika.BasicProperties(
        content_type="application/json",
        delivery_mode=PERSISTENT,
        message_id=event.message_id,
        correlation_id=event.correlation_id,
        type=event.type,
        timestamp=int(event.at.timestamp()),
        app_id="reservation-gateway",
    )
