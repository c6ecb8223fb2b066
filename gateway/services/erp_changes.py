"""Changes made inside the legacy system become events (issue 14.3): one pass of the change
detector, which compares the legacy system's reservations with what it remembers.

A pass, holding the lease: follow the gateway's own feed since the last pass (its changes are
known, its pairs are in use), read the OPEN reservations of every pair in use (one browse per
pair), read what became of tracked ones that are no longer OPEN (one call for all their
sources), then write the events and the new memory in one transaction, which the lease
fences (docs/decisions/161-erp-change-detection.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from gateway.domain.erp_changes import (
    ERP_ORIGIN,
    LeaseLost,
    Pair,
    PassResult,
    Tracked,
    follow,
    reconcile,
)
from gateway.domain.errors import ItemNotFound, UnknownWarehouse
from gateway.domain.model import Reservation, ReservationSearch, ReservationStatus
from gateway.services.change_records import publish
from gateway.services.ports import ErpSnapshots, InventoryPort, UnitOfWork

log = logging.getLogger(__name__)
PAGE = 1000
"""The legacy browse's largest page."""
SOURCES_PER_CALL = 200
FEED_BATCH = 1000


@dataclass(frozen=True)
class ErpChangeDetector:
    """The detector bound to its ports; ``watch`` are pairs read whether in use or not."""

    inventory: InventoryPort
    snapshots: ErpSnapshots
    new_unit_of_work: Callable[[], UnitOfWork]
    watch: frozenset[Pair] = frozenset()
    lease: timedelta = timedelta(seconds=30)

    def run_once(self) -> int:
        """One pass; how many events it wrote (0 while another process holds the lease)."""
        if not self.snapshots.take_lease(self.lease):
            return 0
        memory = self.snapshots.load()
        tracked = dict(memory.tracked)
        changed: dict[str, Tracked | None] = {}
        events_read, in_use = self._follow_feed(memory.events_read, tracked, changed)
        new_pairs = frozenset((in_use | self.watch) - memory.watched)
        pairs = memory.watched | new_pairs
        found = self._open_in(pairs)
        found |= self._no_longer_open(tracked, found, pairs, changed)
        uow = self.new_unit_of_work()
        written = 0
        for reservation in sorted(found.values(), key=_in_creation_order):
            baseline = (reservation.item_sku_id, reservation.warehouse_id) in new_pairs
            report = reconcile(tracked.get(reservation.id), reservation, baseline)
            if report.tracked != tracked.get(reservation.id):
                changed[reservation.id] = report.tracked
            for event_type, state in report.events:
                publish(uow, event_type, state, origin=ERP_ORIGIN)
                written += 1
        result = PassResult(changed, new_pairs, events_read)
        uow.also_in_transaction(self.snapshots.saving(result, self.lease))
        try:
            uow.commit()
        except LeaseLost:
            log.warning("the ERP change detector's lease was taken over; this pass wrote nothing")
            return 0
        return written

    def _follow_feed(
        self, after: int, tracked: dict[str, Tracked], changed: dict[str, Tracked | None]
    ) -> tuple[int, set[Pair]]:
        """Apply the feed's reservation events since ``after``; the cursor and their pairs."""
        pairs: set[Pair] = set()
        while True:
            batch, last = self.snapshots.reservation_events(after, FEED_BATCH)
            for event in batch:
                pairs.add(event.pair)
                after_event = follow(tracked.get(event.reservation_id), event)
                changed[event.reservation_id] = after_event
                _remember(tracked, event.reservation_id, after_event)
            if last == after:
                return after, pairs
            after = last

    def _open_in(self, pairs: Iterable[Pair]) -> dict[str, Reservation]:
        """Every OPEN reservation of these pairs, one browse (a page of 1,000) per pair. Any
        other failure ends the pass with nothing written: the next starts from the same memory."""
        found: dict[str, Reservation] = {}
        for item, warehouse in sorted(pairs):
            try:
                found.update((r.id, r) for r in self._open_of(item, warehouse))
            except (ItemNotFound, UnknownWarehouse):  # holds nothing (a mistyped watch entry)
                log.warning("the ERP knows no %s in %s; nothing to read there", item, warehouse)
        return found

    def _open_of(self, item: str, warehouse: str) -> list[Reservation]:
        search = ReservationSearch(item, warehouse, status=ReservationStatus.OPEN)
        found: list[Reservation] = []
        while True:
            page = self.inventory.search_reservations(search, len(found), PAGE)
            found += page.items
            if not page.items or len(found) >= page.total:
                return found

    def _no_longer_open(
        self,
        tracked: dict[str, Tracked],
        still_open: dict[str, Reservation],
        pairs: frozenset[Pair],
        changed: dict[str, Tracked | None],
    ) -> dict[str, Reservation]:
        """What became of tracked reservations the browse no longer finds OPEN, read by their
        sources in one call per 200; one the legacy system no longer knows is forgotten."""
        gone = {t.reservation_id: t for t in tracked.values()
                if t.pair in pairs and t.reservation_id not in still_open}  # fmt: skip
        sources = sorted({t.source_id for t in gone.values()})
        found: dict[str, Reservation] = {}
        for start in range(0, len(sources), SOURCES_PER_CALL):
            chunk = sources[start : start + SOURCES_PER_CALL]
            for reservation in self.inventory.list_reservations_by_sources(chunk):
                if reservation.id in gone:
                    found[reservation.id] = reservation
        for missing in gone.keys() - found.keys():
            log.warning("reservation %s is no longer in the legacy system; forgotten", missing)
            changed[missing] = None
        return found


def _remember(tracked: dict[str, Tracked], reservation_id: str, now: Tracked | None) -> None:
    if now is None:
        tracked.pop(reservation_id, None)
    else:
        tracked[reservation_id] = now


def _in_creation_order(reservation: Reservation) -> tuple[int, str]:
    """Legacy numbers count up: shorter first, then by text."""
    return len(reservation.id), reservation.id
