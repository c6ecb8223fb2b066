"""Changes made inside the legacy system, told from the gateway's own (issue 14.3).

The change detector remembers, per reservation it tracks, the last state that has an event
(``reported``) and a state seen in the legacy system that has none yet (``observed``). A change
is reported only when a second pass still finds it without the gateway's own event: the
gateway writes its event after its upstream call, so a pass in between sees the change first
(docs/decisions/161-erp-change-detection.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.domain.model import ReleaseReason, Reservation, ReservationStatus

OPEN, RELEASED, EXPIRED, CLOSED = "OPEN", "RELEASED", "EXPIRED", "CLOSED"
EVENT_OF_STATE = {
    OPEN: "InventoryReserved",
    RELEASED: "InventoryReleased",
    EXPIRED: "InventoryExpired",
    CLOSED: "InventoryConsumed",
}
STATE_OF_EVENT = {event: state for state, event in EVENT_OF_STATE.items()}
ERP_ORIGIN = "erp"

Pair = tuple[str, str]
"""An item and a warehouse: what the detector reads the legacy system by."""


class LeaseLost(Exception):
    """Another process took the detector's lease during a pass: this pass writes nothing."""


def state_of(reservation: Reservation) -> str:
    """The state an event names: a release for expiry is an expiry."""
    if reservation.status is ReservationStatus.OPEN:
        return OPEN
    if reservation.status is ReservationStatus.CLOSED:
        return CLOSED
    return EXPIRED if reservation.release_reason is ReleaseReason.EXPIRED else RELEASED


def parse_pair(text: str) -> Pair:
    """``ITEM@WAREHOUSE`` as a pair; ValueError when either side is empty."""
    item, _, warehouse = text.strip().rpartition("@")
    if not item or not warehouse:
        raise ValueError(f"{text!r} is not ITEM@WAREHOUSE")
    return item, warehouse


@dataclass(frozen=True)
class Tracked:
    """An OPEN reservation the detector remembers."""

    reservation_id: str
    item_sku_id: str
    warehouse_id: str
    source_id: str
    reported: str | None
    """OPEN once its InventoryReserved exists; None while it has no event yet."""
    observed: str | None = None
    """A state seen on the last pass that has no event yet; reported on the next pass."""

    @property
    def pair(self) -> Pair:
        return self.item_sku_id, self.warehouse_id

    @classmethod
    def of(cls, reservation: Reservation, reported: str | None, observed: str | None) -> Tracked:
        return cls(reservation.id, reservation.item_sku_id, reservation.warehouse_id,
                   reservation.source.id, reported, observed)  # fmt: skip


@dataclass(frozen=True)
class ReservationEvent:
    """A reservation event already in the gateway's feed, whoever wrote it."""

    id: int
    type: str
    reservation_id: str
    item_sku_id: str
    warehouse_id: str
    source_id: str

    @property
    def pair(self) -> Pair:
        return self.item_sku_id, self.warehouse_id


@dataclass(frozen=True)
class Memory:
    """What the detector remembers between passes."""

    tracked: dict[str, Tracked]
    watched: frozenset[Pair]
    events_read: int
    """The id of the last event of the gateway's feed the detector has followed."""


@dataclass(frozen=True)
class PassResult:
    """What one pass changes in the memory: reservations remembered anew (None: forgotten),
    pairs read for the first time, and how far the feed has been followed."""

    tracked: dict[str, Tracked | None]
    new_pairs: frozenset[Pair]
    events_read: int


@dataclass(frozen=True)
class Report:
    """What one reservation's pass yields: events to write, and what to remember (None: forget
    it, it is closed and its closing has an event)."""

    events: tuple[tuple[str, Reservation], ...]
    tracked: Tracked | None


def follow(tracked: Tracked | None, event: ReservationEvent) -> Tracked | None:
    """What is remembered once ``event`` is in the feed: an OPEN reported, a closing forgotten."""
    state = STATE_OF_EVENT.get(event.type)
    if state is None:
        return tracked
    if state != OPEN:
        return None
    observed = tracked.observed if tracked else None
    return Tracked(event.reservation_id, event.item_sku_id, event.warehouse_id,
                   event.source_id, OPEN, observed)  # fmt: skip


def reconcile(tracked: Tracked | None, now: Reservation, baseline: bool) -> Report:
    """Compare what is remembered with the legacy system's reservation as it is now.

    ``baseline``: the reservation's pair is read for the first time, so what it holds is taken
    as known, not as news (the legacy system keeps no history to tell new from old).
    """
    state = state_of(now)
    if tracked is None:
        if baseline:
            return Report((), Tracked.of(now, OPEN, None) if state == OPEN else None)
        return Report((), Tracked.of(now, None, state))
    if tracked.reported == state:
        return Report((), replace(tracked, observed=None))
    if tracked.observed is None:
        return Report((), replace(tracked, observed=state))
    events: list[tuple[str, Reservation]] = []
    if tracked.reported is None:
        opened = replace(now, status=ReservationStatus.OPEN, release_reason=None,
                         released_at=None, closed_at=None)  # fmt: skip
        events.append((EVENT_OF_STATE[OPEN], opened))
    if state != OPEN:
        events.append((EVENT_OF_STATE[state], now))
    after = replace(tracked, reported=OPEN, observed=None) if state == OPEN else None
    return Report(tuple(events), after)
