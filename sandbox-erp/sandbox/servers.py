"""Run WSGI apps on real sockets in background threads (127.0.0.1, ephemeral ports)."""

from __future__ import annotations

import ssl
import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """The sandbox's access log would drown the gateway's; keep it quiet."""


class BackgroundServer:
    """A threaded werkzeug server on its own daemon thread."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=ssl_context,
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        scheme = "https" if ssl_context else "http"
        self.host = host
        self.port = self._server.server_port
        self.url = f"{scheme}://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns at once, not after 0.5 s
            name=f"server-{self.port}",
            daemon=True,
        )

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
