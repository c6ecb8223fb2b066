"""Backorders in the gateway database (issue 15.2, decision 170), and the filler's lease.

Every change of a backorder is a write for the unit of work's transaction, conditional on the
state it was read in (status, fill count), so two writers never both apply theirs; a fill also
checks that this process still holds the filler's lease (a fence, as decision 161's detector).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.backorders import (
    Backorder,
    BackorderSearch,
    BackorderStatus,
    FillerLeaseLost,
    serving_order,
)
from gateway.domain.errors import BackorderNotOpen
from gateway.domain.model import Page, ReservationType, Source, SourceType
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import backorder_filler, backorders

FILLER = "backorder-filler"
Write = Callable[[Connection], None]


class BackorderStore:
    """The backorders and the filler's lease; ``holder`` names this process (and this store)."""

    def __init__(self, engine: Engine, holder: str | None = None) -> None:
        self._engine = engine
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    # --- reads -------------------------------------------------------------------------

    def get(self, backorder_id: str) -> Backorder | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(backorders).where(backorders.c.id == backorder_id)
            ).first()
        return None if row is None else _backorder(row)

    def search(self, search: BackorderSearch, offset: int, limit: int) -> Page[Backorder]:
        """One page, highest priority first, then oldest."""
        if search.owner_ids is not None and not search.owner_ids:
            return Page((), 0, offset, limit)
        where = _criteria(search)
        with self._engine.connect() as connection:
            total = connection.execute(
                select(func.count()).select_from(backorders).where(*where)
            ).scalar_one()
            rows = connection.execute(
                select(backorders).where(*where)
                .order_by(backorders.c.priority.desc(), backorders.c.created_at, backorders.c.id)
                .offset(offset).limit(limit)
            ).all()  # fmt: skip
        return Page(tuple(_backorder(row) for row in rows), int(total), offset, limit)

    def open_backorders(self) -> list[Backorder]:
        """Every OPEN backorder, in serving order."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                select(backorders).where(backorders.c.status == BackorderStatus.OPEN.value)
            ).all()
        return sorted(map(_backorder, rows), key=serving_order)

    def backordered(self, sku: str, warehouse_id: str) -> Decimal:
        """What the OPEN backorders of one item in one warehouse still wait for."""
        with self._engine.connect() as connection:
            quantities = connection.execute(
                select(backorders.c.quantity).where(
                    backorders.c.status == BackorderStatus.OPEN.value,
                    backorders.c.item_sku_id == sku,
                    backorders.c.warehouse_id == warehouse_id,
                )
            ).scalars()
            return sum((Decimal(q) for q in quantities), Decimal(0))

    # --- writes, for a unit of work's transaction ---------------------------------------

    def adding(self, backorder: Backorder) -> Write:
        def write(connection: Connection) -> None:
            connection.execute(insert(backorders).values(_row(backorder)))

        return write

    def changing(self, before: Backorder, after: Backorder, fenced: bool = False) -> Write:
        """``before`` becomes ``after``, unless another writer changed it first (then
        BackorderNotOpen); ``fenced``: only while this process holds the filler's lease."""

        def write(connection: Connection) -> None:
            if fenced and not self._holds_lease(connection):
                raise FillerLeaseLost(self.holder)
            changed = connection.execute(
                update(backorders)
                .where(backorders.c.id == before.id,
                       backorders.c.status == before.status.value,
                       backorders.c.fills == before.fills)
                .values(quantity=str(after.quantity), status=after.status.value,
                        fills=after.fills, ended_at=after.ended_at, filling=after.filling)
            ).rowcount  # fmt: skip
            if not changed:
                raise BackorderNotOpen(f"Backorder {before.id} changed meanwhile")

        return write

    # --- the filler's lease ---------------------------------------------------------------

    def take_lease(self, lease: timedelta) -> bool:
        """Take the lease when free or run out, renew it when ours; False while another's."""
        now = utc_now()
        try:
            with self._engine.begin() as connection:
                row = connection.execute(
                    select(backorder_filler)
                    .where(backorder_filler.c.name == FILLER)
                    .with_for_update()
                ).first()
                if row is None:
                    connection.execute(insert(backorder_filler).values(
                        name=FILLER, holder=self.holder, lease_until=now + lease
                    ))  # fmt: skip
                    return True
                if row.holder != self.holder and (as_utc(row.lease_until) or now) > now:
                    return False
                connection.execute(
                    update(backorder_filler)
                    .where(backorder_filler.c.name == FILLER,
                           backorder_filler.c.holder == row.holder)
                    .values(holder=self.holder, lease_until=now + lease)
                )  # fmt: skip
                return True
        except IntegrityError:  # another process inserted the row first
            return False

    def give_up_lease(self) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(backorder_filler)
                .where(backorder_filler.c.name == FILLER,
                       backorder_filler.c.holder == self.holder)
                .values(lease_until=utc_now())
            )  # fmt: skip

    def _holds_lease(self, connection: Connection) -> bool:
        row = connection.execute(
            select(backorder_filler.c.holder, backorder_filler.c.lease_until)
            .where(backorder_filler.c.name == FILLER)
            .with_for_update()
        ).first()
        until = None if row is None else as_utc(row.lease_until)
        return row is not None and row.holder == self.holder and until is not None \
            and until > utc_now()  # fmt: skip


def insert_if_absent(connection: Connection, backorder: Backorder) -> None:
    """Write ``backorder`` unless a row with its id exists (a plan's end may run twice)."""
    found = connection.execute(
        select(backorders.c.id).where(backorders.c.id == backorder.id)
    ).first()
    if found is None:
        connection.execute(insert(backorders).values(_row(backorder)))


def _criteria(search: BackorderSearch) -> list[Any]:
    where: list[Any] = []
    if search.item_sku_id is not None:
        where.append(backorders.c.item_sku_id == search.item_sku_id)
    if search.warehouse_id is not None:
        where.append(backorders.c.warehouse_id == search.warehouse_id)
    if search.status is not None:
        where.append(backorders.c.status == search.status.value)
    if search.owner_ids is not None:
        where.append(backorders.c.owner_id.in_(sorted(search.owner_ids)))
    return where


def _row(b: Backorder) -> dict[str, Any]:
    return {
        "id": b.id, "item_sku_id": b.item_sku_id, "warehouse_id": b.warehouse_id,
        "requested": str(b.requested), "quantity": str(b.quantity), "type": b.type.value,
        "source_type": b.source.type.value, "source_id": b.source.id, "priority": b.priority,
        "owner_id": b.owner_id, "created_by": b.created_by, "created_at": b.created_at,
        "expires_at": b.expires_at, "status": b.status.value, "fills": b.fills, "uom": b.uom,
        "location": b.location, "lot": b.lot, "ended_at": b.ended_at, "filling": b.filling,
    }  # fmt: skip


def _backorder(row: Any) -> Backorder:
    created: datetime | None = as_utc(row.created_at)
    assert created is not None
    return Backorder(
        id=row.id, item_sku_id=row.item_sku_id, warehouse_id=row.warehouse_id,
        requested=Decimal(row.requested), quantity=Decimal(row.quantity),
        type=ReservationType(row.type), source=Source(SourceType(row.source_type), row.source_id),
        priority=int(row.priority), owner_id=row.owner_id, created_by=row.created_by,
        created_at=created, expires_at=as_utc(row.expires_at),
        status=BackorderStatus(row.status), fills=int(row.fills), uom=row.uom,
        location=row.location, lot=row.lot, ended_at=as_utc(row.ended_at), filling=row.filling,
    )  # fmt: skip
