"""The audit entries and events a write plan leaves, from the plan alone.

Written once, in the transaction that ends the plan, whichever process ends it (the request's,
recovery, or the outbox for a queued compensation), with the request's correlation id. Every
reservation a plan made, released, cancelled or restored gets its entry and its SPEC §5.3
event; a restore that could not run without overselling gets ``InventoryCompensationConflict``.
Work-order and transaction compensations get an audit entry (there is no event feed for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.domain import undo
from gateway.domain.backorders import backorders_of_plan
from gateway.domain.errors import GatewayError
from gateway.domain.model import Reservation, ReservationStatus
from gateway.domain.payloads import consumption_from_payload, reservation_from_payload
from gateway.domain.write_plan import (
    CHANGE_EXPIRY,
    CONSUME,
    RELEASE,
    RESERVE,
    PlannedStep,
    PlanState,
    StepState,
    WritePlan,
)
from gateway.services.backorder_records import record_created
from gateway.services.change_records import publish, record_change, snapshot
from gateway.services.ports import UnitOfWork

OUTBOX_ACTOR = "gateway:outbox"
CONFLICT_EVENT = "InventoryCompensationConflict"
EXTENDED = "InventoryReservationExtended"
PARTLY_CONSUMED = "InventoryPartiallyConsumed"


def end_plan(uow: UnitOfWork, plan: WritePlan, error: Exception | None = None) -> None:
    """The plan's audit entries and events, and its end, commit with the unit of work.

    A caller still waiting for a plan whose compensation ended in conflict is told so in its
    answer: the SPEC §6 code of each conflict, with the reservation it could not restore.
    """
    record_plan(uow, plan)
    uow.also_in_transaction(uow.plans.finishing(plan))
    uow.ended_plans.append(plan)
    conflicts = [
        {"reservationId": step.args.get("reservationId"), **dict(step.undo_result or {})}
        for step in plan.steps if step.state is StepState.CONFLICT
    ]  # fmt: skip
    if conflicts and isinstance(error, GatewayError):
        error.extra["compensationConflicts"] = conflicts


def record_plan(uow: UnitOfWork, plan: WritePlan) -> None:
    """Everything the plan did and undid, as audit entries and events."""
    _record_summary(uow, plan)
    for step in plan.steps:
        _record_step(uow, plan, step)
    if plan.state is PlanState.DONE:  # written by the plan's end (decision 170)
        for backorder in backorders_of_plan(plan.summary):
            record_created(uow, plan.actor, backorder)


def record_outbox_compensation(
    uow: UnitOfWork,
    kind: str,
    payload: Mapping[str, Any],
    changed: Reservation | None,
    owner_id: str | None = None,
) -> None:
    """A compensation the outbox ran: its audit entry and, for a reservation, its event."""
    if kind in (undo.CANCEL_RESERVATION, undo.RELEASE) and changed is not None:
        record_change(uow, OUTBOX_ACTOR, "reservation.cancel", None, changed, "InventoryReleased")
    elif kind == undo.RESTORE_RESERVATION and changed is not None:
        record_change(uow, OUTBOX_ACTOR, "reservation.restore", None, changed, "InventoryReserved")
    elif kind == undo.RESTORE_EXPIRY and changed is not None:
        record_change(uow, OUTBOX_ACTOR, "reservation.restore_expiry", None, changed, EXTENDED,
                      change=str(payload["reference"]))  # fmt: skip
    else:
        uow.audit.record(OUTBOX_ACTOR, kind, "compensation", _target(kind, payload), None,
                         {"state": "undone", "payload": dict(payload)},
                         owner_id=owner_id)  # fmt: skip


def record_conflict(
    uow: UnitOfWork, actor: str, released: Mapping[str, Any], detail: str, plan_id: str | None
) -> None:
    """A released reservation that could not be taken back: audit entry and event."""
    reservation_id = str(released.get("reservationId") or released.get("id"))
    after = {"state": "conflict", "code": "inventory.reservation.insufficient_stock",
             "detail": detail, "planId": plan_id}  # fmt: skip
    uow.audit.record(actor, "reservation.restore_conflict", "reservation", reservation_id,
                     dict(released), after)  # fmt: skip
    uow.events.publish(
        CONFLICT_EVENT, reservation_id, {**dict(released), **after},
        owner_id=released.get("ownerId"), dedupe_key=f"{CONFLICT_EVENT}:{reservation_id}",
    )  # fmt: skip


def _record_summary(uow: UnitOfWork, plan: WritePlan) -> None:
    audit = plan.summary.get("audit")
    if not audit:
        return
    if plan.state is PlanState.DONE:
        after = {**audit["after"], "writes": len(plan.steps)}
        uow.audit.record(plan.actor, audit["action"], audit["targetType"], audit["targetId"],
                         audit["before"], after, owner_id=plan.owner_id)  # fmt: skip
        return
    failed = next((s for s in plan.steps if s.state in (StepState.NOT_DONE, StepState.UNKNOWN)),
                  None)  # fmt: skip
    after = {
        "reference": audit["after"].get("reference"),
        "error": plan.error.code if plan.error else "internal.error",
        "failedStep": failed.description if failed else None,
        "outcome": plan.state.value,
        "compensationsQueued": [s.undo.kind for s in plan.steps
                                if s.state is StepState.QUEUED and s.undo],
    }  # fmt: skip
    uow.audit.record(plan.actor, audit["failedAction"], audit["targetType"], audit["targetId"],
                     audit["before"], after, owner_id=plan.owner_id)  # fmt: skip


def _record_step(uow: UnitOfWork, plan: WritePlan, step: PlannedStep) -> None:
    if step.kind == RESERVE:
        _record_reserve(uow, plan.actor, step)
    elif step.kind == RELEASE:
        _record_release(uow, plan, step)
    elif step.kind == CONSUME:
        _record_consume(uow, plan.actor, step)
    elif step.kind == CHANGE_EXPIRY:
        _record_expiry_change(uow, plan.actor, step)
    elif step.undo is not None and step.state in (StepState.UNDONE, StepState.QUEUED):
        uow.audit.record(plan.actor, step.undo.kind, "compensation",
                         _target(step.undo.kind, step.undo.payload), None,
                         {"state": step.state.value, "step": step.description},
                         owner_id=plan.owner_id)  # fmt: skip


def _record_reserve(uow: UnitOfWork, actor: str, step: PlannedStep) -> None:
    made = None if step.result is None else reservation_from_payload(step.result)
    if made is not None:
        record_change(uow, actor, "reservation.create", None, made, "InventoryReserved")
    if step.state is StepState.UNDONE and step.undo_result is not None:
        cancelled = reservation_from_payload(step.undo_result)
        record_change(uow, actor, "reservation.cancel", made, cancelled, "InventoryReleased")
    elif step.state is StepState.QUEUED and made is not None:
        uow.audit.record(actor, "reservation.cancel_queued", "reservation", made.id,
                         snapshot(made), None)  # fmt: skip


def _record_consume(uow: UnitOfWork, actor: str, step: PlannedStep) -> None:
    if step.state is not StepState.DONE or step.result is None:
        return
    before = reservation_from_payload(step.args["before"])
    consumption = consumption_from_payload(step.result)
    after = consumption.reservation
    # A repeat answered with the first answer (the reservation read before it already showed
    # the consume) has its audit entry from the first time. Its event is published again: the
    # first time may have lost its answer and its look-up, and the event's key keeps it single.
    repeat = before.status is after.status and before.quantity == after.quantity
    movement = consumption.transaction
    extra = {"previousOnHand": movement.previous_on_hand, "newOnHand": movement.new_on_hand,
             "transactionReference": movement.reference,
             "consumedQuantity": consumption.consumed_quantity,
             "remainingQuantity": consumption.remaining_quantity,
             "releasedQuantity": consumption.released_quantity}  # fmt: skip
    partly = after.status is ReservationStatus.OPEN  # a part picked; the rest stays reserved
    event, change = (PARTLY_CONSUMED, movement.reference) if partly else ("InventoryConsumed", None)
    if repeat:
        publish(uow, event, after, extra, change=change)
        return
    action = "reservation.consume_part" if partly else "reservation.consume"
    record_change(uow, actor, action, before, after, event, extra=extra, change=change)


def _record_expiry_change(uow: UnitOfWork, actor: str, step: PlannedStep) -> None:
    # Every change that landed is recorded, to the same date too: a keyed retry after a lost
    # answer reads the new date already and cannot be told from it; the event's key (the
    # change's reference) keeps the retry's single.
    # A change never confirmed (refused, or lost with its look-up) was set back in case it
    # landed; nothing moved as far as anyone can tell, so there is nothing to tell.
    if step.result is None or step.state is StepState.NOT_DONE:
        return
    before = reservation_from_payload(step.args["before"])
    after = reservation_from_payload(step.result)
    record_change(uow, actor, "reservation.extend", before, after, EXTENDED,
                  extra={"previousExpiresAt": before.expires_at},
                  change=str(step.args["reference"]))  # fmt: skip
    if step.state is StepState.UNDONE and step.undo_result is not None and step.undo:
        restored = reservation_from_payload(step.undo_result)
        record_change(uow, actor, "reservation.restore_expiry", None, restored, EXTENDED,
                      change=str(step.undo.payload["reference"]))  # fmt: skip
    elif step.state is StepState.QUEUED and step.undo:
        uow.audit.record(actor, "reservation.restore_expiry_queued", "reservation", before.id,
                         snapshot(before), None)  # fmt: skip


def _record_release(uow: UnitOfWork, plan: WritePlan, step: PlannedStep) -> None:
    before = reservation_from_payload(step.args["before"])
    landed = step.result is not None and step.state is not StepState.NOT_DONE
    if landed and step.result is not None:
        after = reservation_from_payload(step.result)
        if after.status is not before.status:
            record_change(uow, plan.actor, "reservation.release", before, after,
                          "InventoryReleased")  # fmt: skip
        else:  # a repeat on its reference: its event again, kept single by the event's key
            publish(uow, "InventoryReleased", after)
    if step.state is StepState.UNDONE and step.undo_result is not None:
        restored = reservation_from_payload(step.undo_result)
        record_change(uow, plan.actor, "reservation.restore", None, restored, "InventoryReserved")
    elif step.state is StepState.CONFLICT:
        detail = (step.undo_result or {}).get("detail", "")
        record_conflict(uow, plan.actor, snapshot(before) or {}, detail, plan.id)
    elif step.state is StepState.QUEUED:
        uow.audit.record(plan.actor, "reservation.restore_queued", "reservation", before.id,
                         snapshot(before), None)  # fmt: skip


def _target(kind: str, payload: Mapping[str, Any]) -> str:
    for key in ("workOrderId", "reservationId"):
        if key in payload:
            return str(payload[key])
    transaction = payload.get("transaction") or {}
    return str(transaction.get("reference", kind))
