"""Use cases on work orders."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from gateway.domain.errors import WorkOrderNotFound
from gateway.domain.model import (
    Material,
    Reservation,
    ReservationStatus,
    WorkOrder,
)
from gateway.services.fanout import side_by_side
from gateway.services.ports import InventoryPort, WorkOrderPort


@dataclass(frozen=True)
class ReservationFilter:
    item_sku_id: str | None = None
    status: ReservationStatus | None = None
    warehouse_id: str | None = None

    def keeps_material(self, material: Material) -> bool:
        return self.item_sku_id is None or material.item_number == self.item_sku_id

    def keeps(self, reservation: Reservation) -> bool:
        return (self.status is None or reservation.status == self.status) and (
            self.warehouse_id is None or reservation.warehouse_id == self.warehouse_id
        )


@dataclass(frozen=True)
class MaterialReservations:
    operation_sequence: int
    operation_name: str
    material: Material
    description: str | None
    reservations: tuple[Reservation, ...]


@dataclass(frozen=True)
class WorkOrderReservations:
    work_order: WorkOrder
    materials: tuple[MaterialReservations, ...]


def get_work_order_reservations(
    work_order_id: str,
    work_orders: WorkOrderPort,
    inventory: InventoryPort,
    keep: ReservationFilter | None = None,
    can_see_owner: Callable[[str], bool] = lambda owner_id: True,
) -> WorkOrderReservations:
    """The work order with each material's reservations, in three round trips whatever its size.

    The two inventory calls run side by side, so the answer waits for two round trips, not
    three. A work order or reservation of an owner outside the caller's scope is not there
    for them.
    """
    keep = keep or ReservationFilter()
    work_order = visible_work_order(work_order_id, work_orders, can_see_owner)
    skus = [sku for sku in work_order.item_numbers() if keep.item_sku_id in (None, sku)]
    reservations_by_item: dict[str, list[Reservation]] = {}
    descriptions: dict[str, str] = {}
    if skus:
        reservations, balances = side_by_side(
            lambda: inventory.list_reservations_by_sources([work_order.id]),
            lambda: inventory.get_item_balances(skus),
        )
        for reservation in reservations:
            if keep.keeps(reservation) and can_see_owner(reservation.owner_id):
                reservations_by_item.setdefault(reservation.item_sku_id, []).append(reservation)
        descriptions = {b.item.sku_id: b.item.description for b in balances}
    materials = tuple(
        MaterialReservations(
            operation_sequence=operation.sequence,
            operation_name=operation.name,
            material=material,
            description=descriptions.get(material.item_number),
            reservations=tuple(reservations_by_item.get(material.item_number, ())),
        )
        for operation in work_order.operations
        for material in operation.materials
        if keep.keeps_material(material)
    )
    return WorkOrderReservations(work_order=work_order, materials=materials)


def visible_work_order(
    work_order_id: str, work_orders: WorkOrderPort, can_see_owner: Callable[[str], bool]
) -> WorkOrder:
    """The work order, if it exists inside the caller's scope; else one not-found for both."""
    try:
        work_order: WorkOrder | None = work_orders.get_work_order(work_order_id)
    except WorkOrderNotFound:
        work_order = None
    if work_order is None or not can_see_owner(work_order.owner_id):
        raise WorkOrderNotFound(f"No work order {work_order_id}")
    return work_order


def work_order_etag(work_order: WorkOrder) -> str:
    """A strong ETag of the work order as an update sees it: status, header and materials.

    Reservations are not part of it: they change when stock moves, not when the order does.
    """
    materials = [
        (operation.sequence, m.item_number, _number(m.quantity), m.uom, m.lot, m.is_rework)
        for operation in work_order.operations
        for m in operation.materials
    ]
    start = None if work_order.planned_start is None else work_order.planned_start.isoformat()
    state = (work_order.id, work_order.status.value, work_order.recipe_name,
             _number(work_order.batch_quantity), start, materials)  # fmt: skip
    return '"' + hashlib.sha256(repr(state).encode()).hexdigest()[:32] + '"'


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")
