"""A write plan as data: every upstream write of one operation, in order, with what undoes it.

A plan is made before the first write and kept in the gateway database; each step's outcome is
recorded as it lands, so any gateway process can finish or undo a plan whose process died.
Steps are plain data (a kind, JSON arguments, the legacy reference the write carries, and its
compensation), never closures: a process that did not make the plan can still run it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

# The kinds of write a step can make.
UPDATE_HEADER = "workorder.update_header"
PUT_MATERIAL = "workorder.put_material"
RESERVE = "inventory.reserve"
RELEASE = "inventory.release"
CONSUME = "inventory.consume"
POST_TRANSACTION = "inventory.post_transaction"
CHANGE_EXPIRY = "inventory.change_expiry"

REFERENCE_LIMIT = 40
"""The legacy REFNO's length."""


class StepState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    NOT_DONE = "not_done"  # refused, or looked up and found never to have landed
    UNKNOWN = "unknown"  # the answer was lost and the lookup failed too
    UNDONE = "undone"  # its compensation ran
    QUEUED = "queued"  # its compensation waits in the outbox
    CONFLICT = "conflict"  # its compensation cannot run without overselling


class PlanState(StrEnum):
    RUNNING = "running"
    DONE = "done"  # every step landed
    UNDONE = "undone"  # a step failed and everything done was compensated
    UNDOING = "undoing"  # a step failed; compensations wait in the outbox
    CONFLICT = "conflict"  # a step failed; a compensation could not restore without overselling


@dataclass(frozen=True)
class Compensation:
    """What undoes a step: an outbox ``kind`` and its JSON-serialisable ``payload``."""

    kind: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class PlannedStep:
    """One upstream write: its kind and arguments, the compensation that undoes it.

    ``safe_to_finish`` says whether recovery may still make the write after its process died
    (a write forced by an override decided in the moment is not).
    """

    kind: str
    args: Mapping[str, Any]
    description: str
    undo: Compensation | None
    safe_to_finish: bool = True
    state: StepState = StepState.PENDING
    result: Mapping[str, Any] | None = None
    undo_result: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class PlanError:
    """How a failed plan answers: the failing step's error code, status-free, and its text."""

    code: str
    detail: str


@dataclass(frozen=True)
class WritePlan:
    id: str
    operation: str
    target_id: str
    actor: str
    steps: tuple[PlannedStep, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)
    state: PlanState = PlanState.RUNNING
    error: PlanError | None = None
    correlation_id: str | None = None

    def with_step(self, index: int, state: StepState, **outcome: Any) -> WritePlan:
        """The plan with step ``index`` in ``state`` (and its ``result``/``undo_result``)."""
        step = replace(self.steps[index], state=state, **outcome)
        return replace(self, steps=(*self.steps[:index], step, *self.steps[index + 1 :]))

    @property
    def owner_id(self) -> str | None:
        """Whose stock or work order the plan writes (its admins see its records)."""
        owner = self.summary.get("ownerId")
        return None if owner is None else str(owner)

    @property
    def finished(self) -> bool:
        return self.state is not PlanState.RUNNING

    @property
    def next_step(self) -> int | None:
        """The first step not yet known to be done, or None when every one is."""
        return next(
            (n for n, step in enumerate(self.steps) if step.state is not StepState.DONE), None
        )

    def landed(self) -> list[int]:
        """Steps that did (or may have) written upstream and are not undone yet, newest first:
        what compensation covers (a queued one again, in case its outbox entry never committed)."""
        may_have = (StepState.DONE, StepState.UNKNOWN, StepState.QUEUED)
        return [n for n in reversed(range(len(self.steps))) if self.steps[n].state in may_have]


def numbered_references(reference: str, count: int) -> list[str]:
    """``<reference>-NN`` for each of ``count`` steps; compensations add ``-U``."""
    if len(f"{reference}-{count:02d}-U") > REFERENCE_LIMIT:
        raise ValueError(f"reference {reference!r} leaves no room for step numbers")
    return [f"{reference}-{number:02d}" for number in range(1, count + 1)]


def plan_reference(plan_id: str, prefix: str) -> str:
    """The reference a plan's writes are numbered from: fixed when the plan is made."""
    return f"{prefix}-{plan_id.replace('-', '')[:24]}"


def final_state(steps: Sequence[PlannedStep]) -> PlanState:
    """What a failed plan ended as, from what its compensations did."""
    states = {step.state for step in steps}
    if StepState.CONFLICT in states:
        return PlanState.CONFLICT
    if StepState.QUEUED in states:
        return PlanState.UNDOING
    return PlanState.UNDONE
