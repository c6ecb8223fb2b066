"""The common model ⇄ the SOAP contract's types (the REST schemas' counterpart)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain import model
from gateway.domain.backorders import Backorder
from gateway.domain.errors import InvalidSplit, RequestInvalid
from gateway.domain.reservation_rules import (
    ReservationDraft,
    check_legacy_quantity,
    legacy_instant_fits,
)
from gateway.domain.rules import RequestedMaterial
from gateway.domain.shortages import Shortage
from gateway.domain.split_holds import SplitDraft, check_split
from gateway.services.backorders import PartialReservation
from gateway.services.expiry_changes import SourceExpiry
from gateway.services.split_holds import SplitReservation
from gateway.services.workorders import MaterialReservations, WorkOrderReservations
from gateway.soap import types


def aware(moment: datetime | None, field: str) -> datetime | None:
    """A timestamp from a request; one without a time zone is a 400, as over REST."""
    if moment is not None and moment.tzinfo is None:
        raise RequestInvalid({field: ["needs a time zone (e.g. Z or +01:00)"]})
    if moment is not None and not legacy_instant_fits(moment):
        raise RequestInvalid({field: ["lies outside the years a legacy stamp can carry"]})
    return moment


def draft_from(request: Any) -> ReservationDraft:
    """CreateReservation's ReservationRequest as the rules take it."""
    return ReservationDraft(
        item_sku_id=request.itemSkuId,
        warehouse_id=request.warehouseId,
        quantity=request.quantity,
        type=request.type,
        source_type=request.source.type,
        source_id=request.source.id,
        owner_id=request.ownerId,
        priority=model.DEFAULT_PRIORITY if request.priority is None else request.priority,
        uom=request.uom,
        location=request.location,
        lot=request.lot,
        expires_at=aware(request.expiresAt, "reservation.expiresAt"),
        override=bool(request.override),
        allow_partial=bool(request.allowPartial),
    )


def bounded_quantity(quantity: Decimal, field: str) -> Decimal:
    """A quantity the legacy DECIMAL(13, 3) holds, or invalid_quantity, as over REST."""
    check_legacy_quantity(quantity, field)
    return quantity


def materials_from(lines: Iterable[Any] | None) -> tuple[RequestedMaterial, ...]:
    for line in lines or ():
        check_legacy_quantity(line.quantity, "materials.quantity")
    return tuple(
        RequestedMaterial(line.operation, line.itemNumber, line.quantity, line.uom, line.lot)
        for line in lines or ()
    )


def search_from(**criteria: Any) -> model.ReservationSearch:
    """ListReservations' filters; the spyne schema already checked the enumerations."""
    return model.ReservationSearch(
        item_sku_id=criteria["itemSkuId"],
        warehouse_id=criteria["warehouseId"],
        status=model.ReservationStatus(criteria["status"]) if criteria["status"] else None,
        source_type=model.SourceType(criteria["sourceType"]) if criteria["sourceType"] else None,
        source_id=criteria["sourceId"],
    )


def split_from(request: Any) -> SplitDraft | None:
    """CreateReservation's split (decision 172), if it asks for one: warehouseId first, then
    moreWarehouseIds in order, or the owner's other warehouses with anyWarehouse."""
    more = list(request.moreWarehouseIds or [])
    if any(not warehouse for warehouse in more):  # a nil or empty element names no warehouse
        raise InvalidSplit("moreWarehouseIds has an empty or nil entry")
    if not more and not request.anyWarehouse:
        return None
    if more and request.anyWarehouse:
        raise InvalidSplit("Name moreWarehouseIds or anyWarehouse, not both")
    named = None if request.anyWarehouse else [request.warehouseId, *more]
    check_split(None, named, named is None, lot=request.lot, location=request.location)
    draft = replace(draft_from(request), warehouse_id="")  # each part's warehouse takes its place
    if named is None:
        return SplitDraft(draft, None, first=request.warehouseId)
    return SplitDraft(draft, tuple(named))


def created_out(reservation: model.Reservation) -> types.ReservationCreated:
    """A single create's answer, as it always was."""
    return types.ReservationCreated(**_reservation_fields(reservation))


def partial_out(partial: PartialReservation) -> types.ReservationCreated:
    made = {} if partial.reservation is None else _reservation_fields(partial.reservation)
    backorder = partial.backorder
    return types.ReservationCreated(
        **made, reservedQuantity=partial.reserved_quantity,
        backorderedQuantity=partial.backordered_quantity,
        backorderId=None if backorder is None else backorder.id,
    )  # fmt: skip


def split_out(split: SplitReservation) -> types.ReservationCreated:
    backorder = split.backorder
    return types.ReservationCreated(
        requestId=split.request_id, reservedQuantity=split.reserved_quantity,
        backorderedQuantity=split.backordered_quantity,
        backorderId=None if backorder is None else backorder.id,
        parts=[reservation_out(r) for r in split.reservations],
    )  # fmt: skip


def reservation_out(reservation: model.Reservation) -> types.Reservation:
    return types.Reservation(**_reservation_fields(reservation))


