"""The interfaces the use cases need; adapters implement them, fakes stand in for unit tests."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from gateway.domain.erp_changes import Memory, PassResult, ReservationEvent
from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Item,
    ItemBalances,
    Material,
    Page,
    Recipe,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    StockLevel,
    WorkOrder,
)
from gateway.domain.write_plan import WritePlan


class InventoryPort(Protocol):
    """The legacy inventory system: items, balances, reservations, transactions."""

    def get_item(self, sku: str) -> Item:
        """One item's master data; ItemNotFound if unknown."""
        ...

    def get_stock_level(self, sku: str, warehouse_id: str) -> StockLevel:
        """One item's balance in one warehouse; ItemNotFound if unknown."""
        ...

    def get_item_balances(self, skus: Sequence[str]) -> list[ItemBalances]:
        """Master data and balances for many items in one round trip; unknown items omitted."""
        ...

    def list_reservations_by_sources(self, source_ids: Sequence[str]) -> list[Reservation]:
        """Every reservation whose source id is one of ``source_ids``, in one round trip."""
        ...

    def list_reservations(self, sku: str, warehouse_id: str | None = None) -> list[Reservation]:
        """Every reservation for an item, optionally in one warehouse."""
        ...

    def get_reservation(self, reservation_id: str) -> Reservation:
        """One reservation, whatever its status; ReservationNotFound if unknown."""
        ...

    def search_reservations(
        self, search: ReservationSearch, offset: int = 0, limit: int = 50
    ) -> Page[Reservation]:
        """Reservations matching every criterion given, one page of them.

        Sorted by priority (highest first), then creation time, then id (oldest first);
        ``Page.total`` counts every match. ``search.owner_ids``: ``None`` = every owner, an
        empty set = none (an empty page, without asking upstream). ``offset`` ≥ 0 and
        ``1 ≤ limit ≤ 1000``, else RequestInvalid.
        """
        ...

    def low_stock(self, owner_ids: frozenset[str] | None = None) -> list[StockLevel]:
        """Levels of stock-tracked items whose available is at or below their reorder point.

        Only warehouses of ``owner_ids`` (``None`` = every owner, empty = none); each level
        carries its warehouse's ``owner_id``. Ordered by item, then warehouse.
        """
        ...

    def reserve(self, request: ReservationRequest) -> Reservation:
        """Reserve atomically; idempotent on ``request.reference``."""
        ...

    def release(
        self, reservation_id: str, reason: ReleaseReason, reference: str | None = None
    ) -> Reservation:
        """OPEN → RELEASED; ReservationAlreadyReleased / ReservationAlreadyClosed otherwise.

        ``ReleaseReason.EXPIRED`` releases only a reservation whose expiry has passed; one
        without an expiry, or whose expiry is still ahead (extended after it was read as due),
        is ReservationNotExpired and stays OPEN.

        ``reference`` (the legacy REFNO, at most 40 characters) makes the release repeatable:
        repeating the release that released the reservation with the same reference returns
        the reservation as released, so it is retried after a lost answer. Another reference,
        or none, on a released reservation is ReservationAlreadyReleased. Without a reference
        the release is never retried: after UpstreamUnavailable or UpstreamTimeout it may or
        may not have happened; a caller that must know reads it back with ``get_reservation``.
        """
        ...

    def consume(
        self,
        reservation_id: str,
        reference: str,
        quantity: Decimal | None = None,
        release_remainder: bool = False,
    ) -> Consumption:
        """Take stock for an OPEN reservation; a CNS transaction of −quantity records it.

        ``quantity`` None (or equal to what the reservation holds): the whole of it, OPEN →
        CLOSED, on-hand and reserved both drop by it. Less: on-hand and reserved drop by
        ``quantity`` and the reservation stays OPEN holding the rest; with ``release_remainder``
        it is CLOSED instead, keeping the quantity it held, reserved drops by all of it and the
        rest is available again. More than it holds is ConsumeExceedsReserved, ≤ 0
        InvalidQuantity; either changes nothing.

        ``reference`` is the transaction's unique reference (the legacy REFNO). Repeating a
        consume with its reference returns the reservation as it is now and the transaction
        that reference posted, changing nothing (so it is retried after a lost answer); the
        same reference for another reservation is ReferenceReused (legacy 260). Another
        reference on a closed reservation is ReservationAlreadyClosed, on a released one
        ReservationAlreadyReleased.
        """
        ...

    def change_expiry(
        self, reservation_id: str, expires_at: datetime | None, reference: str
    ) -> Reservation:
        """Give an OPEN reservation a new expiry; ``None``: it no longer expires.

        A past expiry is accepted (a compensation may restore one that has passed since).
        ``reference`` (the legacy REFNO, at most 40 characters) makes it repeatable: the same
        reference for the same reservation and expiry returns the reservation as it is now and
        changes nothing, even if it was released or closed since, so it is retried after a
        lost answer; the same reference with another reservation or another expiry is
        ReferenceReused (legacy 260). A released reservation is ReservationAlreadyReleased, a
        closed one ReservationAlreadyClosed, an unknown one ReservationNotFound.
        """
        ...

    def post_transaction(self, transaction: InventoryTransaction) -> InventoryTransaction:
        """Post a stock movement; the answer carries previous and new on-hand."""
        ...


