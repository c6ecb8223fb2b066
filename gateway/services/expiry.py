"""Releasing expired reservations (SPEC §5.3): one pass of the sweeper."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from gateway.domain.errors import GatewayError, ReservationAlreadyReleased, ReservationNotExpired
from gateway.domain.model import (
    ReleaseReason,
    Reservation,
    ReservationSearch,
    ReservationStatus,
)
from gateway.services.change_records import publish, record_change
from gateway.services.ports import InventoryPort, UnitOfWork

log = logging.getLogger(__name__)
SWEEPER = "system:expiry-sweeper"


def expire_due(
    inventory: InventoryPort,
    new_unit_of_work: Callable[[], UnitOfWork],
    now: datetime,
    batch: int = 200,
) -> int:
    """Release every OPEN reservation whose expiry has passed; returns how many this pass did.

    Safe with several gateway processes: the legacy system releases a reservation once, and
    the event's dedupe key keeps a second writer from publishing it again.
    """
    due = inventory.search_reservations(
        ReservationSearch(status=ReservationStatus.OPEN, expires_before=now), 0, batch
    )
    expired = 0
    for reservation in due.items:
        if not _due(reservation, now):
            continue
        uow = new_unit_of_work()
        try:
            after = inventory.release(reservation.id, ReleaseReason.EXPIRED)
        except ReservationAlreadyReleased:
            _publish_if_expired_elsewhere(reservation.id, inventory, uow)
            continue
        except ReservationNotExpired:  # extended (or cleared) since the search read it as due
            log.info("reservation %s is no longer due to expire; skipped", reservation.id)
            continue
        except GatewayError as error:
            log.warning("could not expire reservation %s: %s", reservation.id, error.code)
            continue
        record_change(uow, SWEEPER, "reservation.expire", reservation, after, "InventoryExpired")
        uow.commit()
        expired += 1
    return expired


def _due(reservation: Reservation, now: datetime) -> bool:
    """The legacy search reads an ambiguous stamp as the earlier instant; the model has the
    later one (the caller's instant or after it), and that one decides."""
    return reservation.expires_at is None or reservation.expires_at < now


def _publish_if_expired_elsewhere(
    reservation_id: str, inventory: InventoryPort, uow: UnitOfWork
) -> None:
    """Another process expired it first; make sure its event exists (dedupe keeps it single)."""
    after = inventory.get_reservation(reservation_id)
    if after.release_reason is ReleaseReason.EXPIRED:
        publish(uow, "InventoryExpired", after)
        uow.commit()
