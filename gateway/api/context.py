"""What the composition root built (gateway/bootstrap.py), and the request's unit of work."""

from __future__ import annotations

from flask import current_app, g

from gateway.bootstrap import Gateway, backorders_of, gateway_of, splits_of
from gateway.services.desks import BackorderDesk, ReservationDesk, SplitDesk, WorkOrderDesk
from gateway.store.gateway_store import GatewayStore
from gateway.store.unit_of_work import SqlUnitOfWork
from gateway.wiring import Adapters


def gateway() -> Gateway:
    return gateway_of(current_app)


def reservation_desk() -> ReservationDesk:
    return gateway().reservations


def backorder_desk() -> BackorderDesk:
    return backorders_of(gateway())


def split_desk() -> SplitDesk:
    return splits_of(gateway())


def work_order_desk() -> WorkOrderDesk:
    return gateway().work_orders


def adapters() -> Adapters:
    return gateway().adapters


def store() -> GatewayStore:
    return gateway().store


def unit_of_work() -> SqlUnitOfWork:
    """This request's unit of work (one per request, committed after the view)."""
    if "uow" not in g:
        g.uow = store().unit_of_work(g.get("correlation_id"))
    uow: SqlUnitOfWork = g.uow
    return uow
