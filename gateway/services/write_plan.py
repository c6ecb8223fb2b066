"""All-or-nothing write-back to the upstreams: a plan of steps, each with its compensation.

Steps run in order. When one fails, the steps already done are compensated in reverse order;
a compensation that cannot run now goes to the durable outbox, retried until it succeeds.
The caller then raises the step's own error, not a compensation's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.domain.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.services.ports import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compensation:
    """What undoes a step: an outbox ``kind`` and its JSON-serialisable ``payload``."""

    kind: str
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Step:
    """One upstream write and the compensation that undoes it."""

    description: str
    write: Callable[[], Any]
    undo: Compensation


@dataclass
class PlanRun:
    """How a plan went: the results of the steps done, or the failure and what was queued."""

    results: list[Any] = field(default_factory=list)
    failed: Step | None = None
    error: Exception | None = None
    queued: list[Compensation] = field(default_factory=list)


Undo = Callable[[Compensation], None]


def outcome_unknown(error: Exception) -> bool:
    """A lost connection or a timeout may come after the upstream committed the write."""
    return isinstance(error, UpstreamUnavailable | UpstreamTimeout)


def run_plan(steps: Sequence[Step], undo: Undo, outbox: Outbox) -> PlanRun:
    """Run the steps in order; on a failure compensate the done ones in reverse order."""
    run = PlanRun()
    done: list[Step] = []
    for step in steps:
        try:
            run.results.append(step.write())
        except Exception as error:  # whatever failed, nothing may stay half-done
            log.warning("update step failed: %s (%s)", step.description, error)
            run.failed, run.error = step, error
            # Its compensations are safe when the write never landed, so a step whose
            # outcome is unknown is compensated too.
            undone = [*done, step] if outcome_unknown(error) else done
            run.queued = compensate(undone, undo, outbox)
            return run
        done.append(step)
    return run


def compensate(done: Sequence[Step], undo: Undo, outbox: Outbox) -> list[Compensation]:
    """Undo ``done`` newest first; what fails now is queued in the outbox (and returned)."""
    queued: list[Compensation] = []
    for step in reversed(done):
        try:
            undo(step.undo)
        except Exception as error:  # any failure: the outbox retries it until it succeeds
            log.warning("compensation %s queued: %s", step.undo.kind, error)
            outbox.enqueue(step.undo.kind, step.undo.payload)
            queued.append(step.undo)
    return queued
