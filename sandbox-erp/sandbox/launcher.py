"""Starts the whole reference ERP in this process: identity provider, inventory, work orders."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.faults import CallLog, FaultKnobs
from sandbox.fixtures import load_fixtures
from sandbox.idp import RunningIdp, start_idp
from sandbox.inventory.app import AUDIENCE as INVENTORY_AUDIENCE
from sandbox.inventory.app import SOAP_PATH, create_inventory_app
from sandbox.inventory.store import InventoryStore
from sandbox.servers import BackgroundServer
from sandbox.workorders.app import create_workorders_app
from sandbox.workorders.store import WorkOrderStore

WORKORDERS_AUDIENCE = "api://sandbox-workorders"
GATEWAY_AUDIENCE = "api://reservation-gateway"


@dataclass
class Upstream:
    """One upstream service: its server, its fault knobs and the calls it received."""

    server: BackgroundServer
    knobs: FaultKnobs
    calls: CallLog


@dataclass
class Sandbox:
    idp: RunningIdp
    inventory: Upstream
    inventory_store: InventoryStore
    workorders: Upstream
    workorder_store: WorkOrderStore
    plant_timezone: str

    def describe(self) -> dict[str, Any]:
        """URLs and settings a gateway needs to use this sandbox (no secrets)."""
        return {
            "inventoryUrl": self.inventory.server.url + SOAP_PATH,
            "inventoryAdminUrl": self.inventory.server.url + "/_sandbox",
            "inventoryScope": INVENTORY_AUDIENCE + "/.default",
            "workOrdersUrl": self.workorders.server.url,
            "workOrdersAdminUrl": self.workorders.server.url + "/_sandbox",
            "workOrdersScope": WORKORDERS_AUDIENCE + "/.default",
            "authority": self.idp.authority,
            "issuer": self.idp.provider.issuer,
            "jwksUri": self.idp.jwks_uri,
            "identityAdminUrl": self.idp.server.url + "/_sandbox",
            "caBundle": str(self.idp.tls.ca_path),
            "gatewayAudience": GATEWAY_AUDIENCE,
            "plantTimezone": self.plant_timezone,
        }

    def stop(self) -> None:
        for server in (self.inventory.server, self.workorders.server):
            server.stop()
        self.idp.stop()


def start_sandbox(
    state_dir: Path,
    fixtures_path: Path | None = None,
    clients: Mapping[str, list[str]] | None = None,
    host: str = "127.0.0.1",
) -> Sandbox:
    """Start every sandbox service on ``host``; databases are seeded once, on first start."""
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # legacy faults are expected here
    state_dir.mkdir(parents=True, exist_ok=True)
    fixtures = load_fixtures(fixtures_path)
    zone = ZoneInfo(fixtures.get("plantTimezone", "Europe/Berlin"))
    idp = start_idp(state_dir / "idp", host=host, clients=clients or {})

    inventory_store = InventoryStore(state_dir / "inventory.db")
    inventory_store.seed(fixtures)
    inventory = _upstream(
        lambda knobs, calls: create_inventory_app(
            inventory_store, _verifier(idp, INVENTORY_AUDIENCE), knobs, calls, zone
        ),
        host,
    )
    workorder_store = WorkOrderStore(state_dir / "workorders.db")
    workorder_store.seed(fixtures)
    workorders = _upstream(
        lambda knobs, calls: create_workorders_app(
            workorder_store, _verifier(idp, WORKORDERS_AUDIENCE), knobs, calls
        ),
        host,
    )
    return Sandbox(idp, inventory, inventory_store, workorders, workorder_store, zone.key)


def _verifier(idp: RunningIdp, audience: str) -> Any:
    return lambda token: idp.provider.verify(token, audience)


def _upstream(build: Any, host: str) -> Upstream:
    knobs, calls = FaultKnobs(), CallLog()
    server = BackgroundServer(build(knobs, calls), host=host).start()
    return Upstream(server, knobs, calls)
