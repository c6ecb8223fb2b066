"""Filling backorders as stock comes back (issue 15.2, decision 170): one pass of the filler.

One process at a time, by a lease (as the ERP change detector's, decision 161), and every fill
is fenced by it: the fill's backorder change commits only while this process still holds it.
Each fill is a reserve through a durable write plan, on the reference the backorder and its fill
number give (``Backorder.fill_reference``), which the backorder row keeps as "in flight" before
the reserve is made; a pass looks in-flight references up first (one call per pair), so a fill
that landed for a process that died or lost its lease is counted, never made twice.
Its audit entry and ``InventoryBackorderFilled`` event (deduplicated on the backorder and fill
number) commit with the backorder's change and the plan's end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from gateway.domain.backorders import (
    FILLER,
    Backorder,
    BackorderStatus,
    FillerLeaseLost,
    by_pair,
    fills,
)
from gateway.domain.errors import BackorderNotOpen, GatewayError, InsufficientStock
from gateway.domain.model import Reservation
from gateway.domain.payloads import reservation_payload
from gateway.domain.reservation_rules import Caller
from gateway.services.backorder_ports import BackorderBook
from gateway.services.backorder_records import record
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservations import reserve_planned

log = logging.getLogger(__name__)

FILLED = "InventoryBackorderFilled"
EXPIRED = "InventoryBackorderExpired"
FILLER_CALLER = Caller(FILLER, frozenset(), frozenset(), all_owners=True)


class StopPass(Exception):
    """The lease went to another process (or a backorder changed under us): stop this pass."""


class BackorderFiller:
    """Expires due backorders and fills the others, highest priority first, then oldest."""

    def __init__(
        self,
        inventory: InventoryPort,
        work_orders: WorkOrderPort,
        book: BackorderBook,
        new_unit_of_work: Callable[[], UnitOfWork],
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._inventory = inventory
        self._work_orders = work_orders
        self._book = book
        self._new_uow = new_unit_of_work
        self._lease = lease
        self._clock = clock

    def run_once(self) -> int:
        """One pass; the number of fills it made (0 while another process holds the lease)."""
        if not self._book.take_lease(self._lease):
            return 0
        now, made = self._clock(), 0
        try:
            waiting = [b for b in self._book.open_backorders() if not self._expired(b, now)]
            for (sku, warehouse), group in by_pair(waiting).items():
                made += self._fill_pair(sku, warehouse, group, now)
        except StopPass as stop:
            log.info("backorder pass stopped: %s", stop)
        return made

    def _expired(self, backorder: Backorder, now: datetime) -> bool:
        if not backorder.due_to_expire(now):
            return False
        uow = self._new_uow()
        after = backorder.ended(BackorderStatus.EXPIRED, now)
        uow.also_in_transaction(self._book.changing(backorder, after, fenced=True))
        record(uow, FILLER, "backorder.expire", backorder, after, EXPIRED)
        self._commit(uow)
        return True

    def _fill_pair(self, sku: str, warehouse: str, group: list[Backorder], now: datetime) -> int:
        try:
            group, made = self._settle_marked(group, now)
            available = self._inventory.get_stock_level(sku, warehouse).available
        except GatewayError as error:
            log.warning("cannot read %s in %s for its backorders: %s", sku, warehouse, error.code)
            return 0
        for backorder, share in fills(group, available):
            if not self._fill(backorder, share, now):
                break
            made += 1
        return made

    def _settle_marked(self, group: list[Backorder], now: datetime) -> tuple[list[Backorder], int]:
        """Fills in flight when their process died or lost the lease: counted where they landed
        (one lookup for the pair's marked backorders), else made again on the same reference."""
        marked = [b for b in group if b.filling is not None]
        if not marked:
            return group, 0
        sources = sorted({b.source.id for b in marked})
        landed = {r.reference: r for r in self._inventory.list_reservations_by_sources(sources)}
        settled = {}
        for backorder in marked:
            made = landed.get(backorder.filling)
            if made is not None:
                settled[backorder.id] = self._record_fill(self._new_uow(), backorder, made, now)
        return [settled.get(b.id, b) for b in group], len(settled)

    def _fill(self, backorder: Backorder, share: Decimal, now: datetime) -> bool:
        marked = backorder.marked()
        if marked.filling != backorder.filling:  # kept before the reserve, so a crash is found
            uow = self._new_uow()
            uow.also_in_transaction(self._book.changing(backorder, marked, fenced=True))
            self._commit(uow)
        uow = self._new_uow()
        summary = {"backorderFill": {"backorderId": backorder.id, "fill": backorder.fills + 1}}
        try:
            request = marked.fill_request(share)
            made = reserve_planned([request], FILLER_CALLER, self._inventory,
                                   self._work_orders, uow, summary)[0]  # fmt: skip
        except GatewayError as error:  # insufficient after all, or upstream trouble
            if not isinstance(error, InsufficientStock):
                log.warning("backorder %s not filled: %s", backorder.id, error.code)
            self._commit(uow)  # the failed plan's end
            return False
        self._record_fill(uow, marked, made, now)
        return True

    def _record_fill(
        self, uow: UnitOfWork, backorder: Backorder, made: Reservation, now: datetime
    ) -> Backorder:
        after = backorder.after_fill(made, now)
        uow.also_in_transaction(self._book.changing(backorder, after, fenced=True))
        extra = {"reservation": reservation_payload(made), "filledNow": made.quantity}
        record(uow, FILLER, "backorder.fill", backorder, after, FILLED, extra,
               dedupe_key=f"{FILLED}:{backorder.id}:{after.fills}")  # fmt: skip
        self._commit(uow)
        return after

    def _commit(self, uow: UnitOfWork) -> None:
        try:
            uow.commit()
        except (FillerLeaseLost, BackorderNotOpen) as error:
            raise StopPass(str(error)) from error
