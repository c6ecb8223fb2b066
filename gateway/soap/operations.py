"""What each SOAP operation does: parse, call one use case, map the answer (like a REST view)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from gateway.domain.model import ReservationStatus
from gateway.services import reservations, workorder_update
from gateway.services.inventory import get_stock_level
from gateway.services.references import upstream_reference
from gateway.services.workorder_update import Updater, WorkOrderUpdate, new_plan_id
from gateway.services.workorders import ReservationFilter, get_work_order_reservations
from gateway.soap import mapping
from gateway.soap import types as t
from gateway.soap.context import SoapCall


def _now() -> datetime:
    return datetime.now(UTC)


def work_order_reservations(
    call: SoapCall, work_order_id: str, sku: str | None, status: str | None, warehouse: str | None
) -> t.WorkOrderReservations:
    keep = ReservationFilter(sku, ReservationStatus(status) if status else None, warehouse)
    wired = call.adapters
    found = get_work_order_reservations(
        work_order_id, wired.work_orders, wired.inventory, keep, call.caller.can_see_owner
    )
    return mapping.work_order_reservations_out(found)


def update_work_order(
    call: SoapCall,
    work_order_id: str,
    recipe_name: str,
    batch_quantity: Decimal,
    planned_start: datetime,
    transaction_date: datetime | None,
    materials: Any,
) -> t.WorkOrderReservations:
    change = WorkOrderUpdate(
        work_order_id=work_order_id,
        recipe_name=recipe_name,
        batch_quantity=mapping.bounded_quantity(batch_quantity, "batchQuantity"),
        planned_start=mapping.aware(planned_start, "plannedStart") or planned_start,
        transaction_date=mapping.aware(transaction_date, "transactionDate"),
        materials=mapping.materials_from(materials),
    )
    updater = Updater(call.caller.subject, call.caller.can_see_owner)
    updated = workorder_update.update_work_order(
        change,
        updater,
        new_plan_id(),
        call.adapters.work_orders,
        call.adapters.inventory,
        call.uow,
        _now(),
        call.settings.get("WORKORDER_WAREHOUSES") or {},
    )
    return mapping.work_order_reservations_out(updated)


def create_reservation(call: SoapCall, request: Any, reference: str | None) -> t.Reservation:
    made = reservations.reserve(
        mapping.draft_from(request),
        call.caller,
        upstream_reference("GW", call.caller.subject, reference),
        call.adapters.inventory,
        call.adapters.work_orders,
        call.uow,
        _now(),
        bool(call.settings["RESERVATION_OVERRIDE_ALLOWED"]),
    )
    return mapping.reservation_out(made)


def release_reservation(call: SoapCall, reservation_id: str) -> t.Reservation:
    # No caller reference in the contract: one fixed for this call keeps its retries safe.
    reference = upstream_reference("RL", call.caller.subject, None)
    released = reservations.release(
        reservation_id, call.caller, reference, call.adapters.inventory, call.uow
    )
    return mapping.reservation_out(released)


def consume_reservation(
    call: SoapCall, reservation_id: str, reference: str | None
) -> t.Consumption:
    reference = upstream_reference("CNS", call.caller.subject, reference)
    consumed = reservations.consume(
        reservation_id, call.caller, reference, call.adapters.inventory, call.uow
    )
    return mapping.consumption_out(consumed)


def list_reservations(
    call: SoapCall, offset: int | None, limit: int | None, **criteria: Any
) -> t.ReservationPage:
    search = mapping.search_from(**criteria)
    page = reservations.list_reservations(
        search, call.caller, call.adapters.inventory, offset or 0, limit or 50
    )
    return mapping.page_out(page)


def stock_level(call: SoapCall, sku: str, warehouse_id: str) -> t.StockLevel:
    level = get_stock_level(sku, warehouse_id, call.adapters.inventory, call.caller)
    return mapping.stock_level_out(level)
