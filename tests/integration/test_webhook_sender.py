"""The webhook sender against real HTTP servers on 127.0.0.1: pinned to the checked address, no
redirects, an answer cap and a read timeout (adapters/webhook_sender.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from adapters.webhook_destinations import DestinationGuard, DestinationPolicy
from adapters.webhook_sender import StandardWebhookSender
from gateway.domain.webhooks import FeedEvent, Outcome, new_signing_secret
from sandbox.idp.ca import ensure_tls_files, server_ssl_context
from tests.webhook_receiver import webhook_receiver

EVENT = FeedEvent(1, "InventoryReserved", datetime.now(UTC), "RSV-1", "PLANT-A", None, {})
SECRETS = [new_signing_secret()]


def sender(
    names: dict[str, Sequence[str]] | None = None, read_timeout: float = 5.0
) -> StandardWebhookSender:
    def resolve(host: str, port: int) -> Sequence[str]:
        return (names or {}).get(host, [host])

    guard = DestinationGuard(DestinationPolicy.of((), (), allow_loopback=True), resolve)
    return StandardWebhookSender(
        guard, connect_timeout=2.0, read_timeout=read_timeout, max_response_bytes=64 * 1024
    )


@contextmanager
def server(handle: Any) -> Iterator[str]:
    """A server whose every request ``handle(handler)`` answers; its URL for the block."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            handle(self)

        def log_message(self, *args: Any) -> None:
            pass

    running = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    running.daemon_threads = True
    threading.Thread(target=running.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{running.server_address[1]}/hooks"
    finally:
        running.shutdown()
        running.server_close()


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host() -> None:
    with webhook_receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        named = sender({"hooks.plant.test": ["127.0.0.1"]})
        attempt = named.deliver(f"http://hooks.plant.test:{port}/hooks", EVENT, SECRETS)
    assert attempt.outcome is Outcome.DELIVERED
    assert receiver.requests[0].headers["host"] == f"hooks.plant.test:{port}"


def test_a_name_that_resolves_elsewhere_at_delivery_time_is_not_called() -> None:
    answers = iter([["127.0.0.1"], ["127.0.0.1", "10.0.0.7"]])

    def rebinding(host: str, port: int) -> Sequence[str]:
        return next(answers)

    guard = DestinationGuard(DestinationPolicy.of((), (), True), rebinding)
    with webhook_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "rebind.test")
        guard.check(url)  # at registration: loopback, allowed here
        attempt = StandardWebhookSender(guard).deliver(url, EVENT, SECRETS)
    assert attempt.outcome is Outcome.FAILED
    assert attempt.error is not None and "10.0.0.7" in attempt.error
    assert receiver.requests == []


def test_a_redirect_is_not_followed() -> None:
    with webhook_receiver() as elsewhere:

        def redirect(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(307)
            handler.send_header("Location", elsewhere.url)
            handler.send_header("Content-Length", "0")
            handler.end_headers()

        with server(redirect) as url:
            attempt = sender().deliver(url, EVENT, SECRETS)
    assert (attempt.outcome, attempt.status) == (Outcome.FAILED, 307)
    assert elsewhere.requests == []


def test_an_endless_answer_is_read_up_to_the_cap_only() -> None:
    stopped = threading.Event()

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 65536
        try:
            for _ in range(10_000):  # 640 MiB unless the sender stops reading
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            stopped.set()

    with server(endless) as url:
        started = time.monotonic()
        attempt = sender().deliver(url, EVENT, SECRETS)
        took = time.monotonic() - started
        assert stopped.wait(10), "the sender kept reading"
    assert attempt.outcome is Outcome.DELIVERED and took < 5


def test_a_target_that_never_answers_fails_after_the_read_timeout() -> None:
    release = threading.Event()

    def silent(handler: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    with server(silent) as url:
        started = time.monotonic()
        attempt = sender(read_timeout=0.5).deliver(url, EVENT, SECRETS)
        took = time.monotonic() - started
        release.set()
    assert attempt.outcome is Outcome.FAILED and attempt.error == "ReadTimeoutError"
    assert took < 3


@contextmanager
def https_receiver(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A TLS receiver on 127.0.0.1 whose certificate names localhost and 127.0.0.1."""
    files = ensure_tls_files(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    running = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    running.socket = server_ssl_context(files).wrap_socket(running.socket, server_side=True)
    running.daemon_threads = True
    threading.Thread(target=running.serve_forever, daemon=True).start()
    try:
        yield str(files.ca_path), running.server_address[1]
    finally:
        running.shutdown()
        running.server_close()


def test_https_checks_the_certificate_against_the_name_while_connected_to_the_address(
    tmp_path: Path,
) -> None:
    with https_receiver(tmp_path) as (ca_bundle, port):
        names = {"localhost": ["127.0.0.1"], "hooks.plant.test": ["127.0.0.1"]}
        guard = DestinationGuard(DestinationPolicy.of((), (), True), lambda h, p: names[h])
        tls = StandardWebhookSender(guard, ca_bundle=ca_bundle)
        right = tls.deliver(f"https://localhost:{port}/hooks", EVENT, SECRETS)
        wrong = tls.deliver(f"https://hooks.plant.test:{port}/hooks", EVENT, SECRETS)
    assert right.outcome is Outcome.DELIVERED
    # The certificate holds 127.0.0.1 too: refusing it proves the name, not the address, counts.
    assert wrong.outcome is Outcome.FAILED and wrong.error in (
        "SSLError",
        "SSLCertVerificationError",
    ), wrong.error