class WorkOrderPort(Protocol):
    """The work-order operations service: work orders, operations, materials, recipes."""

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        """The work order with its operations and materials; WorkOrderNotFound if unknown."""
        ...

    def get_recipe(self, name: str) -> Recipe:
        """The recipe (work definition); RecipeNotFound if unknown."""
        ...

    def update_work_order(
        self,
        work_order_id: str,
        batch_quantity: Decimal | None = None,
        planned_start: datetime | None = None,
    ) -> WorkOrder:
        """Change the header fields given (absolute values); never retried by the adapter."""
        ...

    def put_material(
        self, work_order_id: str, operation_sequence: int, material: Material
    ) -> Material:
        """Add or replace a material of an operation (idempotent)."""
        ...

    def delete_material(
        self, work_order_id: str, operation_sequence: int, item_number: str
    ) -> None:
        """Remove a material of an operation; absent already is fine (idempotent)."""
        ...


class TokenProvider(Protocol):
    """Bearer tokens for calls to an upstream."""

    def token_for(self, scope: str) -> str:
        """A valid access token for ``scope``, from cache when possible."""
        ...


class AuditLog(Protocol):
    """Who did what to which thing, with the state before and after."""

    def record(
        self,
        actor: str,
        action: str,
        target_type: str,
        target_id: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
        owner_id: str | None = None,
    ) -> None:
        """Add an audit entry to the unit of work (written when it commits). Its owner (whose
        admins see it) is ``owner_id``, else the ``ownerId`` of ``after`` or ``before``."""
        ...


class EventLog(Protocol):
    """Domain events in commit order, for MES clients to follow."""

    def publish(
        self,
        event_type: str,
        aggregate_id: str,
        payload: Mapping[str, Any],
        owner_id: str | None = None,
        dedupe_key: str | None = None,
        origin: str = "gateway",
    ) -> None:
        """Add an event; one with an already-written ``dedupe_key`` is dropped. ``origin``:
        "gateway" for the gateway's own changes, "erp" for ones found in the legacy system."""
        ...


class Outbox(Protocol):
    """Durable work to run later, retried until it succeeds (e.g. compensations)."""

    def enqueue(
        self,
        kind: str,
        payload: Mapping[str, Any],
        plan_id: str | None = None,
        conflict: str | None = None,
        owner_id: str | None = None,
    ) -> None:
        """Add an entry to the unit of work; a worker runs it after the commit. With
        ``conflict`` it is kept, never run: a compensation that would oversell."""
        ...


class PlanStore(Protocol):
    """Write plans and work-order locks (gateway/store/write_plans.py): written at once, not
    buffered, because a plan must be durable before its first upstream write."""

    def begin(self, plan: WritePlan, idempotency: tuple[str, str] | None = None) -> None: ...
    def save(self, plan: WritePlan) -> None: ...
    def finishing(self, plan: WritePlan) -> Callable[[Any], None]: ...
    def lock_work_order(self, work_order_id: str, holder: str) -> bool: ...
    def unlock_work_order(self, work_order_id: str, holder: str) -> None: ...


class UnitOfWork(Protocol):
    """What one use case writes to the gateway's own database, committed at once.

    Use cases add to it after their upstream calls; nothing is written until ``commit``,
    so no database transaction is held open across a call to an upstream system.
    """

    @property
    def audit(self) -> AuditLog: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def correlation_id(self) -> str | None: ...

    @property
    def plans(self) -> PlanStore: ...

    @property
    def request_key(self) -> tuple[str, str] | None:
        """The caller and Idempotency-Key of the request, if it has one."""
        ...

    @property
    def ended_plans(self) -> list[WritePlan]:
        """The write plans this unit of work ends when it commits."""
        ...

    def also_in_transaction(self, write: Callable[[Any], None]) -> None:
        """Another write that must commit with these (e.g. a plan's end)."""
        ...

    def commit(self) -> None:
        """Write everything added so far in one transaction."""
        ...


class ErpSnapshots(Protocol):
    """The change detector's memory of the legacy system (gateway/store/erp_snapshots.py): its
    lease, the pairs it reads, the reservations it tracks, how far it followed the feed."""

    def take_lease(self, lease: timedelta) -> bool:
        """Hold (or renew) the detector's lease for this process; False while another holds it."""
        ...

    def load(self) -> Memory:
        """Everything remembered since the last pass."""
        ...

    def reservation_events(self, after: int, limit: int) -> tuple[list[ReservationEvent], int]:
        """Reservation events of the feed with an id above ``after`` (at most ``limit`` read),
        oldest first, and the id the next read goes on after."""
        ...

    def saving(self, result: PassResult, lease: timedelta) -> Callable[[Any], None]:
        """The pass's memory as a write for the unit of work's transaction; it raises LeaseLost
        (so nothing of the pass commits) when this process no longer holds the lease."""
        ...
