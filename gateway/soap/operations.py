"""What each SOAP operation does: parse, call one use case, map the answer (like a REST view)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.bootstrap import backorders_of, splits_of
from gateway.domain.backorders import BackorderSearch, BackorderStatus
from gateway.domain.model import ReservationSearch, ReservationStatus, Source, SourceType
from gateway.services.references import upstream_reference
from gateway.services.reservations import PickedPart
from gateway.services.split_holds import ensure_not_a_split
from gateway.services.workorder_update import Updater, WorkOrderUpdate
from gateway.services.workorders import ReservationFilter
from gateway.soap import mapping
from gateway.soap import types as t
from gateway.soap.context import SoapCall


def work_order_reservations(
    call: SoapCall, work_order_id: str, sku: str | None, status: str | None, warehouse: str | None
) -> t.WorkOrderReservations:
    keep = ReservationFilter(sku, ReservationStatus(status) if status else None, warehouse)
    found = call.gateway.work_orders.reservations(work_order_id, call.caller.can_see_owner, keep)
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
    updated = call.gateway.work_orders.update(change, updater, call.uow)
    return mapping.work_order_reservations_out(updated)


def create_reservation(call: SoapCall, request: Any, reference: str | None) -> t.ReservationCreated:
    legacy_reference = upstream_reference("GW", call.caller.subject, reference)
    split = mapping.split_from(request)
    if split is not None:
        made = splits_of(call.gateway).reserve(split, call.caller, legacy_reference, call.uow,
                                               callers_reference=reference is not None)  # fmt: skip
        return mapping.split_out(made)
    draft = mapping.draft_from(request)
    if draft.allow_partial:
        desk = backorders_of(call.gateway)
        partial = desk.reserve_partial(draft, call.caller, legacy_reference, call.uow,
                                       callers_reference=reference is not None)  # fmt: skip
        return mapping.partial_out(partial)
    if reference is not None:  # the caller's own: it may have named a split before
        ensure_not_a_split(legacy_reference, draft.source_id, call.gateway.reservations.inventory)
    made_one = call.gateway.reservations.reserve(draft, call.caller, legacy_reference, call.uow)
    return mapping.created_out(made_one)


def release_reservation(call: SoapCall, reservation_id: str) -> t.Reservation:
    # No caller reference in the contract: one fixed for this call keeps its retries safe.
    reference = upstream_reference("RL", call.caller.subject, None)
    released = call.gateway.reservations.release(reservation_id, call.caller, reference, call.uow)
    return mapping.reservation_out(released)


def consume_reservation(
    call: SoapCall,
    reservation_id: str,
    reference: str | None,
    quantity: Decimal | None = None,
    release_remainder: bool | None = None,
) -> t.Consumption:
    reference = upstream_reference("CNS", call.caller.subject, reference)
    if quantity is not None:
        quantity = mapping.bounded_quantity(quantity, "quantity")
    picked = PickedPart(quantity, bool(release_remainder))
    consumed = call.gateway.reservations.consume(reservation_id, call.caller, reference,
                                                 call.uow, picked)  # fmt: skip
    return mapping.consumption_out(consumed)


def change_reservation_expiry(
    call: SoapCall,
    reservation_id: str,
    expires_at: datetime | None,
    never_expires: bool | None,
    reference: str | None,
) -> t.Reservation:
    new = mapping.new_expiry(expires_at, never_expires)
    legacy_reference = upstream_reference("EXP", call.caller.subject, reference)
    changed = call.gateway.reservations.change_expiry(reservation_id, new, call.caller,
                                                      legacy_reference, call.uow)  # fmt: skip
    return mapping.reservation_out(changed)


def change_source_expiry(
    call: SoapCall,
    source_type: str,
    source_id: str,
    expires_at: datetime | None,
    never_expires: bool | None,
) -> t.SourceExpiry:
    new = mapping.new_expiry(expires_at, never_expires)
    source = Source(SourceType(source_type), source_id)
    changed = call.gateway.reservations.change_source_expiry(source, new, call.caller, call.uow)
    return mapping.source_expiry_out(changed)


def list_reservations(
    call: SoapCall, offset: int | None, limit: int | None, **criteria: Any
) -> t.ReservationPage:
    search = mapping.search_from(**criteria)
    page = call.gateway.reservations.search(search, call.caller, offset or 0, limit or 50)
    return mapping.page_out(page)


def stock_level(call: SoapCall, sku: str, warehouse_id: str) -> t.StockLevel:
    level = call.gateway.reservations.stock_level(sku, warehouse_id, call.caller)
    return mapping.stock_level_out(level)


def list_backorders(
    call: SoapCall,
    sku: str | None,
    warehouse_id: str | None,
    status: str | None,
    offset: int | None,
    limit: int | None,
) -> t.BackorderPage:
    search = BackorderSearch(sku, warehouse_id, BackorderStatus(status) if status else None)
    page = backorders_of(call.gateway).search(search, call.caller, offset or 0, limit or 50)
    return mapping.backorder_page_out(page)


def cancel_backorder(call: SoapCall, backorder_id: str) -> t.Backorder:
    cancelled = backorders_of(call.gateway).cancel(backorder_id, call.caller, call.uow)
    return mapping.backorder_out(cancelled)


def list_shortages(
    call: SoapCall, sku: str | None, warehouse_id: str | None, offset: int | None,
    limit: int | None,
) -> t.ShortagePage:  # fmt: skip
    search = ReservationSearch(item_sku_id=sku, warehouse_id=warehouse_id)
    page = call.gateway.reservations.shortages(search, call.caller, offset or 0, limit or 50)
    return mapping.shortage_page_out(page)
