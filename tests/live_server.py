"""A WSGI app on a real socket (127.0.0.1, ephemeral port) for the length of a ``with``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

from tests.secret_scan import recorded


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Yield the base URL; the server stops when the block ends. Its answers are searched for
    secrets like the test client's (tests/secret_scan.py)."""
    server = make_server("127.0.0.1", 0, recorded(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
