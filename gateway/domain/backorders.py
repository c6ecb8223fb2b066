"""Backorders (issue 15.2, decision 170): the part of a partial create the stock did not cover,
kept by the gateway and filled as stock comes back, highest priority first, then oldest.

A backorder is filled by new reservations, each made on a reference of its own derived from
the backorder and its fill number: the legacy system deduplicates on it, so a fill repeated by
another process, or after a crash, makes nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gateway.domain.errors import BackorderNotOpen, Forbidden
from gateway.domain.model import (
    Reservation,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)
from gateway.domain.reservation_rules import Caller

ZERO = Decimal(0)
FILLER = "system:backorder-filler"


class BackorderStatus(StrEnum):
    OPEN = "OPEN"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class Backorder:
    """What a partial create still waits for; ``quantity`` is what is still outstanding."""

    id: str
    item_sku_id: str
    warehouse_id: str
    requested: Decimal
    quantity: Decimal
    type: ReservationType
    source: Source
    priority: int
    owner_id: str
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None = None
    status: BackorderStatus = BackorderStatus.OPEN
    fills: int = 0
    uom: str | None = None
    location: str | None = None
    lot: str | None = None
    ended_at: datetime | None = None
    filling: str | None = None
    """The reference of a fill that may have landed upstream without being recorded here."""

    @property
    def filled(self) -> Decimal:
        return self.requested - self.quantity

    def fill_reference(self) -> str:
        """The legacy REFNO of this backorder's next fill (at most 40 characters)."""
        return f"BO-{self.id}-{self.fills + 1}"

    def fill_request(self, quantity: Decimal) -> ReservationRequest:
        """The reservation that fills ``quantity`` of it, as its creator asked for it."""
        return ReservationRequest(
            reference=self.fill_reference(), item_sku_id=self.item_sku_id,
            warehouse_id=self.warehouse_id, quantity=quantity, type=self.type,
            source=self.source, owner_id=self.owner_id, priority=self.priority, uom=self.uom,
            location=self.location, lot=self.lot, expires_at=self.expires_at,
            created_by=self.created_by,
        )  # fmt: skip

    def after_fill(self, made: Reservation, now: datetime) -> Backorder:
        """The backorder once ``made`` (its next fill) is in the legacy system."""
        left = max(self.quantity - made.quantity, ZERO)
        status = BackorderStatus.OPEN if left > 0 else BackorderStatus.FILLED
        ended = None if left > 0 else now
        return replace(self, quantity=left, fills=self.fills + 1, status=status, ended_at=ended,
                       filling=None)  # fmt: skip

    def marked(self) -> Backorder:
        """The backorder with its next fill in flight (kept before the reserve is made)."""
        return replace(self, filling=self.fill_reference())

    def ended(self, status: BackorderStatus, now: datetime) -> Backorder:
        if self.status is not BackorderStatus.OPEN:
            raise BackorderNotOpen(f"Backorder {self.id} is {self.status.value.lower()}")
        return replace(self, status=status, ended_at=now)

    def due_to_expire(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


def backorder_summary(b: Backorder) -> dict[str, object]:
    """The backorder a partial create's write plan keeps, to be written when the plan ends done
    (by the request or by recovery): plain JSON values."""
    return {
        "id": b.id, "itemSkuId": b.item_sku_id, "warehouseId": b.warehouse_id,
        "quantity": str(b.quantity), "type": b.type.value, "sourceType": b.source.type.value,
        "sourceId": b.source.id, "priority": b.priority, "ownerId": b.owner_id,
        "createdBy": b.created_by, "createdAt": b.created_at.isoformat(),
        "expiresAt": None if b.expires_at is None else b.expires_at.isoformat(),
        "uom": b.uom, "location": b.location, "lot": b.lot,
    }  # fmt: skip


def backorder_from_summary(d: Mapping[str, Any]) -> Backorder:
    quantity = Decimal(str(d["quantity"]))
    expires = d.get("expiresAt")
    return Backorder(
        id=str(d["id"]), item_sku_id=str(d["itemSkuId"]), warehouse_id=str(d["warehouseId"]),
        requested=quantity, quantity=quantity, type=ReservationType(d["type"]),
        source=Source(SourceType(d["sourceType"]), str(d["sourceId"])),
        priority=int(d["priority"]), owner_id=str(d["ownerId"]), created_by=d.get("createdBy"),
        created_at=datetime.fromisoformat(str(d["createdAt"])),
        expires_at=None if expires is None else datetime.fromisoformat(str(expires)),
        uom=d.get("uom"), location=d.get("location"), lot=d.get("lot"),
    )  # fmt: skip


def backorders_of_plan(summary: Mapping[str, Any]) -> list[Backorder]:
    """The backorders a partial create's (or batch's) plan writes when it ends done."""
    kept = ([summary["backorder"]] if "backorder" in summary else []) + list(
        summary.get("backorders", [])
    )
    return [backorder_from_summary(item) for item in kept]


def ensure_may_cancel(backorder: Backorder, caller: Caller) -> None:
    """As a reservation: its creator, or a Manager or Owner in its scope (decision 026)."""
    if caller.may_override or backorder.created_by == caller.subject:
        return
    raise Forbidden("Only a Manager or Owner may cancel another caller's backorder")


def partial_split(requested: Decimal, available: Decimal) -> tuple[Decimal, Decimal]:
    """What a partial create reserves now and what it backorders: never more than available."""
    reserved = min(requested, max(available, ZERO))
    return reserved, requested - reserved


def serving_order(backorder: Backorder) -> tuple[int, datetime, str]:
    """Highest priority first, then oldest, then id (seed 004: higher is served first)."""
    return -backorder.priority, backorder.created_at, backorder.id


def fills(backorders: Iterable[Backorder], available: Decimal) -> list[tuple[Backorder, Decimal]]:
    """How much of ``available`` each OPEN backorder of one pair gets, in serving order: the
    first takes what it needs or all there is; the next waits until the first is whole."""
    handed: list[tuple[Backorder, Decimal]] = []
    left = available
    for backorder in sorted(backorders, key=serving_order):
        if left <= 0:
            break
        if backorder.status is not BackorderStatus.OPEN or backorder.quantity <= 0:
            continue
        share = min(backorder.quantity, left)
        handed.append((backorder, share))
        left -= share
    return handed


def by_pair(backorders: Sequence[Backorder]) -> dict[tuple[str, str], list[Backorder]]:
    """OPEN backorders grouped by item and warehouse, each group in serving order."""
    groups: dict[tuple[str, str], list[Backorder]] = {}
    for backorder in sorted(backorders, key=serving_order):
        groups.setdefault((backorder.item_sku_id, backorder.warehouse_id), []).append(backorder)
    return groups


class FillerLeaseLost(Exception):
    """The filler's lease passed to another process: this pass's last write must not commit."""


@dataclass(frozen=True)
class BackorderSearch:
    """Criteria for the backorder listing; ``owner_ids`` of ``None`` = every owner."""

    item_sku_id: str | None = None
    warehouse_id: str | None = None
    status: BackorderStatus | None = None
    owner_ids: frozenset[str] | None = None