def _reservation_fields(reservation: model.Reservation) -> dict[str, Any]:
    return dict(
        id=reservation.id,
        reference=reservation.reference,
        itemSkuId=reservation.item_sku_id,
        warehouseId=reservation.warehouse_id,
        location=reservation.location,
        lot=reservation.lot,
        quantity=reservation.quantity,
        uom=reservation.uom,
        type=reservation.type.value,
        source=types.Source(type=reservation.source.type.value, id=reservation.source.id),
        priority=reservation.priority,
        status=reservation.status.value,
        releaseReason=reservation.release_reason.value if reservation.release_reason else None,
        ownerId=reservation.owner_id,
        expiresAt=reservation.expires_at,
        createdAt=reservation.created_at,
        createdBy=reservation.created_by,
        releasedAt=reservation.released_at,
        closedAt=reservation.closed_at,
    )


def page_out(page: model.Page[model.Reservation]) -> types.ReservationPage:
    return types.ReservationPage(
        items=[reservation_out(r) for r in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


def consumption_out(consumption: model.Consumption) -> types.Consumption:
    transaction = consumption.transaction
    return types.Consumption(
        reservation=reservation_out(consumption.reservation),
        transaction=types.InventoryTransaction(
            reference=transaction.reference,
            quantity=transaction.quantity,
            transactionDate=transaction.transaction_date,
            previousOnHand=transaction.previous_on_hand,
            newOnHand=transaction.new_on_hand,
        ),
        consumedQuantity=consumption.consumed_quantity,
        remainingQuantity=consumption.remaining_quantity,
        releasedQuantity=consumption.released_quantity,
    )


def new_expiry(expires_at: datetime | None, never_expires: bool | None) -> datetime | None:
    """An expiry change's new date: a time, or none with neverExpires; exactly one of them."""
    if (expires_at is None) == (not never_expires):
        raise RequestInvalid({"expiresAt": ["give a time, or neverExpires true, not both"]})
    return aware(expires_at, "expiresAt")


def source_expiry_out(changed: SourceExpiry) -> types.SourceExpiry:
    return types.SourceExpiry(
        source=types.Source(type=changed.source.type.value, id=changed.source.id),
        expiresAt=changed.expires_at,
        reservations=[reservation_out(r) for r in changed.reservations],
    )


def stock_level_out(level: model.StockLevel) -> types.StockLevel:
    return types.StockLevel(
        itemSkuId=level.item_sku_id,
        warehouseId=level.warehouse_id,
        onHand=level.on_hand,
        reserved=level.reserved,
        available=level.available,
        stockTracked=level.stock_tracked,
        allowNegativeStock=level.allow_negative_stock,
        minStockLevel=level.min_stock_level,
        reorderPoint=level.reorder_point,
    )


def work_order_reservations_out(found: WorkOrderReservations) -> types.WorkOrderReservations:
    order = found.work_order
    return types.WorkOrderReservations(
        workOrder=types.WorkOrder(
            id=order.id,
            status=order.status.value,
            recipeName=order.recipe_name,
            batchQuantity=order.batch_quantity,
            uom=order.uom,
            plannedStart=order.planned_start,
            ownerId=order.owner_id,
        ),
        materials=[_material_out(m) for m in found.materials],
    )


def _material_out(found: MaterialReservations) -> types.MaterialReservations:
    material = found.material
    return types.MaterialReservations(
        operation=found.operation_sequence,
        operationName=found.operation_name,
        itemNumber=material.item_number,
        description=found.description,
        quantity=material.quantity,
        uom=material.uom,
        lot=material.lot,
        isRework=material.is_rework,
        reservations=[reservation_out(r) for r in found.reservations],
    )


def backorder_out(backorder: Backorder) -> types.Backorder:
    return types.Backorder(
        id=backorder.id, itemSkuId=backorder.item_sku_id, warehouseId=backorder.warehouse_id,
        requestedQuantity=backorder.requested, quantity=backorder.quantity,
        filledQuantity=backorder.filled, type=backorder.type.value,
        source=types.Source(type=backorder.source.type.value, id=backorder.source.id),
        priority=backorder.priority, status=backorder.status.value, ownerId=backorder.owner_id,
        createdBy=backorder.created_by, createdAt=backorder.created_at,
        expiresAt=backorder.expires_at, fills=backorder.fills, endedAt=backorder.ended_at,
    )  # fmt: skip


def backorder_page_out(page: model.Page[Backorder]) -> types.BackorderPage:
    return types.BackorderPage(
        items=[backorder_out(b) for b in page.items], total=page.total, offset=page.offset,
        limit=page.limit,
    )  # fmt: skip


def shortage_page_out(page: model.Page[Shortage]) -> types.ShortagePage:
    return types.ShortagePage(
        items=[
            types.Shortage(reservation=reservation_out(s.reservation),
                           shortQuantity=s.short_quantity, onHand=s.on_hand)
            for s in page.items
        ],
        total=page.total, offset=page.offset, limit=page.limit,
    )  # fmt: skip
