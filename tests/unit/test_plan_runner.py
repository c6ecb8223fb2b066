"""Running a durable write plan (gateway/services/plan_runner.py) against in-memory upstreams."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from gateway.domain import undo
from gateway.domain.errors import InsufficientStock
from gateway.domain.model import Item, ReleaseReason, ReservationStatus, StockLevel
from gateway.domain.payloads import reservation_payload
from gateway.domain.reservation_writes import consume_step, reserve_step
from gateway.domain.write_plan import (
    RELEASE,
    UPDATE_HEADER,
    PlannedStep,
    PlanState,
    StepState,
    WritePlan,
)
from gateway.services.plan_runner import PlanPorts, resume_plan, run_plan
from tests.fakes import FakeInventory
from tests.fakes.erp import FakeErp, holding
from tests.fakes.store import FakeUnitOfWork

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def header(erp: FakeErp) -> PlannedStep:
    order = erp.work_orders.orders["WO-1"]
    start = (order.planned_start or NOW) + timedelta(days=1)
    return PlannedStep(
        UPDATE_HEADER,
        {"workOrderId": "WO-1", "batchQuantity": 600, "plannedStart": start.isoformat()},
        "header", undo.restore_header(order),
    )  # fmt: skip


def reserves(*quantities: str) -> list[PlannedStep]:
    return [
        reserve_step(holding("RW-9001", quantity, f"WU-t-{n:02d}"))
        for n, quantity in enumerate(quantities, start=1)
    ]


def plan_of(steps: list[PlannedStep]) -> WritePlan:
    return WritePlan("p1", "test", "WO-1", "alice", tuple(steps))


def run(erp: FakeErp, steps: list[PlannedStep], uow: FakeUnitOfWork | None = None) -> Any:
    uow = uow or FakeUnitOfWork()
    return run_plan(plan_of(steps), PlanPorts(erp.inventory, erp.work_orders, uow.plans), uow), uow


def test_every_step_lands_in_order_and_the_plan_is_saved_after_each() -> None:
    erp = FakeErp.demo()
    end, uow = run(erp, [header(erp), *reserves("1", "2")])
    assert end.error is None and end.plan.state is PlanState.DONE
    assert erp.gate.log == ["update_work_order", "reserve", "reserve"]
    assert [s.state for s in end.plan.steps] == [StepState.DONE] * 3
    saved_done = [sum(s.state is StepState.DONE for s in p.steps) for p in uow.plans.saved]
    assert saved_done == [1, 2, 3]
    assert end.plan.steps[1].result["reference"] == "WU-t-01"


def test_a_refused_step_undoes_the_done_ones_newest_first_and_keeps_its_error() -> None:
    erp = FakeErp.demo()
    before = erp.state()
    erp.gate.fail_from, erp.gate.fail_count = 4, 1  # the third reserve
    erp.gate.error = lambda what: InsufficientStock("no")
    end, _ = run(erp, [header(erp), *reserves("1", "2", "3")])
    assert isinstance(end.error, InsufficientStock)
    assert end.plan.state is PlanState.UNDONE
    assert [s.state for s in end.plan.steps] == [
        StepState.UNDONE, StepState.UNDONE, StepState.UNDONE, StepState.NOT_DONE
    ]  # fmt: skip
    assert erp.gate.log[4:] == ["release", "release", "update_work_order"]
    assert erp.state() == before


def test_a_lost_answer_is_looked_up_and_the_plan_goes_on_when_it_landed() -> None:
    erp = FakeErp.demo()
    erp.gate.lose_answer_of = 2  # the first reserve lands; its answer is lost
    end, _ = run(erp, [header(erp), *reserves("1", "2")])
    assert end.error is None and end.plan.state is PlanState.DONE
    made = [r for r in erp.inventory.reservations.values() if r.reference == "WU-t-01"]
    assert len(made) == 1 and made[0].status is ReservationStatus.OPEN
    assert end.plan.steps[1].result == reservation_payload(made[0])


def test_a_lost_answer_of_a_write_that_never_landed_is_not_undone() -> None:
    erp = FakeErp.demo()
    before = erp.state()
    erp.gate.fail_from, erp.gate.fail_count = 2, 1  # refused before anything is done (503)
    end, _ = run(erp, [header(erp), *reserves("1")])
    assert end.plan.steps[1].state is StepState.NOT_DONE  # looked up: not there
    assert end.plan.state is PlanState.UNDONE
    assert erp.state() == before


def test_a_compensation_that_fails_is_queued_and_the_others_still_run() -> None:
    erp = FakeErp.demo()
    before_order = erp.work_orders.orders["WO-1"]
    erp.gate.fail_from = 3  # the second reserve and everything after (the releases too)
    erp.gate.error = lambda what: InsufficientStock("no") if what == "reserve" else (
        RuntimeError(what))  # fmt: skip
    end, uow = run(erp, [header(erp), *reserves("1", "2")])
    assert end.plan.state is PlanState.UNDOING
    assert [s.state for s in end.plan.steps] == [
        StepState.QUEUED, StepState.QUEUED, StepState.NOT_DONE
    ]  # fmt: skip
    assert [kind for kind, _ in uow.outbox.entries] == [
        undo.CANCEL_RESERVATION, undo.RESTORE_HEADER
    ]  # fmt: skip
    assert erp.work_orders.orders["WO-1"] != before_order  # still to do, by the outbox


def test_a_restore_that_would_oversell_ends_in_conflict_never_forced() -> None:
    erp = FakeErp.demo()
    held = erp.inventory.reservations["3"]
    release = PlannedStep(
        RELEASE,
        {"reservationId": "3", "reason": "released", "reference": "WU-t-01",
         "before": reservation_payload(held)},
        "release 3", undo.restore_reservation(held, "WU-t-01-U"),
    )  # fmt: skip
    taken = {"n": 0}

    def someone_takes_the_stock(what: str) -> Exception:
        level = erp.inventory.level("RW-9001", "W01")
        taken["n"] += 1
        erp.gate.fail_from = None
        erp.inventory.hold(holding("RW-9001", str(level.on_hand - level.reserved), "SO-1"))
        return InsufficientStock("gone")

    steps = [release, *reserves("1")]
    erp.gate.fail_from, erp.gate.error = 2, someone_takes_the_stock
    end, uow = run(erp, steps)
    assert end.plan.state is PlanState.CONFLICT
    assert end.plan.steps[0].state is StepState.CONFLICT
    assert [kind for kind, _, _ in uow.outbox.conflicts] == [undo.RESTORE_RESERVATION]
    level = erp.inventory.level("RW-9001", "W01")
    assert level.on_hand - level.reserved >= 0
    assert erp.inventory.reservations["3"].status is ReservationStatus.RELEASED


def test_recovery_looks_up_the_step_in_flight_and_finishes_forward() -> None:
    erp = FakeErp.demo()
    steps = [header(erp), *reserves("1", "2")]
    erp.work_orders.update_work_order("WO-1", **_header_args(steps[0]))  # landed, never recorded
    erp.inventory.reserve(holding("RW-9001", "1", "WU-t-01"))  # in flight when it died
    died = plan_of(steps).with_step(0, StepState.DONE)
    uow = FakeUnitOfWork()
    end = resume_plan(died, PlanPorts(erp.inventory, erp.work_orders, uow.plans), uow, NOW)
    assert end.plan.state is PlanState.DONE
    assert [r.reference for r in erp.inventory.reservations.values()].count("WU-t-01") == 1
    assert [r.reference for r in erp.inventory.reservations.values()].count("WU-t-02") == 1


def test_recovery_undoes_a_plan_whose_remaining_step_was_an_override() -> None:
    erp = FakeErp.demo()
    before = erp.state()
    forced = reserve_step(holding("RW-9001", "1", "WU-t-01", override=True))
    assert forced.safe_to_finish is False
    steps = [header(erp), forced]
    erp.work_orders.update_work_order("WO-1", **_header_args(steps[0]))
    died = plan_of(steps).with_step(0, StepState.DONE)
    uow = FakeUnitOfWork()
    end = resume_plan(died, PlanPorts(erp.inventory, erp.work_orders, uow.plans), uow, NOW)
    assert end.plan.state is PlanState.UNDONE
    assert erp.state() == before


def _header_args(step: PlannedStep) -> dict[str, Any]:
    return {
        "batch_quantity": step.args["batchQuantity"],
        "planned_start": datetime.fromisoformat(step.args["plannedStart"]),
    }


def test_release_steps_are_looked_up_by_status() -> None:
    erp = FakeErp.demo()
    held = erp.inventory.reservations["3"]
    erp.inventory.release("3", ReleaseReason.RELEASED)
    step = PlannedStep(
        RELEASE, {"reservationId": "3", "reason": "released", "before": reservation_payload(held)},
        "release 3", undo.restore_reservation(held, "WU-t-01-U"),
    )  # fmt: skip
    died = plan_of([step, *reserves("1")])
    uow = FakeUnitOfWork()
    end = resume_plan(died, PlanPorts(erp.inventory, erp.work_orders, uow.plans), uow, NOW)
    assert end.plan.state is PlanState.DONE
    assert erp.gate.log == ["release", "reserve"]  # the release was not made a second time


def test_a_consume_whose_answer_was_lost_is_looked_up_on_its_reference() -> None:
    stock = FakeInventory()
    stock.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    stock.levels[("RM-1", "W01")] = StockLevel(
        "RM-1", "W01", Decimal(100), Decimal(0), True, False, Decimal(5), Decimal(10), "PLANT-A"
    )
    held = stock.reserve(holding("RM-1", "4", "SO-t-01"))
    stock.consume(held.id, "CNS-t-01")  # landed just before the process died
    died = plan_of([consume_step(held, "CNS-t-01")])
    uow = FakeUnitOfWork()
    end = resume_plan(died, PlanPorts.inventory_only(stock, uow.plans), uow, NOW)
    assert end.plan.state is PlanState.DONE
    assert stock.levels[("RM-1", "W01")].on_hand == 96  # consumed once
    assert end.plan.steps[0].result["transaction"]["newOnHand"] == 96
