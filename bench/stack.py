"""The stack under measurement, in this process on 127.0.0.1: sandbox ERP and gateway."""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet
from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from bench.fixtures import LISTING_OWNER, PLANT, write_fixtures
from sandbox.launcher import GATEWAY_AUDIENCE, Sandbox, start_sandbox

GATEWAY_CLIENT = "reservation-gateway"
ROLES = ("Reservations.Staff", "Reservations.Manager")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """An access line per request on the terminal would be measured as gateway time."""


class GatewayServer:
    """A gateway app on werkzeug's threaded server, on its own daemon thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass
class Stack:
    sandbox: Sandbox
    settings: dict[str, Any]
    gateway: GatewayServer
    state_dir: Path
    _exits: ExitStack

    def set_latency(self, milliseconds: int) -> None:
        """The sandbox's latency knob on both upstreams (inventory SOAP, work-order REST)."""
        for upstream in (self.sandbox.inventory, self.sandbox.workorders):
            upstream.knobs.update({"latency_ms": milliseconds})

    def token(self, owners: tuple[str, ...] = (PLANT,), subject: str = "bench") -> str:
        """A bearer token for the gateway, as the identity provider issues them."""
        token: str = self.sandbox.idp.provider.mint(
            subject=subject, audience=GATEWAY_AUDIENCE, roles=ROLES, owners=owners
        )
        return token

    def headers(self, owners: tuple[str, ...] = (PLANT,)) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(owners)}"}

    def upstream_token(self, audience: str) -> str:
        """A token a hand-written client would hold for one upstream."""
        token: str = self.sandbox.idp.provider.mint(subject=GATEWAY_CLIENT, audience=audience)
        return token

    def empty_app(self) -> GatewayServer:
        """A Flask app answering ``GET /`` with JSON, on the gateway's kind of server."""
        app = Flask("bench.empty")
        app.get("/")(lambda: {"ok": True})
        server = GatewayServer(app)
        self._exits.callback(server.stop)
        return server

    def new_gateway(self) -> GatewayServer:
        """Another gateway process's worth of state: fresh adapters and token cache."""
        server = GatewayServer(_gateway_app(self.settings))
        self._exits.callback(server.stop)
        return server


@contextmanager
def running_stack() -> Iterator[Stack]:
    """Sandbox and gateway on ephemeral ports; everything stops when the block ends."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with ExitStack() as exits:
        state_dir = Path(exits.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        fixtures = write_fixtures(state_dir)
        secret = secrets.token_urlsafe(24)
        sandbox = start_sandbox(state_dir / "sandbox", fixtures, clients={GATEWAY_CLIENT: [secret]})
        exits.callback(sandbox.stop)
        settings = _settings(sandbox, secret, state_dir)
        gateway = GatewayServer(_gateway_app(settings))
        exits.callback(gateway.stop)
        stack = Stack(sandbox, settings, gateway, state_dir, exits)
        _check_ready(stack)
        yield stack


def _settings(sandbox: Sandbox, secret: str, state_dir: Path) -> dict[str, Any]:
    from gateway.demo import gateway_settings

    return {
        **gateway_settings(sandbox.describe(), secret),
        "DATABASE_URL": f"sqlite:///{state_dir / 'gateway.db'}",
        "MASTER_KEYS": Fernet.generate_key().decode(),
        "WORKORDER_WAREHOUSES": {PLANT: "W01"},
    }


def _gateway_app(settings: dict[str, Any]) -> Flask:
    from gateway.app import create_app

    return create_app(settings)


def _check_ready(stack: Stack) -> None:
    answer = requests.get(stack.gateway.url + "/readyz", timeout=30)
    if answer.status_code != 200:
        raise RuntimeError(f"the gateway is not ready: {answer.status_code} {answer.text}")


__all__ = ["LISTING_OWNER", "PLANT", "GatewayServer", "Stack", "running_stack"]
