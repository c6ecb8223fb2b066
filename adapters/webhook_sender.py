"""Webhook deliveries as the Standard Webhooks spec has them, signed by ``standardwebhooks``.

Each attempt checks the URL again (adapters/webhook_destinations.py) and connects to a checked
address, with the name kept for the Host header and for TLS (SNI and the certificate check);
both timeouts are set, redirects are not followed, and at most ``max_response_bytes`` of the
answer are read. An attempt has a deadline (connect plus read timeout) enforced on its socket,
so a target answering a byte at a time (each within the read timeout) cannot hold the drainer,
and every subscription after it, for longer. Nothing here raises: every failure is an
``Attempt`` the drainer retries.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import certifi
import simplejson
import urllib3
from standardwebhooks import Webhook

from adapters.webhook_destinations import Destination, DestinationGuard
from gateway.domain.credentials import Secret
from gateway.domain.errors import DestinationRefused
from gateway.domain.webhooks import Attempt, FeedEvent, Outcome, attempt_for_status

log = logging.getLogger(__name__)
USER_AGENT = "reservation-gateway-webhooks/1"
CHUNK = 16 * 1024


def signed_headers(
    event: FeedEvent, body: str, secrets: Sequence[Secret], now: datetime
) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` and one ``v1,`` signature per secret (the current
    one and any still in its grace period, space-separated as the spec allows)."""
    signatures = [Webhook(secret.reveal()).sign(event.message_id, now, body) for secret in secrets]
    return {
        "webhook-id": event.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def render(event: FeedEvent) -> str:
    """The body, quantities as exact JSON numbers (as the REST feed writes them)."""
    return str(simplejson.dumps(event.body(), use_decimal=True, separators=(",", ":")))


class StandardWebhookSender:
    """The webhook target: one POST per attempt, to a pinned, checked address."""

    def __init__(
        self,
        guard: DestinationGuard,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        max_response_bytes: int = 64 * 1024,
        ca_bundle: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.guard = guard
        self._timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self._deadline = connect_timeout + read_timeout
        self._max_bytes = max_response_bytes
        self._ca_bundle = ca_bundle or certifi.where()
        self._clock = clock

    def deliver(self, url: str, event: FeedEvent, secrets: Sequence[Secret]) -> Attempt:
        """One attempt to deliver ``event`` to ``url``."""
        try:
            destination = self.guard.check(url)
        except DestinationRefused as refused:
            return Attempt(Outcome.FAILED, error=f"destination refused: {refused.detail}")
        body = render(event)
        headers = {**signed_headers(event, body, secrets, self._clock()),
                   "host": destination.host_header}  # fmt: skip
        deadline = _Deadline(self._deadline)
        try:
            with deadline:
                status = self._post(destination, body.encode(), headers, deadline)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as error:
            if deadline.expired:
                return Attempt(Outcome.FAILED, error=f"no answer within {self._deadline:g} s")
            return Attempt(Outcome.FAILED, error=_described(error))
        return attempt_for_status(status)

    def _post(
        self, destination: Destination, body: bytes, headers: dict[str, str], deadline: _Deadline
    ) -> int:
        pool = self._pool(destination, deadline)
        try:
            response = pool.urlopen(
                "POST", destination.target, body=body, headers=headers,
                redirect=False, retries=False, preload_content=False, assert_same_host=False,
            )  # fmt: skip
            try:
                if deadline.expired:  # cut before the headers ended: no answer
                    raise TimeoutError
                self._drain(response)
                return int(response.status)
            finally:
                response.release_conn()
        finally:
            pool.close()

    def _pool(self, destination: Destination, deadline: _Deadline) -> urllib3.HTTPConnectionPool:
        address = destination.addresses[0]  # checked; the name is not resolved again
        pool: urllib3.HTTPConnectionPool
        if destination.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, destination.port, timeout=self._timeout, maxsize=1, retries=False,
                cert_reqs="CERT_REQUIRED", ca_certs=self._ca_bundle,
                server_hostname=destination.host, assert_hostname=destination.host,
                deadline=deadline,
            )  # fmt: skip
            pool.ConnectionCls = _WatchedHTTPSConnection
            return pool
        pool = urllib3.HTTPConnectionPool(
            address, destination.port, timeout=self._timeout, maxsize=1, retries=False,
            deadline=deadline,
        )  # fmt: skip
        pool.ConnectionCls = _WatchedHTTPConnection
        return pool

    def _drain(self, response: urllib3.BaseHTTPResponse) -> None:
        """Read what the target answers, up to the cap and within the deadline, then stop."""
        started, read = time.monotonic(), 0
        try:
            while read <= self._max_bytes and time.monotonic() - started < self._deadline:
                chunk = response.read(CHUNK)
                if not chunk:
                    return
                read += len(chunk)
        except urllib3.exceptions.HTTPError:  # cut at the deadline: the status stands
            pass
        log.info("webhook answer cut after %d bytes", read)


class _Deadline:
    """Shuts an attempt's socket down once its time is up, wherever the attempt is blocked (the
    TLS handshake, the status line, a header, the body): a socket timeout bounds one read only.
    """

    def __init__(self, seconds: float) -> None:
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []
        self.expired = False

    def watch(self, sock: socket.socket) -> None:
        """``sock``, shut down at the deadline (a duplicate of it: TLS takes the original)."""
        with self._lock:
            self._watched.append(sock.dup())
            if self.expired:
                self._shut()

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._watched:
                sock.close()
            self._watched.clear()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        for sock in self._watched:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._deadline.watch(sock)
        return sock


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._deadline.watch(sock)
        return sock


def _described(error: Exception) -> str:
    """What went wrong, without the URL (its query may carry a token of the receiver's)."""
    reason = getattr(error, "reason", None)
    return type(reason or error).__name__
