"""What create_app chose (adapters, store), and the request's unit of work, for views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app, g

if TYPE_CHECKING:
    from gateway.store.gateway_store import GatewayStore
    from gateway.store.unit_of_work import SqlUnitOfWork
    from gateway.wiring import Adapters


def adapters() -> Adapters:
    found: Adapters = current_app.extensions["gateway.adapters"]
    return found


def store() -> GatewayStore:
    found: GatewayStore = current_app.extensions["gateway.store"]
    return found


def unit_of_work() -> SqlUnitOfWork:
    """This request's unit of work (one per request, committed by ``@idempotent``)."""
    if "uow" not in g:
        g.uow = store().unit_of_work(g.get("correlation_id"))
    uow: SqlUnitOfWork = g.uow
    return uow
