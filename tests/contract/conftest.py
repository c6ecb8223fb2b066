"""Each port twice: its fake, and its real adapter talking to the sandbox over a real socket.

Both are seeded with the same world (the sandbox's fixture format), fresh for every test, so
the contract tests can hold them to the very same assertions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from adapters.http_session import make_session
from adapters.inventory_soap import InventorySoapClient
from adapters.legacy_inventory import PlantClock
from adapters.resilience import RetryPolicy
from adapters.workorders_rest import WorkOrderRestClient
from gateway.services.ports import InventoryPort, WorkOrderPort
from sandbox.faults import CallLog, FaultKnobs
from sandbox.inventory.app import SOAP_PATH, create_inventory_app
from sandbox.inventory.store import InventoryStore
from sandbox.servers import BackgroundServer
from sandbox.workorders import WorkOrderStore, create_workorders_app
from tests.contract.worlds import INVENTORY_WORLD, WORK_ORDER_WORLD, ZONE
from tests.fakes import FakeTokens
from tests.fakes.from_fixtures import inventory_from_fixtures, work_orders_from_fixtures

WSDL = str(Path(__file__).parents[2] / "wsdl" / "inventory.wsdl")
TOKEN = "contract-token"


def accept_only_our_token(token: str) -> dict[str, Any]:
    if token != TOKEN:
        raise ValueError("token rejected")
    return {}


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The app on an ephemeral 127.0.0.1 port, for as long as the block runs."""
    server = BackgroundServer(app).start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=["fake", "sandbox"])
def inventory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InventoryPort]:
    """The InventoryPort: FakeInventory, or InventorySoapClient against the sandbox."""
    world = copy.deepcopy(INVENTORY_WORLD)
    if request.param == "fake":
        yield inventory_from_fixtures(world)
        return
    store = InventoryStore(tmp_path / "inventory.db")
    store.seed(world)
    app = create_inventory_app(store, accept_only_our_token, FaultKnobs(), CallLog(), ZONE)
    with serving(app) as url:
        yield InventorySoapClient(
            f"{url}{SOAP_PATH}", WSDL, make_session(), FakeTokens(TOKEN),
            "api://sandbox-inventory/.default", PlantClock(ZONE.key),
            retry=RetryPolicy(attempts=1),
        )  # fmt: skip


@pytest.fixture(params=["fake", "sandbox"])
def work_orders(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[WorkOrderPort]:
    """The WorkOrderPort: FakeWorkOrders, or WorkOrderRestClient against the sandbox."""
    world = copy.deepcopy(WORK_ORDER_WORLD)
    if request.param == "fake":
        yield work_orders_from_fixtures(world)
        return
    store = WorkOrderStore(tmp_path / "workorders.db")
    store.seed(world)
    app = create_workorders_app(store, accept_only_our_token, FaultKnobs(), CallLog())
    with serving(app) as url:
        yield WorkOrderRestClient(
            url, make_session(), FakeTokens(TOKEN), "api://sandbox-workorders/.default"
        )
