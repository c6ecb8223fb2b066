"""Which OPEN reservations on-hand no longer covers (issue 15.5, decision 170).

On-hand is handed out to a pair's OPEN reservations in the order they are served — highest
priority first, then oldest — so when on-hand falls below what is reserved (an ERP count, an
override), the reservations at the back of that queue are the short ones, each by the part of
its quantity on-hand does not reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from gateway.domain.model import Reservation, ReservationStatus

Pair = tuple[str, str]
"""An item and a warehouse."""


@dataclass(frozen=True)
class Shortage:
    """An OPEN reservation on-hand does not cover in full, and by how much."""

    reservation: Reservation
    short_quantity: Decimal
    on_hand: Decimal


def pair_of(reservation: Reservation) -> Pair:
    return reservation.item_sku_id, reservation.warehouse_id


def shortages(
    served_in_order: Iterable[Reservation], on_hand: Mapping[Pair, Decimal]
) -> list[Shortage]:
    """The short reservations of ``served_in_order`` (priority, then age), in that order.

    A pair missing from ``on_hand`` is skipped: its balance was not read (not the caller's).
    """
    ahead: dict[Pair, Decimal] = {}
    short: list[Shortage] = []
    for reservation in served_in_order:
        pair = pair_of(reservation)
        if reservation.status is not ReservationStatus.OPEN or pair not in on_hand:
            continue
        covered_before = ahead.get(pair, Decimal(0))
        ahead[pair] = covered_before + reservation.quantity
        uncovered = ahead[pair] - max(on_hand[pair], covered_before)
        if uncovered > 0:
            short.append(Shortage(reservation, min(uncovered, reservation.quantity), on_hand[pair]))
    return short
