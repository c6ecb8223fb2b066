"""Extending, shortening or clearing expiries (issue 15.1, decision 173): one reservation, or
every open reservation of a source document at once ("confirm the order: keep it until it is
fulfilled", seed 003).

A single change is the only write of its plan. A source's changes are one plan, all or nothing:
a change that fails sets the ones made back to what they were, newest first, from the plan's
compensations (gateway/services/plan_runner.py), so no document is left half extended. Every
change carries its own legacy reference, so a lost answer is repeated safely.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from gateway.domain.errors import (
    InvalidExpiry,
    RequestInvalid,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    SourceChangeInProgress,
)
from gateway.domain.model import Reservation, ReservationStatus, Source, SourceType
from gateway.domain.payloads import reservation_from_payload
from gateway.domain.reservation_rules import Caller, ensure_may_change
from gateway.domain.reservation_writes import change_expiry_step
from gateway.domain.write_plan import WritePlan, numbered_references, plan_reference
from gateway.services.ports import InventoryPort, UnitOfWork
from gateway.services.reservations import (
    run_inventory_plan,
    run_single_write,
    visible_reservation,
)

EXTEND = "reservation.extend"
EXTEND_SOURCE = "reservation.extend_source"
RETRY_AFTER_SECONDS = 2
MAX_SOURCE_RESERVATIONS = 200
"""The most open reservations one source change writes (a work order's lines fit easily)."""


@dataclass(frozen=True)
class SourceExpiry:
    """A source document's open reservations, each with its new expiry."""

    source: Source
    expires_at: datetime | None
    reservations: tuple[Reservation, ...]


def ensure_future(expires_at: datetime | None, now: datetime) -> None:
    """A new expiry lies ahead (None: the reservation no longer expires)."""
    if expires_at is not None and expires_at <= now:
        raise InvalidExpiry("expiresAt must lie in the future")


def change_expiry(
    reservation_id: str,
    expires_at: datetime | None,
    caller: Caller,
    reference: str,
    inventory: InventoryPort,
    uow: UnitOfWork,
    now: datetime,
) -> Reservation:
    """Set an OPEN reservation's expiry (its creator, or a Manager/Owner in scope)."""
    ensure_future(expires_at, now)
    before = visible_reservation(reservation_id, caller, inventory)
    ensure_may_change(before, caller)
    _ensure_open(before)
    step = change_expiry_step(before, expires_at, reference, None)
    done = run_single_write(EXTEND, step, caller, inventory, uow)
    return reservation_from_payload(done.result or {})


def change_source_expiry(
    source: Source,
    expires_at: datetime | None,
    caller: Caller,
    inventory: InventoryPort,
    uow: UnitOfWork,
    now: datetime,
) -> SourceExpiry:
    """Set the expiry of every OPEN reservation of ``source`` the caller sees, or of none.

    Every one must be the caller's to change before the first is written; none open is not
    found (another owner's reservations are as missing as ones that do not exist).
    """
    ensure_future(expires_at, now)
    open_reservations_of(source, caller, inventory)  # scope first: another owner's, busy or not
    plan_id = uuid.uuid4().hex
    # One change per source document at a time (any process), as one update per work order:
    # two at once would leave its lines mixed, each with the date of whichever wrote it last.
    lock = f"source:{source.type.value}:{source.id}"
    if not uow.plans.lock_work_order(lock, plan_id):
        raise SourceChangeInProgress(
            f"{source.type.value} {source.id} is being changed by another request",
            retry_after=RETRY_AFTER_SECONDS,
        )
    try:
        plan = _source_plan(plan_id, source, expires_at, caller, inventory, uow)
    except BaseException:
        uow.plans.unlock_work_order(lock, plan_id)
        raise
    return source_expiry_of(run_inventory_plan(plan, inventory, uow))  # its end frees the lock


def _source_plan(
    plan_id: str,
    source: Source,
    expires_at: datetime | None,
    caller: Caller,
    inventory: InventoryPort,
    uow: UnitOfWork,
) -> WritePlan:
    """The source's changes as one plan, read and checked while the source is held."""
    targets = open_reservations_of(source, caller, inventory)
    for reservation in targets:
        ensure_may_change(reservation, caller)
    references = numbered_references(plan_reference(plan_id, "EXS"), len(targets))
    return WritePlan(
        id=plan_id, operation=EXTEND_SOURCE, target_id=f"{source.type.value}:{source.id}",
        actor=caller.subject, correlation_id=uow.correlation_id,
        steps=tuple(change_expiry_step(reservation, expires_at, reference, f"{reference}-U")
                    for reservation, reference in zip(targets, references, strict=True)),
        summary={"ownerId": targets[0].owner_id,
                 "source": {"type": source.type.value, "id": source.id},
                 "expiresAt": None if expires_at is None else expires_at.isoformat()},
    )  # fmt: skip


def open_reservations_of(
    source: Source, caller: Caller, inventory: InventoryPort
) -> list[Reservation]:
    """The source's OPEN reservations inside the caller's scope, in id order."""
    found = [
        reservation
        for reservation in inventory.list_reservations_by_sources([source.id])
        if reservation.source == source
        and reservation.status is ReservationStatus.OPEN
        and caller.can_see(reservation.owner_id)
    ]
    if not found:
        raise ReservationNotFound(f"No open reservation of {source.type.value} {source.id}")
    if len(found) > MAX_SOURCE_RESERVATIONS:
        raise RequestInvalid(
            {"source": [f"has more than {MAX_SOURCE_RESERVATIONS} open reservations"]}
        )
    return found


def source_expiry_of(plan: WritePlan) -> SourceExpiry:
    """A source change's answer, from its finished plan (a keyed retry's too)."""
    source = plan.summary["source"]
    expires = plan.summary.get("expiresAt")
    return SourceExpiry(
        Source(SourceType(source["type"]), source["id"]),
        None if expires is None else datetime.fromisoformat(expires),
        tuple(reservation_from_payload(step.result or {}) for step in plan.steps),
    )


def _ensure_open(reservation: Reservation) -> None:
    if reservation.status is ReservationStatus.RELEASED:
        raise ReservationAlreadyReleased(f"Reservation {reservation.id} is already released")
    if reservation.status is ReservationStatus.CLOSED:
        raise ReservationAlreadyClosed(f"Reservation {reservation.id} is already closed")
