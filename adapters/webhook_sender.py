"""Webhook deliveries as the Standard Webhooks spec has them, signed by ``standardwebhooks``.

Each attempt checks the URL again (adapters/webhook_destinations.py) and connects to a checked
address, with the name kept for the Host header and for TLS (SNI and the certificate check);
both timeouts are set, redirects are not followed, and at most ``max_response_bytes`` of the
answer are read. Nothing here raises: every failure is an ``Attempt`` the drainer retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

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
        try:
            status = self._post(destination, body.encode(), headers)
        except urllib3.exceptions.HTTPError as error:
            return Attempt(Outcome.FAILED, error=_described(error))
        return attempt_for_status(status)

    def _post(self, destination: Destination, body: bytes, headers: dict[str, str]) -> int:
        pool = self._pool(destination)
        try:
            response = pool.urlopen(
                "POST", destination.target, body=body, headers=headers,
                redirect=False, retries=False, preload_content=False, assert_same_host=False,
            )  # fmt: skip
            try:
                self._drain(response)
                return int(response.status)
            finally:
                response.release_conn()
        finally:
            pool.close()

    def _pool(self, destination: Destination) -> urllib3.HTTPConnectionPool:
        address = destination.addresses[0]  # checked; the name is not resolved again
        if destination.scheme == "https":
            return urllib3.HTTPSConnectionPool(
                address, destination.port, timeout=self._timeout, maxsize=1, retries=False,
                cert_reqs="CERT_REQUIRED", ca_certs=self._ca_bundle,
                server_hostname=destination.host, assert_hostname=destination.host,
            )  # fmt: skip
        return urllib3.HTTPConnectionPool(
            address, destination.port, timeout=self._timeout, maxsize=1, retries=False
        )

    def _drain(self, response: urllib3.BaseHTTPResponse) -> None:
        """Read what the target answers, up to the cap and within the deadline, then stop."""
        started, read = time.monotonic(), 0
        while read <= self._max_bytes and time.monotonic() - started < self._deadline:
            chunk = response.read(CHUNK)
            if not chunk:
                return
            read += len(chunk)
        log.info("webhook answer cut after %d bytes", read)


def _described(error: Exception) -> str:
    """What went wrong, without the URL (its query may carry a token of the receiver's)."""
    reason = getattr(error, "reason", None)
    return type(reason or error).__name__
