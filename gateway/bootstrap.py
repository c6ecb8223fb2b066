"""The composition root: adapters, the gateway's store and the use cases, built once from
settings into one object. Flask keeps it as its only extension; the CLI builds what it needs
from the same functions without a Flask app.

    settings ──► build_gateway ──► Gateway(adapters, store, reservations, work_orders,
                                           credentials, credential_watcher)
    REST views / SOAP operations ──► Gateway.reservations / .work_orders ──► ports ◄── adapters
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask

from gateway.services.desks import BackorderDesk, ReservationDesk, SplitDesk, WorkOrderDesk
from gateway.services.split_holds import SplitPorts
from gateway.services.webhooks.subscriptions import Webhooks
from gateway.settings import CredentialSettings, DatabaseSettings, Settings
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys
from gateway.webhook_wiring import build_webhooks
from gateway.wiring import Adapters, build_adapters

if TYPE_CHECKING:  # built after the app exists (they follow its settings and processes)
    from gateway.services.credentials.rotation import Credentials
    from gateway.services.credentials.watch import CredentialWatcher

EXTENSION = "gateway"


@dataclass
class Gateway:
    """Everything a request, a SOAP call, a background pass or a CLI command works with."""

    config: Settings
    """Every setting, typed and validated once (gateway/settings.py)."""
    adapters: Adapters
    store: GatewayStore
    reservations: ReservationDesk
    work_orders: WorkOrderDesk
    credentials: Credentials | None = None
    credential_watcher: CredentialWatcher | None = None
    webhooks: Webhooks | None = None
    """Webhook subscriptions (issue 14.1): gateway/webhook_wiring.py."""
    backorders: BackorderDesk | None = None
    """Partial reservations and backorders (issue 15.2, decision 170)."""
    splits: SplitDesk | None = None
    """Holds across locations (issue 15.3, decision 172)."""


def open_store(database: DatabaseSettings) -> GatewayStore:
    """The gateway's own database as the settings describe it (migrated unless told not to)."""
    return GatewayStore.open(
        database.url,
        auto_migrate=database.auto_migrate,
        plan_lease=database.plan_lease,
        lock_wait=database.lock_wait,
    )


def open_master_keys(settings: CredentialSettings) -> MasterKeys | None:
    """GATEWAY_MASTER_KEYS if set (fixed), else the key file if it exists; None without keys."""
    return MasterKeys.configured(
        settings.master_keys, settings.master_key_file, settings.check_seconds
    )


def build_gateway(settings: Mapping[str, Any], adapters: Adapters | None = None) -> Gateway:
    """The gateway over ``adapters`` (default: the real ones the settings name)."""
    config = Settings.from_mapping(settings)  # a bad setting stops the start here, named
    wired = adapters or build_adapters(config)
    store = open_store(config.database)
    return Gateway(
        config=config,
        adapters=wired,
        store=store,
        reservations=ReservationDesk(
            wired.inventory, wired.work_orders,
            overrides_allowed=config.reservations.overrides_allowed,
        ),
        work_orders=WorkOrderDesk(
            wired.work_orders, wired.inventory,
            default_warehouses=config.reservations.workorder_warehouses,
        ),
        webhooks=build_webhooks(config, store, open_master_keys(config.credentials)),
        backorders=BackorderDesk(
            wired.inventory, wired.work_orders, store.backorders,
            overrides_allowed=config.reservations.overrides_allowed,
        ),
        splits=SplitDesk(
            SplitPorts(wired.inventory, wired.work_orders, store.backorders),
            preferred_order=config.reservations.split_warehouse_order,
            overrides_allowed=config.reservations.overrides_allowed,
        ),
    )  # fmt: skip


def credentials_of(gateway: Gateway) -> Credentials:
    """The credential use cases (wired once the app exists: gateway/credential_wiring.py)."""
    if gateway.credentials is None:
        raise RuntimeError("the credential use cases are not wired yet")
    return gateway.credentials


def webhooks_of(gateway: Gateway) -> Webhooks:
    """The webhook subscription use cases (built with the gateway)."""
    if gateway.webhooks is None:
        raise RuntimeError("the webhook use cases are not wired")
    return gateway.webhooks


def backorders_of(gateway: Gateway) -> BackorderDesk:
    """The backorder use cases (built with the gateway)."""
    if gateway.backorders is None:
        raise RuntimeError("the backorder use cases are not wired")
    return gateway.backorders


def splits_of(gateway: Gateway) -> SplitDesk:
    """The split-create use cases (built with the gateway)."""
    if gateway.splits is None:
        raise RuntimeError("the split-create use cases are not wired")
    return gateway.splits


def gateway_of(app: Flask) -> Gateway:
    """The app's gateway (its only extension)."""
    found: Gateway = app.extensions[EXTENSION]
    return found
