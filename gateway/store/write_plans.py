"""Write plans kept in the gateway database, and the one-update-per-work-order lock rows.

A plan is written before its first upstream write and again after each step (which renews its
lease); a plan whose lease ran out belongs to a process that died, and any process may claim it.
Writes here are immediate, not buffered in the unit of work: that is the point of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.backorders import backorders_of_plan
from gateway.domain.write_plan import (
    Compensation,
    PlanError,
    PlannedStep,
    PlanState,
    StepState,
    WritePlan,
)
from gateway.observability.metrics import COMPENSATION_CONFLICTS, WRITE_PLANS_ENDED
from gateway.store import json
from gateway.store.backorders import insert_if_absent
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import idempotency_records, outbox, work_order_locks, write_plans

AfterCommit = Callable[[Connection], None]

# The statements of the create path, built once; each call only binds its values.
_plan = write_plans.c
_INSERT_PLAN = insert(write_plans)
_TIE_TO_KEY = update(idempotency_records).where(
    idempotency_records.c.caller == bindparam("w_caller"),
    idempotency_records.c.key == bindparam("w_key"),
)
_UPDATE_PLAN = update(write_plans).where(_plan.id == bindparam("w_id"))
_RENEW_LOCK = update(work_order_locks).where(work_order_locks.c.holder == bindparam("w_id"))
_FREE_LOCK = delete(work_order_locks).where(work_order_locks.c.holder == bindparam("w_id"))
_READ_PLAN = select(write_plans).where(_plan.id == bindparam("w_id"))


class WritePlanJournal:
    def __init__(
        self,
        engine: Engine,
        lease: timedelta = timedelta(seconds=60),
        lock_wait: timedelta = timedelta(seconds=10),
    ) -> None:
        self._engine = engine
        self.lease = lease
        self.lock_wait = lock_wait

    # --- plans ---------------------------------------------------------------------------

    def begin(self, plan: WritePlan, idempotency: tuple[str, str] | None = None) -> None:
        """Keep ``plan`` (before its first write) and tie it to the request's key, if any."""
        now = utc_now()
        row = {"id": plan.id, "operation": plan.operation, "target_id": plan.target_id,
               "actor": plan.actor, "created_at": now, **self._row(plan, now)}  # fmt: skip
        with self._engine.begin() as connection:
            connection.execute(_INSERT_PLAN, row)
            if idempotency is not None:
                caller, key = idempotency
                connection.execute(
                    _TIE_TO_KEY, {"w_caller": caller, "w_key": key, "plan_id": plan.id}
                )

    def save(self, plan: WritePlan) -> None:
        """Record the plan's progress and renew its lease (and its work-order lock's)."""
        now = utc_now()
        with self._engine.begin() as connection:
            connection.execute(_UPDATE_PLAN, {"w_id": plan.id, **self._row(plan, now)})
            connection.execute(_RENEW_LOCK, {"w_id": plan.id, "locked_until": now + self.lease})

    def finishing(self, plan: WritePlan) -> AfterCommit:
        """A write that records the plan's end and frees its lock, for the unit of work's
        transaction: the plan ends exactly when its audit entries and events commit."""

        def write(connection: Connection) -> None:
            now = utc_now()
            connection.execute(
                _UPDATE_PLAN, {"w_id": plan.id, **self._row(plan, now), "finished_at": now}
            )
            connection.execute(_FREE_LOCK, {"w_id": plan.id})
            if plan.state is PlanState.DONE:  # a partial create's backorders (decision 170)
                for backorder in backorders_of_plan(plan.summary):
                    insert_if_absent(connection, backorder)
            WRITE_PLANS_ENDED.labels(plan.operation, plan.state.value).inc()
            conflicts = sum(step.state is StepState.CONFLICT for step in plan.steps)
            COMPENSATION_CONFLICTS.inc(conflicts)

        return write

    def settling(self, plan_id: str) -> AfterCommit:
        """A write for the outbox's transaction: a plan whose last queued compensation has run
        ends undone (or in conflict, if one of them could not run)."""

        def write(connection: Connection) -> None:
            left = (
                connection.execute(select(outbox.c.state).where(outbox.c.plan_id == plan_id))
                .scalars()
                .all()
            )
            if "pending" in left:
                return
            row = self._read(connection, plan_id)
            if row is None or row["state"] != PlanState.UNDOING.value:
                return
            state = PlanState.CONFLICT if "conflict" in left else PlanState.UNDONE
            connection.execute(
                update(write_plans)
                .where(write_plans.c.id == plan_id)
                .values(state=state.value, updated_at=utc_now())
            )

        return write

    def get(self, plan_id: str) -> WritePlan | None:
        with self._engine.connect() as connection:
            found = connection.execute(_READ_PLAN, {"w_id": plan_id}).mappings().first()
        return None if found is None else self._plan(found)

    def claim_abandoned(self, now: datetime, limit: int = 20) -> list[WritePlan]:
        """Running plans whose process's lease ran out; now leased to the caller."""
        abandoned = (
            select(write_plans.c.id, write_plans.c.lease_until)
            .where(write_plans.c.state == PlanState.RUNNING.value)
            .where(write_plans.c.lease_until < now)
            .order_by(write_plans.c.created_at)
            .limit(limit)
        )
        claimed: list[WritePlan] = []
        with self._engine.begin() as connection:
            for plan_id, lease_until in connection.execute(abandoned).all():
                if self._take(connection, plan_id, lease_until, now):
                    claimed.append(self._plan(self._read(connection, plan_id)))
        return claimed

    def claim_if_abandoned(self, plan_id: str, now: datetime) -> WritePlan | None:
        """The plan, leased to the caller, if it is running and its process's lease ran out."""
        with self._engine.begin() as connection:
            row = self._read(connection, plan_id)
            if row is None or row["state"] != PlanState.RUNNING.value:
                return None
            lease_until = row["lease_until"]
            if (as_utc(lease_until) or now) >= now or not self._take(
                connection, plan_id, lease_until, now
            ):
                return None
            return self._plan(self._read(connection, plan_id))

    # --- one update per work order ---------------------------------------------------------

    def lock_work_order(
        self, work_order_id: str, holder: str, wait: timedelta | None = None
    ) -> bool:
        """Hold ``work_order_id`` for ``holder``, waiting up to ``wait`` (default: the configured
        ``lock_wait``); False when it is still busy then.

        The lock is a row with a lease, not a transaction held open over upstream calls: that
        would pin a connection for seconds (and on SQLite lock the whole database). A lock whose
        lease ran out is taken over only when its plan is no longer running: a plan left by a
        dead process is finished or undone by recovery before anyone else updates the order.
        """
        deadline = time.monotonic() + (wait or self.lock_wait).total_seconds()
        pause = 0.02
        while True:
            if self._try_lock(work_order_id, holder):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
            pause = min(pause * 2, 0.25)

    def unlock_work_order(self, work_order_id: str, holder: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                delete(work_order_locks)
                .where(work_order_locks.c.work_order_id == work_order_id)
                .where(work_order_locks.c.holder == holder)
            )

    def _try_lock(self, work_order_id: str, holder: str) -> bool:
        now = utc_now()
        until = now + self.lease
        locks = work_order_locks.c
        try:
            with self._engine.begin() as connection:
                row = connection.execute(
                    select(work_order_locks)
                    .where(locks.work_order_id == work_order_id)
                    .with_for_update()
                ).first()
                if row is None:
                    connection.execute(
                        insert(work_order_locks).values(
                            work_order_id=work_order_id, holder=holder, locked_until=until
                        )
                    )
                    return True
                if row.holder != holder and not self._abandoned(connection, row, now):
                    return False
                taken = connection.execute(
                    update(work_order_locks)
                    .where(locks.work_order_id == work_order_id, locks.holder == row.holder)
                    .values(holder=holder, locked_until=until)
                ).rowcount
                return bool(taken)
        except IntegrityError:  # another process inserted the row first
            return False

    @staticmethod
    def _abandoned(connection: Connection, row: Any, now: datetime) -> bool:
        if (as_utc(row.locked_until) or now) >= now:
            return False
        plan_state = connection.execute(
            select(write_plans.c.state).where(write_plans.c.id == row.holder)
        ).scalar()
        return plan_state != PlanState.RUNNING.value

    # --- rows ------------------------------------------------------------------------------

    def _take(self, connection: Connection, plan_id: str, lease_until: Any, now: datetime) -> bool:
        return bool(
            connection.execute(
                update(write_plans)
                .where(write_plans.c.id == plan_id, write_plans.c.lease_until == lease_until)
                .where(write_plans.c.state == PlanState.RUNNING.value)
                .values(lease_until=now + self.lease)
            ).rowcount
        )

    @staticmethod
    def _read(connection: Connection, plan_id: str) -> Any:
        return connection.execute(_READ_PLAN, {"w_id": plan_id}).mappings().first()

    def _row(self, plan: WritePlan, now: datetime) -> dict[str, Any]:
        error = (
            None if plan.error is None else {"code": plan.error.code, "detail": plan.error.detail}
        )
        return {
            "state": plan.state.value,
            "steps": json.dumps([_step_json(step) for step in plan.steps]),
            "summary": json.dumps(plan.summary),
            "error": None if error is None else json.dumps(error),
            "correlation_id": plan.correlation_id,
            "lease_until": now + self.lease,
            "updated_at": now,
        }

    @staticmethod
    def _plan(row: Any) -> WritePlan:
        error = json.loads(row["error"])
        return WritePlan(
            id=row["id"],
            operation=row["operation"],
            target_id=row["target_id"],
            actor=row["actor"],
            steps=tuple(_step(step) for step in json.loads(row["steps"])),
            summary=json.loads(row["summary"]),
            state=PlanState(row["state"]),
            error=None if error is None else PlanError(error["code"], error["detail"]),
            correlation_id=row["correlation_id"],
        )


def _step_json(step: PlannedStep) -> dict[str, Any]:
    undo = None if step.undo is None else {"kind": step.undo.kind, "payload": step.undo.payload}
    return {
        "kind": step.kind, "args": step.args, "description": step.description, "undo": undo,
        "safeToFinish": step.safe_to_finish, "state": step.state.value, "result": step.result,
        "undoResult": step.undo_result,
    }  # fmt: skip


def _step(data: dict[str, Any]) -> PlannedStep:
    undo = data.get("undo")
    return PlannedStep(
        kind=data["kind"],
        args=data["args"],
        description=data["description"],
        undo=None if undo is None else Compensation(undo["kind"], undo["payload"]),
        safe_to_finish=bool(data.get("safeToFinish", True)),
        state=StepState(data["state"]),
        result=data.get("result"),
        undo_result=data.get("undoResult"),
    )
