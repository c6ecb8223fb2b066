"""Runs a write plan (gateway/domain/write_plan.py): forward step by step, or undone in full.

Each step's outcome is saved as it lands, so a process that dies leaves a plan another process
can finish (gateway/services/plan_recovery.py). A write whose answer was lost is looked up on
its reference before anything else: found, it is done and the plan goes on; not found, it never
landed; the lookup failing too, it is undone like a landed one (every compensation is safe when
its write never landed). The caller commits the end: the audit entries and events of the plan
with ``journal.finishing(plan)`` in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from gateway.domain.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.domain.model import ReleaseReason, ReservationStatus
from gateway.domain.payloads import (
    consumption_payload,
    decimal,
    material_from_payload,
    request_from_payload,
    reservation_payload,
    transaction_from_payload,
)
from gateway.domain.write_plan import (
    CHANGE_EXPIRY,
    CONSUME,
    POST_TRANSACTION,
    PUT_MATERIAL,
    RELEASE,
    RESERVE,
    UPDATE_HEADER,
    PlanError,
    PlannedStep,
    PlanState,
    StepState,
    WritePlan,
    final_state,
)
from gateway.services.compensations import CompensationConflict, run_compensation
from gateway.services.ports import InventoryPort, PlanStore, UnitOfWork, WorkOrderPort

log = logging.getLogger(__name__)

Result = Mapping[str, Any] | None
StepRunner = Callable[[Mapping[str, Any], InventoryPort, WorkOrderPort], Result]
Lookup = Callable[[Mapping[str, Any], InventoryPort, WorkOrderPort], tuple[bool, Result]]


class NoWorkOrders:
    """The work-order port of a plan that writes only to the inventory (release, consume)."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"an inventory-only write plan called the work-order port ({name})")


@dataclass(frozen=True)
class PlanPorts:
    inventory: InventoryPort
    work_orders: WorkOrderPort
    journal: PlanStore

    @classmethod
    def inventory_only(cls, inventory: InventoryPort, journal: PlanStore) -> PlanPorts:
        no_work_orders: Any = NoWorkOrders()
        return cls(inventory, no_work_orders, journal)


@dataclass(frozen=True)
class PlanEnd:
    """A plan at its end, and the error that stopped it (raised to a caller who waits)."""

    plan: WritePlan
    error: Exception | None = None


def outcome_unknown(error: Exception) -> bool:
    """A lost connection or a timeout may come after the upstream committed the write."""
    return isinstance(error, UpstreamUnavailable | UpstreamTimeout)


def run_plan(plan: WritePlan, ports: PlanPorts, uow: UnitOfWork) -> PlanEnd:
    """Drive a fresh plan to its end; the caller commits ``uow``."""
    end = _forward(plan, ports, plan.next_step)
    return PlanEnd(_compensate(end.plan, ports, uow), end.error) if end.error else end


def resume_plan(plan: WritePlan, ports: PlanPorts, uow: UnitOfWork, now: datetime) -> PlanEnd:
    """Drive a plan whose process died to its end: forward where every remaining step is safe
    to finish, otherwise (or when a step fails) undone in full."""
    if plan.error is None:
        index = plan.next_step
        remaining = plan.steps[index:] if index is not None else ()
        if all(step.safe_to_finish for step in remaining):
            if index is not None:
                plan = _settle_in_flight(plan, ports, index)
            end = _forward(plan, ports, plan.next_step)
            if end.error is None:
                return end
            plan = end.plan
        else:
            plan = replace(plan, error=PlanError(
                "upstream.unavailable", "the gateway process stopped in the middle of the writes"
            ))  # fmt: skip
    log.warning("write plan %s is undone by recovery (%s)", plan.id, plan.error)
    return PlanEnd(_compensate(plan, ports, uow))


def _forward(plan: WritePlan, ports: PlanPorts, index: int | None) -> PlanEnd:
    while index is not None:
        step = plan.steps[index]
        try:
            result = STEPS[step.kind](step.args, ports.inventory, ports.work_orders)
        except Exception as error:  # whatever failed, nothing may stay half-done
            plan = _failed(plan, ports, index, error)
            if plan.steps[index].state is StepState.DONE:  # looked up: it landed after all
                index = plan.next_step
                continue
            return PlanEnd(plan, error)
        plan = plan.with_step(index, StepState.DONE, result=result)
        ports.journal.save(plan)
        index = plan.next_step
    return PlanEnd(replace(plan, state=PlanState.DONE))


def _failed(plan: WritePlan, ports: PlanPorts, index: int, error: Exception) -> WritePlan:
    step = plan.steps[index]
    log.warning("write step failed: %s (%s)", step.description, error)
    state, result = StepState.NOT_DONE, None
    if outcome_unknown(error):
        state, result = _look_up(step, ports)
        if state is StepState.DONE:
            log.info("the lost write landed: %s", step.description)
            plan = plan.with_step(index, state, result=result)
            ports.journal.save(plan)
            return plan
    code = getattr(error, "code", "internal.error")
    detail = getattr(error, "detail", None) or type(error).__name__
    plan = replace(plan.with_step(index, state, result=result), error=PlanError(code, detail))
    ports.journal.save(plan)
    return plan


def _settle_in_flight(plan: WritePlan, ports: PlanPorts, index: int) -> WritePlan:
    """The first unfinished step of a dead process's plan may have landed: look it up."""
    state, result = _look_up(plan.steps[index], ports)
    if state is StepState.DONE:
        plan = plan.with_step(index, state, result=result)
        ports.journal.save(plan)
    return plan


