"""A real webhook target on 127.0.0.1 for tests: records every request, answers as told, and
stops when its block ends."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    status: int = 204
    """What it answers now; change it while it runs (503 = down, 410 = gone)."""
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[Received]:
        """Requests it answered with a 2xx, in arrival order."""
        with self.lock:
            return [r for r in self.requests if r.headers.get("x-answered", "")[:1] == "2"]

    def verified(self, secret: str) -> list[dict[str, Any]]:
        """The accepted bodies, each signature checked with the standardwebhooks verifier."""
        checker = Webhook(secret)
        return [checker.verify(r.body, r.headers) for r in self.accepted()]


@contextmanager
def webhook_receiver(status: int = 204, port: int = 0) -> Iterator[Receiver]:
    """A threaded HTTP server on 127.0.0.1 (``port``, else an ephemeral one), for the block."""
    receiver: Receiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert receiver is not None
            length = int(self.headers.get("Content-Length", 0))
            got = Received({k.lower(): v for k, v in self.headers.items()},
                           self.rfile.read(length).decode())  # fmt: skip
            answered = receiver.answer(got) if receiver.answer else receiver.status
            got.headers["x-answered"] = str(answered)
            with receiver.lock:
                receiver.requests.append(got)
            self.send_response(answered)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks", status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
