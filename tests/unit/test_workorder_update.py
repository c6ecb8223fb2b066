"""The work-order update v2 use case against in-memory upstreams, step by step (SPEC §5.2)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.errors import (
    InsufficientStock,
    InvalidOwner,
    MaterialNotInRecipe,
    RecipeNotFound,
    RequestInvalid,
    StartNotInFuture,
    UpstreamFault,
    UpstreamUnavailable,
    WorkOrderInvalidBatchQuantity,
    WorkOrderNotFound,
)
from gateway.domain.model import ReservationStatus, WorkOrderStatus
from gateway.domain.rules import RequestedMaterial
from gateway.services.compensations import run_compensation
from gateway.services.workorder_update import Updater, WorkOrderUpdate, update_work_order
from gateway.services.workorders import WorkOrderReservations
from tests.fakes.erp import FakeErp
from tests.fakes.store import FakeUnitOfWork

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
START = datetime(2027, 3, 15, 5, 0, tzinfo=UTC)


def material(operation: int, item: str, quantity: str, uom: str = "KG") -> RequestedMaterial:
    return RequestedMaterial(operation, item, Decimal(quantity), uom)


def run(erp: FakeErp, uow: FakeUnitOfWork | None = None, **fields: Any) -> WorkOrderReservations:
    request = WorkOrderUpdate("WO-1", "BREAD-WHITE", Decimal(500), START)
    return update_work_order(
        replace(request, **fields),
        Updater("alice", lambda owner: owner == "PLANT-A"),
        "WU-test",
        erp.work_orders,
        erp.inventory,
        uow or FakeUnitOfWork(),
        NOW,
    )


def rework(quantity: str) -> tuple[RequestedMaterial, ...]:
    return (material(10, "RW-9001", quantity),)


# --- 1 ----------------------------------------------------------------------------------


def test_step_1_every_transaction_carries_the_transaction_date_minus_59_seconds() -> None:
    erp = FakeErp.demo()
    given = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    run(erp, materials=(*rework("15"), material(10, "RW-9003", "1")), transaction_date=given)
    dates = {t.transaction_date for t in erp.inventory.transactions.values()}
    assert dates == {given - timedelta(seconds=59)}
    assert len(erp.inventory.transactions) == 2


# --- 2 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"work_order_id": "WO-404"}, WorkOrderNotFound),
        ({"recipe_name": "NO-SUCH"}, RecipeNotFound),
    ],
)
def test_step_2_unknown_work_order_or_recipe(fields: dict[str, Any], error: type) -> None:
    with pytest.raises(error):
        run(FakeErp.demo(), **fields)


def test_step_2_a_work_order_of_another_owner_is_not_found() -> None:
    erp = FakeErp.demo()
    erp.work_orders.orders["WO-1"] = replace(erp.work_orders.orders["WO-1"], owner_id="PLANT-B")
    with pytest.raises(WorkOrderNotFound):
        run(erp)


def test_step_2_a_recipe_other_than_the_work_orders_is_request_invalid() -> None:
    erp = FakeErp.demo()
    erp.work_orders.recipes["BREAD-RYE"] = replace(
        erp.work_orders.recipes["BREAD-WHITE"], name="BREAD-RYE"
    )
    with pytest.raises(RequestInvalid) as raised:
        run(erp, recipe_name="BREAD-RYE")
    assert "recipe-name" in raised.value.errors


# --- 3 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"batch_quantity": Decimal(525)}, WorkOrderInvalidBatchQuantity),
        ({"batch_quantity": Decimal(1050)}, WorkOrderInvalidBatchQuantity),
        ({"planned_start": NOW}, StartNotInFuture),
    ],
)
def test_step_3_batch_and_start_are_checked_before_anything_is_written(
    fields: dict[str, Any], error: type
) -> None:
    erp = FakeErp.demo()
    with pytest.raises(error):
        run(erp, materials=rework("20"), **fields)
    assert erp.gate.log == []


# --- 4 ----------------------------------------------------------------------------------


def test_step_4_without_materials_only_the_work_order_itself_is_updated() -> None:
    erp = FakeErp.demo()
    later = START + timedelta(days=1)
    run(erp, batch_quantity=Decimal(550), planned_start=later)
    assert erp.gate.log == ["update_work_order"]
    order = erp.work_orders.orders["WO-1"]
    assert (order.batch_quantity, order.planned_start) == (Decimal(550), later)


def test_step_4_a_header_that_already_reads_so_is_not_written() -> None:
    erp = FakeErp.demo()
    run(erp)
    assert erp.gate.log == []


# --- 5 ----------------------------------------------------------------------------------


def test_step_5_unchanged_materials_write_nothing() -> None:
    erp = FakeErp.demo()
    run(erp, materials=(material(10, "RM-1001", "250"), *rework("12.500")))
    assert erp.gate.log == []


def test_step_5_changed_and_new_materials_are_written_and_others_stay() -> None:
    erp = FakeErp.demo()
    run(erp, materials=(material(10, "RM-1003", "6"), material(10, "RM-1005", "2")))
    assert erp.gate.log == ["put_material", "put_material"]
    [mixing_op, *_] = erp.work_orders.orders["WO-1"].operations
    mixing = {m.item_number: m.quantity for m in mixing_op.materials}
    assert mixing == {
        "RM-1001": Decimal(250), "RM-1003": Decimal(6), "RW-9001": Decimal("12.5"),
        "RM-1005": Decimal(2),
    }  # fmt: skip


def test_step_5_a_material_outside_the_recipe_writes_nothing() -> None:
    erp = FakeErp.demo()
    with pytest.raises(MaterialNotInRecipe):
        run(erp, materials=(material(10, "RM-1003", "6"), material(10, "RM-1100", "1")))
    assert erp.gate.log == []


# --- 6 ----------------------------------------------------------------------------------


def test_step_6_a_rework_increase_is_reserved_and_posted() -> None:
    erp = FakeErp.demo()
    run(erp, materials=rework("15"))
    assert erp.gate.log == ["put_material", "reserve", "post_transaction"]
    made = erp.inventory.reservations["4"]
    assert (made.item_sku_id, made.quantity, made.status) == (
        "RW-9001", Decimal("2.5"), ReservationStatus.OPEN
    )  # fmt: skip
    assert made.source.id == "WO-1" and made.type.value == "PRODUCTION"
    [posted] = erp.inventory.transactions.values()
    assert posted.quantity == Decimal("-2.5") and posted.transaction_type == "RWR"


def test_step_6_a_rework_decrease_releases_newest_first_and_reserves_the_remainder() -> None:
    erp = FakeErp.demo()
    run(erp, materials=rework("3.5"))
    assert erp.gate.log == ["put_material", "release", "release", "reserve", "post_transaction"]
    held = [
        (r.quantity, r.location)
        for r in erp.inventory.reservations.values()
        if r.item_sku_id == "RW-9001" and r.status is ReservationStatus.OPEN
    ]
    assert held == [(Decimal("3.5"), "C-23-01")]
    [posted] = erp.inventory.transactions.values()
    assert posted.quantity == Decimal(9)


def test_step_6_a_completed_work_order_gets_the_transaction_but_no_reservation() -> None:
    erp = FakeErp.demo(WorkOrderStatus.COMPLETED)
    run(erp, materials=rework("15"))
    assert erp.gate.log == ["put_material", "post_transaction"]


def test_step_6_insufficient_rework_stock_is_409_before_anything_is_written() -> None:
    erp = FakeErp.demo()
    with pytest.raises(InsufficientStock):
        run(erp, materials=(material(10, "RM-1003", "6"), material(10, "RW-9003", "3")))
    assert erp.gate.log == []


# --- 7 ----------------------------------------------------------------------------------


def test_step_7_answers_with_the_updated_work_order_and_its_reservations() -> None:
    view = run(FakeErp.demo(), batch_quantity=Decimal(550), materials=rework("15"))
    assert view.work_order.batch_quantity == Decimal(550)
    dough = next(m for m in view.materials if m.material.item_number == "RW-9001")
    assert dough.material.quantity == Decimal(15)
    assert sum(r.quantity for r in dough.reservations) == Decimal(15)


# --- all or nothing ---------------------------------------------------------------------

SCENARIOS = {
    "increase": (material(10, "RM-1003", "6"), material(10, "RM-1005", "2"), *rework("15")),
    "decrease": (material(10, "RM-1003", "6"), *rework("3.5")),
}


def writes_of(scenario: str) -> int:
    erp = FakeErp.demo()
    run(erp, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
    return len(erp.gate.log)


def updated_state(scenario: str) -> tuple[Any, ...]:
    erp = FakeErp.demo()
    run(erp, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
    return erp.state()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_refused_kth_write_leaves_everything_as_before(scenario: str) -> None:
    for k in range(1, writes_of(scenario) + 1):
        erp = FakeErp.demo()
        before, uow = erp.state(), FakeUnitOfWork()
        erp.gate.fail_from, erp.gate.fail_count = k, 1
        erp.gate.error = lambda what: UpstreamFault("fake", what)
        with pytest.raises(UpstreamFault):
            run(erp, uow, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
        assert erp.state() == before, f"write {k}"
        assert uow.outbox.entries == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_kth_write_of_unknown_outcome_ends_all_done_or_all_undone(scenario: str) -> None:
    """Refused with a lost connection: looked up on its reference, never guessed."""
    done = updated_state(scenario)
    for k in range(1, writes_of(scenario) + 1):
        erp = FakeErp.demo()
        before, uow = erp.state(), FakeUnitOfWork()
        erp.gate.fail_from, erp.gate.fail_count = k, 1
        try:
            run(erp, uow, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
        except UpstreamUnavailable:
            assert erp.state() == before, f"write {k}"
        else:
            assert erp.state() == done, f"write {k}"
        assert uow.outbox.entries == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_write_that_landed_but_lost_its_answer_is_found_and_the_update_goes_on(
    scenario: str,
) -> None:
    done = updated_state(scenario)
    for k in range(1, writes_of(scenario) + 1):
        erp = FakeErp.demo()
        uow = FakeUnitOfWork()
        erp.gate.lose_answer_of = k
        run(erp, uow, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
        assert erp.state() == done, f"write {k}"
        assert uow.outbox.entries == []
        assert [p.state.value for p in uow.ended_plans] == ["done"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_compensations_that_cannot_run_now_restore_everything_from_the_outbox(
    scenario: str,
) -> None:
    for k in range(1, writes_of(scenario) + 1):
        erp = FakeErp.demo()
        before, uow = erp.state(), FakeUnitOfWork()
        erp.gate.fail_from = k  # this write and every later one, compensations included
        with pytest.raises(UpstreamUnavailable):
            run(erp, uow, batch_quantity=Decimal(550), materials=SCENARIOS[scenario])
        assert 0 < len(uow.outbox.entries) <= k  # at most the done steps and the lost one
        erp.gate.clear()
        for _ in range(2):  # the outbox may run an entry more than once
            for kind, payload in uow.outbox.entries:
                run_compensation(kind, payload, erp.inventory, erp.work_orders)
        assert erp.state() == before, f"write {k}"


def test_every_inventory_write_has_its_own_reference_from_the_request_reference() -> None:
    erp = FakeErp.demo()
    run(erp, materials=(*rework("3.5"), material(10, "RW-9003", "1")))
    references = [r.reference for r in erp.inventory.reservations.values() if int(r.id) > 3]
    references += list(erp.inventory.transactions)
    assert len(set(references)) == len(references) == 4
    assert all(ref and ref.startswith("WU-WUtest-") and len(ref) <= 40 for ref in references)


def test_the_update_and_its_reservations_are_audited() -> None:
    uow = FakeUnitOfWork()
    run(FakeErp.demo(), uow, batch_quantity=Decimal(550), materials=rework("15"))
    actions = [e["action"] for e in uow.audit.entries]
    assert actions == ["workorder.update", "reservation.create"]
    entry = uow.audit.entries[0]
    assert entry["before"]["batchQuantity"] == Decimal(500)
    assert entry["after"]["batchQuantity"] == Decimal(550)
    assert entry["actor"] == "alice"
    assert [e["type"] for e in uow.events.events] == ["InventoryReserved"]


def test_a_failed_update_is_audited_with_what_was_queued() -> None:
    erp, uow = FakeErp.demo(), FakeUnitOfWork()
    erp.gate.fail_from = 2
    with pytest.raises(UpstreamUnavailable):
        run(erp, uow, batch_quantity=Decimal(550), materials=rework("15"))
    entry, *compensations = uow.audit.entries
    assert entry["action"] == "workorder.update_failed"
    assert entry["after"]["error"] == "upstream.unavailable"
    assert entry["after"]["outcome"] == "undoing"
    assert sorted(entry["after"]["compensationsQueued"]) == [
        "workorder.restore_header", "workorder.restore_material"
    ]  # fmt: skip
    assert sorted((c["action"], c["after"]["state"]) for c in compensations) == [
        ("workorder.restore_header", "queued"), ("workorder.restore_material", "queued")
    ]  # fmt: skip


def test_rework_is_never_reserved_in_a_warehouse_of_another_owner() -> None:
    erp = FakeErp.demo()
    erp.inventory.warehouses["W01"] = "PLANT-B"  # the holdings' warehouse changed hands
    before = erp.state()
    for quantity in ("15", "3.5"):  # an increase, and a decrease that reserves a remainder
        with pytest.raises(InvalidOwner):
            run(erp, materials=rework(quantity))
        assert erp.state() == before and erp.gate.log == []
