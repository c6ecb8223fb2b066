"""Recovery: write plans whose process died are driven to an end by whichever process finds them.

A plan's lease is renewed after every step; once it has run out, its process is taken for dead.
The plan is claimed (a new lease), finished forward where every remaining step is safe to
finish, otherwise undone in full, and its end recorded with audit entries and events under the
original request's correlation id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from gateway.domain.write_plan import WritePlan
from gateway.services.plan_records import end_plan
from gateway.services.plan_runner import PlanPorts, resume_plan
from gateway.services.ports import UnitOfWork

log = logging.getLogger(__name__)


class AbandonedPlans(Protocol):
    def claim_abandoned(self, now: datetime, limit: int = 20) -> list[WritePlan]: ...
    def claim_if_abandoned(self, plan_id: str, now: datetime) -> WritePlan | None: ...


UnitOfWorkFor = Callable[[str | None], UnitOfWork]
"""A fresh unit of work with the given correlation id."""


def recover_abandoned(
    plans: AbandonedPlans, ports: PlanPorts, new_uow: UnitOfWorkFor, now: datetime
) -> list[WritePlan]:
    """One pass: every abandoned plan found now, driven to its end; returns them as they ended."""
    return [finish_abandoned(plan, ports, new_uow, now) for plan in plans.claim_abandoned(now)]


def recover_one(
    plan_id: str, plans: AbandonedPlans, ports: PlanPorts, new_uow: UnitOfWorkFor, now: datetime
) -> WritePlan | None:
    """Drive one plan to its end now if its process died; None if it is not abandoned."""
    plan = plans.claim_if_abandoned(plan_id, now)
    return None if plan is None else finish_abandoned(plan, ports, new_uow, now)


def finish_abandoned(
    plan: WritePlan, ports: PlanPorts, new_uow: UnitOfWorkFor, now: datetime
) -> WritePlan:
    log.warning("recovering write plan %s (%s %s)", plan.id, plan.operation, plan.target_id)
    uow = new_uow(plan.correlation_id)
    end = resume_plan(plan, ports, uow, now)
    end_plan(uow, end.plan)
    uow.commit()
    log.warning("write plan %s recovered: %s", plan.id, end.plan.state.value)
    return end.plan
