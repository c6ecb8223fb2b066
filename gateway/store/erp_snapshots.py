"""The ERP change detector's memory in the gateway database: one lease row (with how far the
detector followed the event feed), the item/warehouse pairs it reads, the OPEN reservations
it tracks (docs/decisions/161-erp-change-detection.md)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.erp_changes import (
    STATE_OF_EVENT,
    LeaseLost,
    Memory,
    PassResult,
    ReservationEvent,
    Tracked,
)
from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import erp_detector, erp_snapshots, erp_watch, events

DETECTOR = "erp-changes"

_RESERVATION_EVENTS = (
    select(events.c.id, events.c.type, events.c.payload)
    .where(events.c.id > bindparam("w_after"), events.c.type.in_(sorted(STATE_OF_EVENT)))
    .order_by(events.c.id)
    .limit(bindparam("w_limit"))
)
_RENEW = (
    update(erp_detector)
    .where(erp_detector.c.name == DETECTOR, erp_detector.c.holder == bindparam("w_holder"))
    .values(lease_until=bindparam("until"), events_read=bindparam("read"))
)


class ErpSnapshotStore:
    """The detector's lease and memory; ``holder`` names this process (and this store)."""

    def __init__(self, engine: Engine, holder: str | None = None) -> None:
        self._engine = engine
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def take_lease(self, lease: timedelta) -> bool:
        """Take the lease when free or run out, renew it when ours; False while another's."""
        now = utc_now()
        try:
            with self._engine.begin() as connection:
                row = connection.execute(
                    select(erp_detector).where(erp_detector.c.name == DETECTOR).with_for_update()
                ).first()
                if row is None:
                    connection.execute(insert(erp_detector).values(
                        name=DETECTOR, holder=self.holder, lease_until=now + lease, events_read=0
                    ))  # fmt: skip
                    return True
                if row.holder != self.holder and (as_utc(row.lease_until) or now) > now:
                    return False
                connection.execute(
                    update(erp_detector)
                    .where(erp_detector.c.name == DETECTOR, erp_detector.c.holder == row.holder)
                    .values(holder=self.holder, lease_until=now + lease)
                )
                return True
        except IntegrityError:  # another process inserted the row first
            return False

    def give_up_lease(self) -> None:
        """End this process's lease now (at shutdown), so another takes over at its next pass."""
        with self._engine.begin() as connection:
            connection.execute(
                update(erp_detector)
                .where(erp_detector.c.name == DETECTOR, erp_detector.c.holder == self.holder)
                .values(lease_until=utc_now())
            )

    def load(self) -> Memory:
        with self._engine.connect() as connection:
            read = connection.execute(
                select(erp_detector.c.events_read).where(erp_detector.c.name == DETECTOR)
            ).scalar()
            pairs = connection.execute(select(erp_watch.c.item_sku_id, erp_watch.c.warehouse_id))
            watched = frozenset((row[0], row[1]) for row in pairs)
            rows = connection.execute(select(erp_snapshots)).mappings().all()
        tracked = {
            row["reservation_id"]: Tracked(
                row["reservation_id"], row["item_sku_id"], row["warehouse_id"],
                row["source_id"], row["reported"], row["observed"],
            )
            for row in rows
        }  # fmt: skip
        return Memory(tracked, watched, int(read or 0))

    def reservation_events(self, after: int, limit: int) -> tuple[list[ReservationEvent], int]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                _RESERVATION_EVENTS, {"w_after": after, "w_limit": limit}
            ).all()
        found = [event for event in map(_reservation_event, rows) if event is not None]
        return found, int(rows[-1].id) if rows else after

    def saving(self, result: PassResult, lease: timedelta) -> Callable[[Any], None]:
        def write(connection: Connection) -> None:
            now = utc_now()
            renewed = connection.execute(
                _RENEW, {"w_holder": self.holder, "until": now + lease, "read": result.events_read}
            ).rowcount
            if not renewed:
                raise LeaseLost(self.holder)
            _save_tracked(connection, result.tracked, now)
            if result.new_pairs:
                connection.execute(insert(erp_watch), [
                    {"item_sku_id": item, "warehouse_id": warehouse, "added_at": now}
                    for item, warehouse in sorted(result.new_pairs)
                ])  # fmt: skip

        return write


def _save_tracked(connection: Connection, tracked: dict[str, Tracked | None], now: Any) -> None:
    if not tracked:
        return
    ids = sorted(tracked)
    for start in range(0, len(ids), 500):  # bounded IN lists
        chunk = ids[start : start + 500]
        connection.execute(delete(erp_snapshots).where(erp_snapshots.c.reservation_id.in_(chunk)))
    kept = [row for row in tracked.values() if row is not None]
    if kept:
        connection.execute(insert(erp_snapshots), [
            {"reservation_id": row.reservation_id, "item_sku_id": row.item_sku_id,
             "warehouse_id": row.warehouse_id, "source_id": row.source_id,
             "reported": row.reported, "observed": row.observed, "seen_at": now}
            for row in kept
        ])  # fmt: skip


def _reservation_event(row: Any) -> ReservationEvent | None:
    """An event naming a reservation and its item, warehouse and source; None otherwise."""
    payload = json.loads(row.payload) or {}
    source = payload.get("source") or {}
    fields = [payload.get("reservationId"), payload.get("itemSkuId"),
              payload.get("warehouseId"), source.get("id")]  # fmt: skip
    texts = [value for value in fields if isinstance(value, str) and value]
    if len(texts) < len(fields):
        return None
    return ReservationEvent(int(row.id), row.type, *texts)
