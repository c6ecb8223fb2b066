"""The demo's webhook receiver: a local HTTP target on 127.0.0.1 that the demo subscribes to
every event, checking each delivery's Standard Webhooks signature as a real receiver would.

``GET /`` answers what it received (newest last) with whether the signature verified; the
signing secret lives in this process's memory only, never in a file, a log or an answer.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask
from standardwebhooks import Webhook, WebhookVerificationError

from gateway.bootstrap import gateway_of, webhooks_of
from gateway.domain.principal import ALL_OWNERS
from gateway.domain.webhooks import EVENT_TYPES, NewSubscription, SubscriptionState

DEMO_ACTOR = "system:demo"
MAX_BODY = 1024 * 1024
KEPT = 200


class DemoReceiver:
    """A webhook target for the demo; ``start`` binds ``port`` (or any free one if taken)."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._received: deque[dict[str, Any]] = deque(maxlen=KEPT)
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.subscription_id: str | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> DemoReceiver:
        handler = _handler(self)
        try:
            self._server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        except OSError:  # the port is taken (another demo, a test run): any free one
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="demo-webhooks",
                         daemon=True).start()  # fmt: skip
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def subscribe(self, app: Flask) -> str:
        """Subscribe this receiver to every event of every owner (replacing an earlier run's)."""
        gateway = gateway_of(app)
        hooks, uow = webhooks_of(gateway), gateway.store.unit_of_work()
        for earlier in hooks.visible(None):
            if earlier.created_by == DEMO_ACTOR and earlier.state is SubscriptionState.ACTIVE:
                hooks.disable(earlier.id, DEMO_ACTOR, None, uow.audit, "a new demo run")
        wanted = NewSubscription(self.url, frozenset(EVENT_TYPES), frozenset({ALL_OWNERS}))
        made, secret = hooks.subscribe(wanted, DEMO_ACTOR, None, uow.audit)
        uow.commit()
        with self._lock:
            self._secrets = [secret.reveal()]
        self.subscription_id = made.id
        return made.id

    def receive(self, headers: dict[str, str], body: bytes) -> None:
        text = body.decode("utf-8", "replace")
        with self._lock:
            secrets = list(self._secrets)
        found: dict[str, Any] = {"receivedAt": datetime.now(UTC).isoformat()}
        found.update(webhookId=headers.get("webhook-id"), verified=False)
        for secret in secrets:
            try:
                payload = Webhook(secret).verify(text, headers)
            except (WebhookVerificationError, ValueError):
                continue
            found.update(verified=True, type=payload.get("type"), data=payload.get("data"))
            break
        with self._lock:
            self._received.append(found)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._received)


def _handler(receiver: DemoReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.receive(headers, self.rfile.read(length))
            self._answer(204, b"")

        def do_GET(self) -> None:
            self._answer(200, json.dumps(receiver.received(), indent=2).encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass  # the gateway logs its deliveries; the receiver stays quiet

    return Handler
