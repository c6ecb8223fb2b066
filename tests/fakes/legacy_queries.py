"""What the legacy system does when it searches, outside the gateway's domain."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.domain.model import Reservation, ReservationSearch, StockLevel


def matches(search: ReservationSearch, reservation: Reservation) -> bool:
    """Whether ``reservation`` meets every criterion of ``search`` (as the legacy query)."""
    wanted = {
        "item_sku_id": (search.item_sku_id, reservation.item_sku_id),
        "warehouse_id": (search.warehouse_id, reservation.warehouse_id),
        "status": (search.status, reservation.status),
        "source_type": (search.source_type, reservation.source.type),
        "source_id": (search.source_id, reservation.source.id),
    }
    if any(want is not None and want != have for want, have in wanted.values()):
        return False
    if search.owner_ids is not None and reservation.owner_id not in search.owner_ids:
        return False
    moment = search.expires_before
    return moment is None or (
        reservation.expires_at is not None and reservation.expires_at < moment
    )


def serving_order(reservation: Reservation) -> tuple[int, datetime, int, str]:
    """Sort key: highest priority first, then the oldest, then the lowest id."""
    created = reservation.created_at or datetime.min.replace(tzinfo=UTC)
    number = int(reservation.id) if reservation.id.isdigit() else -1
    return (-reservation.priority, created, number, reservation.id)


def is_low(level: StockLevel) -> bool:
    """Available at the reorder point or below (the legacy low-stock query)."""
    return level.stock_tracked and level.available <= level.reorder_point