def _look_up(step: PlannedStep, ports: PlanPorts) -> tuple[StepState, Result]:
    try:
        landed, result = LOOKUPS[step.kind](step.args, ports.inventory, ports.work_orders)
    except Exception as error:  # cannot tell: undone like a landed write
        log.warning("cannot tell whether %s landed: %s", step.description, error)
        return StepState.UNKNOWN, None
    return (StepState.DONE if landed else StepState.NOT_DONE), result


def _compensate(plan: WritePlan, ports: PlanPorts, uow: UnitOfWork) -> WritePlan:
    """Undo every step that landed (or may have), newest first; what cannot run now is queued
    in the outbox; a restore that would oversell ends in conflict."""
    for index in plan.landed():
        undo = plan.steps[index].undo
        if undo is None:
            plan = plan.with_step(index, StepState.UNDONE)
            continue
        try:
            changed = run_compensation(undo.kind, undo.payload, ports.inventory, ports.work_orders)
        except CompensationConflict as conflict:
            log.warning("compensation %s ends in conflict: %s", undo.kind, conflict.detail)
            uow.outbox.enqueue(undo.kind, undo.payload, plan_id=plan.id, conflict=conflict.detail,
                               owner_id=plan.owner_id)  # fmt: skip
            plan = plan.with_step(index, StepState.CONFLICT, undo_result={
                "code": "inventory.reservation.insufficient_stock", "detail": conflict.detail,
            })  # fmt: skip
        except Exception as error:  # any other failure: the outbox retries it until it succeeds
            log.warning("compensation %s queued: %s", undo.kind, error)
            uow.outbox.enqueue(undo.kind, undo.payload, plan_id=plan.id, owner_id=plan.owner_id)
            plan = plan.with_step(index, StepState.QUEUED)
        else:
            result = None if changed is None else reservation_payload(changed)
            plan = plan.with_step(index, StepState.UNDONE, undo_result=result)
        ports.journal.save(plan)
    return replace(plan, state=final_state(plan.steps))


# --- the writes, and how each one is looked up after a lost answer ----------------------


def _update_header(args: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> Result:
    orders.update_work_order(
        args["workOrderId"],
        batch_quantity=decimal(args["batchQuantity"]),
        planned_start=datetime.fromisoformat(args["plannedStart"]),
    )
    return None


def _put_material(args: Mapping[str, Any], _: InventoryPort, orders: WorkOrderPort) -> Result:
    material = material_from_payload(args["material"])
    orders.put_material(args["workOrderId"], int(args["operation"]), material)
    return None


def _reserve(args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Result:
    return reservation_payload(stock.reserve(request_from_payload(args["request"])))


def _release(args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Result:
    reason, reference = ReleaseReason(args["reason"]), args.get("reference")
    return reservation_payload(stock.release(args["reservationId"], reason, reference=reference))


def _consume(args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Result:
    quantity = args.get("quantity")  # absent from plans written before partial consumes
    if quantity is None and not args.get("releaseRemainder"):
        return consumption_payload(stock.consume(args["reservationId"], args["reference"]))
    release_remainder = bool(args.get("releaseRemainder"))
    consumed = stock.consume(args["reservationId"], args["reference"],
                             quantity=None if quantity is None else decimal(quantity),
                             release_remainder=release_remainder)  # fmt: skip
    return consumption_payload(replace(consumed, remainder_released=release_remainder))


def _change_expiry(args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Result:
    expires = args.get("expiresAt")
    changed = stock.change_expiry(args["reservationId"],
                                  None if expires is None else datetime.fromisoformat(expires),
                                  args["reference"])  # fmt: skip
    return reservation_payload(changed)


def _post_transaction(args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort) -> Result:
    stock.post_transaction(transaction_from_payload(args["transaction"]))
    return None


def _reserved_on_reference(
    args: Mapping[str, Any], stock: InventoryPort, _: WorkOrderPort
) -> tuple[bool, Result]:
    request = request_from_payload(args["request"])
    for reservation in stock.list_reservations_by_sources([request.source.id]):
        if reservation.reference == request.reference:
            return True, reservation_payload(reservation)
    return False, None


def _released(
    args: Mapping[str, Any], stock: InventoryPort, orders: WorkOrderPort
) -> tuple[bool, Result]:
    if args.get("reference"):  # the legacy system answers a repeat with its first answer
        return True, _release(args, stock, orders)
    reservation = stock.get_reservation(args["reservationId"])
    return reservation.status is not ReservationStatus.OPEN, reservation_payload(reservation)


def _again(write: StepRunner) -> Lookup:
    """A write that is safe to repeat (absolute values, or deduplicated on its reference) is
    looked up by making it again."""

    def look_up(
        args: Mapping[str, Any], stock: InventoryPort, orders: WorkOrderPort
    ) -> tuple[bool, Result]:
        return True, write(args, stock, orders)

    return look_up


STEPS: dict[str, StepRunner] = {
    UPDATE_HEADER: _update_header,
    PUT_MATERIAL: _put_material,
    RESERVE: _reserve,
    RELEASE: _release,
    CONSUME: _consume,
    POST_TRANSACTION: _post_transaction,
    CHANGE_EXPIRY: _change_expiry,
}

LOOKUPS: dict[str, Lookup] = {
    UPDATE_HEADER: _again(_update_header),
    PUT_MATERIAL: _again(_put_material),
    RESERVE: _reserved_on_reference,
    RELEASE: _released,
    CONSUME: _again(_consume),
    POST_TRANSACTION: _again(_post_transaction),
    CHANGE_EXPIRY: _again(_change_expiry),
}
