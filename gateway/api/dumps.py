"""Plain dump functions for the big read models: the JSON marshmallow's schemas in schemas.py
would make, key for key and number for number, in a fraction of the instructions.

The schemas still declare the shape (they make /openapi.json) and dump anything else; a unit
test compares both dumps on generated records (tests/unit/test_plain_dumps.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from marshmallow import Schema, fields

from gateway.domain.model import Page, Reservation
from gateway.services.workorders import MaterialReservations, WorkOrderReservations

Json = dict[str, Any]
_TRUTHY, _FALSY = fields.Boolean.truthy, fields.Boolean.falsy


def _text(value: Any) -> str | None:
    return None if value is None else str(value)  # marshmallow's String: str() of the value


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or type(value) is Decimal:
        return value
    return Decimal(str(value))  # what marshmallow's Decimal field makes of an int or a float


def _boolean(value: Any) -> bool | None:
    if value is None:
        return None
    if value in _TRUTHY:
        return True
    return False if value in _FALSY else bool(value)


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def reservation_json(r: Reservation) -> Json:
    """ReservationSchema's dump of ``r``."""
    source = r.source
    return {
        "id": _text(r.id),
        "reference": _text(r.reference),
        "itemSkuId": _text(r.item_sku_id),
        "warehouseId": _text(r.warehouse_id),
        "location": _text(r.location),
        "lot": _text(r.lot),
        "quantity": _decimal(r.quantity),
        "uom": _text(r.uom),
        "type": _text(r.type),
        "source": None if source is None else {"type": _text(source.type), "id": _text(source.id)},
        "priority": _integer(r.priority),
        "status": _text(r.status),
        "releaseReason": _text(r.release_reason),
        "ownerId": _text(r.owner_id),
        "expiresAt": _stamp(r.expires_at),
        "createdAt": _stamp(r.created_at),
        "createdBy": _text(r.created_by),
        "releasedAt": _stamp(r.released_at),
        "closedAt": _stamp(r.closed_at),
    }


def _reservations(items: Any) -> list[Json] | None:
    return None if items is None else [reservation_json(r) for r in items]


def page_json(page: Page[Reservation]) -> Json:
    """ReservationPageSchema's dump of ``page``."""
    return {
        "items": _reservations(page.items),
        "total": _integer(page.total),
        "offset": _integer(page.offset),
        "limit": _integer(page.limit),
    }


def _material_json(m: MaterialReservations) -> Json:
    material = m.material
    return {
        "operation": _integer(m.operation_sequence),
        "operationName": _text(m.operation_name),
        "itemNumber": _text(material.item_number),
        "description": _text(m.description),
        "quantity": _decimal(material.quantity),
        "uom": _text(material.uom),
        "lot": _text(material.lot),
        "isRework": _boolean(material.is_rework),
        "reservations": _reservations(m.reservations),
    }


def work_order_reservations_json(view: WorkOrderReservations) -> Json:
    """WorkOrderReservationsSchema's dump of ``view``."""
    order = view.work_order
    header = None if order is None else {
        "id": _text(order.id),
        "status": _text(order.status),
        "recipeName": _text(order.recipe_name),
        "batchQuantity": _decimal(order.batch_quantity),
        "uom": _text(order.uom),
        "plannedStart": _stamp(order.planned_start),
        "ownerId": _text(order.owner_id),
    }  # fmt: skip
    materials = view.materials
    return {
        "workOrder": header,
        "materials": None if materials is None else [_material_json(m) for m in materials],
    }


class PlainDump(Schema):
    """A schema whose objects of type ``model`` are dumped by ``plain`` instead of field by
    field; anything else (a dict, a schema with ``only``/``exclude``) by marshmallow."""

    model: type
    plain: Callable[[Any], Json]  # a staticmethod

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        many = self.many if many is None else bool(many)
        if self.only is None and not self.exclude:
            plain = self.plain
            if not many and type(obj) is self.model:
                return plain(obj)
            if many and isinstance(obj, list | tuple) and all(type(o) is self.model for o in obj):
                return [plain(o) for o in obj]
        return super().dump(obj, many=many)
