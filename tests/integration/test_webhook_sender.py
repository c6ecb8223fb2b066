"""The webhook sender against real HTTP servers on 127.0.0.1: pinned to the checked address, no
redirects, an answer cap and a read timeout (adapters/webhook_sender.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

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
    assert attempt.outcome is Outcome.DELIVERED and took < 10  # the target offers 640 MiB


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
    assert took < 10  # well short of the target's 30 s silence, with room for a busy machine


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


@contextmanager
def dripping(first: bytes) -> Iterator[str]:
    """A raw target that reads the request, sends ``first``, then one byte every 0.2 s (each
    well within the read timeout) until the block ends or the sender hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(first)
                while not stop.wait(0.2):
                    conn.sendall(b"x")
            except OSError:
                pass

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    finally:
        stop.set()
        listener.close()


@pytest.mark.parametrize(
    ("first", "outcome"),
    [
        (b"HTTP/1.1 200 OK\r\nX-Slow: ", Outcome.FAILED),  # the headers never end
        (b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n", Outcome.DELIVERED),
    ],
)
def test_a_target_dripping_its_answer_is_cut_at_the_deadline(
    first: bytes, outcome: Outcome
) -> None:
    """Connect 0.5 s + read 1 s: the attempt ends by then, whatever the target keeps sending,
    so a slow target cannot hold back the subscriptions the drainer serves after it."""
    guard = DestinationGuard(DestinationPolicy.of((), (), allow_loopback=True))
    slow = StandardWebhookSender(guard, connect_timeout=0.5, read_timeout=1.0)
    attempts: list[Any] = []
    with dripping(first) as url:
        started = time.monotonic()
        worker = threading.Thread(target=lambda: attempts.append(slow.deliver(url, EVENT, SECRETS)))
        worker.start()
        worker.join(30)
        took = time.monotonic() - started
    # well past the 1.5 s deadline (a busy machine), well short of a drip without end
    assert not worker.is_alive() and took < 10, f"still sending after {took:.1f} s"
    assert attempts[0].outcome is outcome


def test_an_internationalized_host_is_resolved_and_sent_as_its_ascii_name() -> None:
    """The Host header carries the IDNA name (a Cyrillic host made the sender raise)."""
    with webhook_receiver() as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        named = sender({"xn--80a.test": ["127.0.0.1"]})
        attempt = named.deliver(f"http://\u0430.test:{port}/hooks", EVENT, SECRETS)
    assert attempt.outcome is Outcome.DELIVERED
    assert receiver.requests[0].headers["host"] == f"xn--80a.test:{port}"
