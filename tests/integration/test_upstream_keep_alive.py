"""Both adapters keep one TCP connection to their upstream open across calls (decision 150).

The sandbox's own apps are served by a werkzeug server that counts the connections it accepts.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest

from adapters.http_session import make_session
from adapters.inventory_soap import InventorySoapClient
from adapters.legacy_inventory import PlantClock
from adapters.resilience import RetryPolicy
from adapters.workorders_rest import WorkOrderRestClient
from gateway.domain.errors import ItemNotFound
from sandbox.faults import CallLog, FaultKnobs
from sandbox.fixtures import load_fixtures
from sandbox.inventory.app import SOAP_PATH, create_inventory_app
from sandbox.inventory.store import InventoryStore
from sandbox.workorders import WorkOrderStore, create_workorders_app
from tests.fakes import FakeTokens

WSDL = str(Path(__file__).parents[2] / "wsdl" / "inventory.wsdl")
TOKEN = "keep-alive-token"
ZONE = ZoneInfo("Europe/Berlin")


def accept_only_our_token(token: str) -> dict[str, Any]:
    if token != TOKEN:
        raise ValueError("token rejected")
    return {}


class CountingServer:
    """A WSGI app on 127.0.0.1 over HTTP/1.1 keep-alive, counting accepted connections.

    werkzeug's development server (the sandbox's) closes every connection after one answer,
    so it cannot show reuse; http.server keeps a connection open while the client does.
    """

    def __init__(self, app: Any) -> None:
        self.connections = 0
        self.requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(app, self))
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler_for(app: Any, counts: CountingServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:  # once per accepted connection
            counts.connections += 1
            super().setup()

        def serve(self) -> None:
            counts.requests += 1
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer: dict[str, Any] = {}

            def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
                answer.update(status=status, headers=headers)
                return lambda data: None

            chunks = app(self._environ(body), start_response)
            data = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
            self.send_response(int(answer["status"][:3]), answer["status"][4:])
            for name, value in answer["headers"]:
                if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = serve

        def _environ(self, body: bytes) -> dict[str, Any]:
            path, _, query = self.path.partition("?")
            environ = {
                "REQUEST_METHOD": self.command, "SCRIPT_NAME": "", "PATH_INFO": unquote(path),
                "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": str(self.server.server_address[1]),
                "SERVER_PROTOCOL": self.request_version, "REMOTE_ADDR": self.client_address[0],
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)), "wsgi.version": (1, 0),
                "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
                "wsgi.errors": sys.stderr, "wsgi.multithread": True,
                "wsgi.multiprocess": False, "wsgi.run_once": False,
            }  # fmt: skip
            for name, value in self.headers.items():
                environ["HTTP_" + name.upper().replace("-", "_")] = value
            return environ

        def log_message(self, *args: Any) -> None:
            """Quiet."""

    return Handler


@pytest.fixture
def inventory_server(tmp_path: Path) -> Iterator[CountingServer]:
    store = InventoryStore(tmp_path / "inventory.db")
    store.seed(load_fixtures(None))
    server = CountingServer(
        create_inventory_app(store, accept_only_our_token, FaultKnobs(), CallLog(), ZONE)
    )
    yield server
    server.stop()


@pytest.fixture
def workorders_server(tmp_path: Path) -> Iterator[CountingServer]:
    store = WorkOrderStore(tmp_path / "workorders.db")
    store.seed(load_fixtures(None))
    server = CountingServer(
        create_workorders_app(store, accept_only_our_token, FaultKnobs(), CallLog())
    )
    yield server
    server.stop()


def test_two_inventory_calls_share_one_connection(inventory_server: CountingServer) -> None:
    inventory = InventorySoapClient(
        f"{inventory_server.url}{SOAP_PATH}", WSDL, make_session(), FakeTokens(TOKEN),
        "api://sandbox-inventory/.default", PlantClock(ZONE.key), retry=RetryPolicy(attempts=1),
    )  # fmt: skip

    inventory.get_item("RM-1001")
    with pytest.raises(ItemNotFound):  # a fault answer (HTTP 500) keeps the connection too
        inventory.get_item("NO-SUCH-ITEM")
    inventory.get_item("RM-1003")

    assert inventory_server.requests == 3
    assert inventory_server.connections == 1


def test_two_work_order_calls_share_one_connection(workorders_server: CountingServer) -> None:
    work_orders = WorkOrderRestClient(
        workorders_server.url,
        make_session(),
        FakeTokens(TOKEN),
        "api://sandbox-workorders/.default",
    )
    recipe = load_fixtures(None)["recipes"][0]["name"]

    work_orders.get_recipe(recipe)
    work_orders.get_recipe(recipe)

    assert workorders_server.requests == 2
    assert workorders_server.connections == 1


def test_a_proxy_named_after_building_is_not_used(
    workorders_server: CountingServer, inventory_server: CountingServer, monkeypatch: Any
) -> None:
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    work_orders = WorkOrderRestClient(
        workorders_server.url,
        make_session(),
        FakeTokens(TOKEN),
        "api://sandbox-workorders/.default",
    )
    monkeypatch.setenv("HTTP_PROXY", inventory_server.url)  # would answer 404 to every path
    recipe = load_fixtures(None)["recipes"][0]["name"]

    assert work_orders.get_recipe(recipe).name == recipe
    assert inventory_server.connections == 0
