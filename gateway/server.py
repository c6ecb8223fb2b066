"""`gateway serve`: the gateway under gunicorn, several worker processes, JSON logs.

Every worker runs the expiry sweeper and the outbox worker too; both are safe with several
processes (docs/decisions/021-servers.md), so no worker is special.
"""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from gateway.app import create_app
from gateway.background import start_background_work
from gateway.config import read_settings
from gateway.observability.logs import configure_logging
from gateway.observability.multiprocess import forget_worker, metrics_directory


class GatewayServer(BaseApplication):
    """gunicorn, configured here rather than from a file; one app per worker process."""

    def __init__(self, options: dict[str, Any], public_url: str) -> None:
        self._options = options
        self._public_url = public_url
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        configured = read_settings().get("PUBLIC_URL")
        return create_app({"PUBLIC_URL": configured or self._public_url})


def serve(host: str, port: int, workers: int, threads: int = 8) -> None:
    """Run until SIGTERM/SIGINT; gunicorn stops the workers gracefully."""
    configure_logging()
    with metrics_directory():
        _run(host, port, workers, threads)


def _run(host: str, port: int, workers: int, threads: int) -> None:
    GatewayServer(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gateway.server_errors.GatewayWorker",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": None,  # the gateway logs each request itself, as JSON
            "post_worker_init": _start_background,
            "child_exit": lambda _server, worker: forget_worker(worker.pid),
        },
        public_url=f"http://{host}:{port}",
    ).run()


def _start_background(worker: Any) -> None:
    """In each worker, once its app is loaded: JSON logs, sweeper and outbox worker."""
    configure_logging()
    worker.background = start_background_work(worker.wsgi)
