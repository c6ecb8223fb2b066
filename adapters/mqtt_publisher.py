"""Reservation events published over MQTT 5 (paho-mqtt): QoS 1 on
``<prefix>/<owner>/reservations/<event type>``, the correlation id as a user property
(issue 14.2).

A message is delivered once the broker acknowledged it (PUBACK); no connection, a cut one or no
PUBACK in time is an attempt that failed, tried again by the drainer from the feed. A topic level
never carries ``/``, ``+``, ``#``, a control character, a noncharacter or a lone surrogate from an
owner id (replaced by ``_``: Mosquitto drops a client that publishes them, so the event would
fail until given up), nor more than ``PART_BYTES`` of it. Nothing here raises.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from adapters.amqp_publisher import bounded, message_body
from gateway.domain.credentials import Secret
from gateway.domain.webhooks import Attempt, FeedEvent, Outcome

log = logging.getLogger(__name__)


def _refused(char: str) -> bool:
    """What Mosquitto refuses in a topic (control characters, surrogates, noncharacters) and
    what would change a topic's meaning (``/``, ``+``, ``#``)."""
    code = ord(char)
    return (
        char in "/+#" or code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
        or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    )  # fmt: skip


def _level(text: str) -> str:
    return "".join("_" if _refused(char) else char for char in text)


def topic(prefix: str, event: FeedEvent) -> str:
    """``<prefix>/<owner>/reservations/<event type>``."""
    owner = _level(bounded(event.owner_id or "none"))
    return f"{prefix}/{owner}/reservations/{event.type}"


class MqttPublisher:
    """The MQTT target: one client per process, its network loop in a thread of its own."""

    def __init__(self, url: str, prefix: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self._tls = parts.scheme in ("mqtts", "ssl")
        self._username, self._password = parts.username, parts.password
        self._prefix = prefix
        self._timeout = timeout
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()

    def deliver(self, url: str, event: FeedEvent, secrets: Sequence[Secret]) -> Attempt:
        """Publish ``event`` with QoS 1 and wait for the broker's PUBACK."""
        with self._lock:
            try:
                client = self._open()
                sent = client.publish(topic(self._prefix, event), message_body(event), qos=1,
                                      properties=_properties(event))  # fmt: skip
                if sent.rc != mqtt.MQTT_ERR_SUCCESS:
                    raise ConnectionError(mqtt.error_string(sent.rc))
                sent.wait_for_publish(timeout=self._timeout)
                if not sent.is_published():
                    raise TimeoutError(f"no PUBACK within {self._timeout} s")
            except (OSError, RuntimeError, ValueError) as error:
                self._close()
                reason = f"{type(error).__name__}: {error}"[:300]
                log.warning("MQTT publish of event %s failed: %s", event.id, reason)
                return Attempt(Outcome.FAILED, error=reason)
        return Attempt(Outcome.DELIVERED)

    def connected(self) -> bool:
        """Whether the client holds a connection now (it notices a cut one on its own)."""
        client = self._client
        return client is not None and client.is_connected()

    def close(self) -> None:
        with self._lock:
            self._close()

    def _open(self) -> mqtt.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        self._close()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5,
                             client_id=f"reservation-gateway-{uuid.uuid4().hex[:12]}")  # fmt: skip
        if self._username is not None:
            client.username_pw_set(self._username, self._password)
        if self._tls:
            client.tls_set()
        connected = threading.Event()
        client.on_connect = lambda c, userdata, flags, reason, props: (
            connected.set() if not reason.is_failure else None
        )
        client.connect(self._host, self._port, keepalive=30)
        client.loop_start()
        self._client = client  # closed on failure below
        if not connected.wait(self._timeout):
            raise TimeoutError(f"no CONNACK from {self._host}:{self._port} in {self._timeout} s")
        return client

    def _close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()


def _properties(event: FeedEvent) -> Properties:
    properties = Properties(PacketTypes.PUBLISH)
    properties.ContentType = "application/json"
    if event.correlation_id:
        properties.CorrelationData = event.correlation_id.encode()
    properties.UserProperty = [("correlationId", event.correlation_id or ""),
                               ("eventId", event.message_id)]  # fmt: skip
    return properties
