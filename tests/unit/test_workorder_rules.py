"""The rules of the work-order update v2 (gateway/domain/rules.py), one by one."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.errors import (
    InsufficientStock,
    MaterialNotInRecipe,
    RequestInvalid,
    StartNotInFuture,
    WorkOrderInvalidBatchQuantity,
)
from gateway.domain.model import BatchRule, ReservationStatus, StockLevel, WorkOrderStatus
from gateway.domain.rules import (
    RequestedMaterial,
    check_batch_quantity,
    check_planned_start,
    check_rework_availability,
    diff_materials,
    open_holdings,
    plan_release,
    rework_changes,
    rework_transaction_quantity,
    rework_transaction_type,
    transaction_date,
    work_order_warehouse,
)
from tests.fakes.erp import FakeErp, bread_white, work_order

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
BATCH = BatchRule(Decimal(100), Decimal(1000), Decimal(50))


def line(operation: int, item: str, quantity: str, uom: str = "KG", lot: str | None = None) -> Any:
    return RequestedMaterial(operation, item, Decimal(quantity), uom, lot)


# --- 1. the transaction date -------------------------------------------------------------


def test_transaction_date_is_the_given_date_minus_59_seconds() -> None:
    given = datetime(2026, 11, 20, 10, 0, 0, tzinfo=UTC)
    assert transaction_date(given, NOW) == datetime(2026, 11, 20, 9, 59, 1, tzinfo=UTC)


def test_transaction_date_defaults_to_now_minus_59_seconds() -> None:
    assert transaction_date(None, NOW) == NOW - timedelta(seconds=59)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        # autumn: 02:00:30 CET (the second 02:00) − 59 s is 02:59:31 CEST, an hour earlier
        # on the wall clock; wall-clock arithmetic would give 01:59:31.
        (datetime(2026, 10, 25, 2, 0, 30, tzinfo=BERLIN, fold=1), "2026-10-25T00:59:31+00:00"),
        # spring: 03:00:30 CEST − 59 s is 01:59:31 CET; the hour in between never happened.
        (datetime(2026, 3, 29, 3, 0, 30, tzinfo=BERLIN), "2026-03-29T00:59:31+00:00"),
    ],
)
def test_transaction_date_is_59_real_seconds_across_a_dst_change(
    given: datetime, expected: str
) -> None:
    shifted = transaction_date(given, NOW)
    assert shifted.isoformat() == expected
    assert given - shifted == timedelta(seconds=59)


def test_naive_transaction_date_is_request_invalid() -> None:
    with pytest.raises(RequestInvalid) as raised:
        transaction_date(datetime(2026, 11, 20, 10, 0), NOW)
    assert "transactionDate" in raised.value.errors


# --- 3. batch quantity and planned start ------------------------------------------------


@pytest.mark.parametrize("quantity", ["100", "150", "550", "1000", "100.000"])
def test_batch_quantities_in_range_and_on_the_increment_pass(quantity: str) -> None:
    check_batch_quantity(Decimal(quantity), BATCH)


@pytest.mark.parametrize("quantity", ["50", "99.999", "1050", "1001"])
def test_batch_quantity_outside_the_range_is_refused(quantity: str) -> None:
    with pytest.raises(WorkOrderInvalidBatchQuantity, match="outside"):
        check_batch_quantity(Decimal(quantity), BATCH)


@pytest.mark.parametrize("quantity", ["130", "125.5", "999"])
def test_batch_quantity_off_the_increment_is_refused(quantity: str) -> None:
    with pytest.raises(WorkOrderInvalidBatchQuantity, match="increment"):
        check_batch_quantity(Decimal(quantity), BATCH)


def test_the_increment_counts_from_min_not_from_zero() -> None:
    odd = BatchRule(Decimal(75), Decimal(500), Decimal(50))
    check_batch_quantity(Decimal(125), odd)
    with pytest.raises(WorkOrderInvalidBatchQuantity):
        check_batch_quantity(Decimal(100), odd)


def test_planned_start_in_the_future_passes() -> None:
    check_planned_start(NOW + timedelta(seconds=1), NOW)


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(days=-1)])
def test_planned_start_now_or_earlier_is_refused(offset: timedelta) -> None:
    with pytest.raises(StartNotInFuture):
        check_planned_start(NOW + offset, NOW)


def test_naive_planned_start_is_request_invalid() -> None:
    with pytest.raises(RequestInvalid):
        check_planned_start(datetime(2030, 1, 1), NOW)


# --- 5. the materials diff --------------------------------------------------------------


def test_unchanged_materials_need_no_write() -> None:
    requested = [line(10, "RM-1001", "250.000"), line(20, "RM-1006", "1.25", "L")]
    assert diff_materials(work_order(), bread_white(), requested) == []


def test_a_changed_quantity_is_an_update_of_that_material() -> None:
    [change] = diff_materials(work_order(), bread_white(), [line(10, "RM-1003", "6")])
    assert change.before is not None and change.before.quantity == Decimal("5.000")
    assert change.after.quantity == Decimal(6)
    assert change.quantity_change == Decimal(1)


def test_a_new_material_the_recipe_allows_is_added() -> None:
    [change] = diff_materials(work_order(), bread_white(), [line(30, "PK-2002", "10", "EA")])
    assert change.before is None
    assert (change.operation, change.after.item_number, change.after.is_rework) == (
        30, "PK-2002", False
    )  # fmt: skip


def test_a_new_rework_item_is_marked_as_rework() -> None:
    [change] = diff_materials(work_order(), bread_white(), [line(10, "RW-9003", "1")])
    assert change.after.is_rework


@pytest.mark.parametrize(("operation", "item"), [(10, "RM-1100"), (20, "RM-1002"), (40, "X")])
def test_a_new_material_the_recipe_does_not_allow_there_is_refused(
    operation: int, item: str
) -> None:
    with pytest.raises(MaterialNotInRecipe, match=item):
        diff_materials(work_order(), bread_white(), [line(operation, item, "1")])


def test_materials_the_request_does_not_name_stay_as_they_are() -> None:
    changes = diff_materials(work_order(), bread_white(), [line(10, "RM-1003", "6")])
    assert {c.after.item_number for c in changes} == {"RM-1003"}


def test_the_same_material_twice_is_request_invalid() -> None:
    twice = [line(10, "RM-1003", "6"), line(10, "RM-1003", "7")]
    with pytest.raises(RequestInvalid):
        diff_materials(work_order(), bread_white(), twice)


def test_another_unit_for_an_existing_material_is_request_invalid() -> None:
    with pytest.raises(RequestInvalid) as raised:
        diff_materials(work_order(), bread_white(), [line(10, "RM-1003", "5000", "G")])
    assert "uom" in raised.value.errors


def test_no_lot_keeps_the_material_lot_and_another_lot_is_a_change() -> None:
    order = work_order()
    with_lot = replace(order.operations[0].materials[1], lot="L1")
    ops = (replace(order.operations[0], materials=(with_lot,)), *order.operations[1:])
    order = replace(order, operations=ops)
    assert diff_materials(order, bread_white(), [line(10, "RM-1003", "5")]) == []
    [change] = diff_materials(order, bread_white(), [line(10, "RM-1003", "5", lot="L2")])
    assert change.after.lot == "L2"


# --- 6. rework --------------------------------------------------------------------------


def test_rework_changes_are_netted_per_rework_item() -> None:
    requested = [line(10, "RW-9001", "15"), line(10, "RM-1003", "6"), line(10, "RW-9003", "1")]
    changes = diff_materials(work_order(), bread_white(), requested)
    assert rework_changes(changes, bread_white()) == {"RW-9001": Decimal("2.5"), "RW-9003": 1}


def level(available: str, allow_negative: bool = False) -> StockLevel:
    return StockLevel(
        "RW-9003", "W01", Decimal(available), Decimal(0), True, allow_negative, Decimal(0),
        Decimal(0),
    )  # fmt: skip


def test_a_rework_increase_within_what_is_available_passes() -> None:
    check_rework_availability({"RW-9003": Decimal(2)}, {"RW-9003": level("2.000")})


def test_a_rework_increase_beyond_what_is_available_is_insufficient_stock() -> None:
    with pytest.raises(InsufficientStock, match="RW-9003"):
        check_rework_availability({"RW-9003": Decimal(3)}, {"RW-9003": level("2.000")})


def test_no_stock_row_means_nothing_available() -> None:
    with pytest.raises(InsufficientStock):
        check_rework_availability({"RW-9003": Decimal(1)}, {})


def test_negative_stock_items_and_decreases_need_no_availability() -> None:
    check_rework_availability({"RW-9003": Decimal(9)}, {"RW-9003": level("0", True)})
    check_rework_availability({"RW-9003": Decimal(-9)}, {"RW-9003": level("0")})


def test_more_rework_used_takes_it_out_of_stock() -> None:
    assert rework_transaction_quantity(Decimal("2.5")) == Decimal("-2.5")
    assert rework_transaction_quantity(Decimal("-4")) == Decimal(4)


def rework_holdings() -> list[Any]:
    erp = FakeErp.demo()
    return open_holdings(erp.inventory.reservations.values(), "WO-1", "RW-9001")


def test_open_holdings_are_the_work_orders_open_reservations_of_the_item() -> None:
    held = rework_holdings()
    assert [r.reference for r in held] == ["FIX-2", "FIX-3"]
    released = replace(held[0], status=ReservationStatus.RELEASED)
    assert open_holdings([released, held[1]], "WO-1", "RW-9001") == [held[1]]


def test_a_decrease_releases_the_newest_reservation_first() -> None:
    plan = plan_release(rework_holdings(), Decimal("7.5"))
    assert [r.reference for r in plan.releases] == ["FIX-3"]
    assert plan.remainder == 0


def test_a_decrease_inside_a_reservation_reserves_the_remainder_again() -> None:
    plan = plan_release(rework_holdings(), Decimal(9))
    assert [r.reference for r in plan.releases] == ["FIX-3", "FIX-2"]
    assert plan.remainder == Decimal("3.5")


def test_a_decrease_beyond_what_is_held_releases_everything_held() -> None:
    plan = plan_release(rework_holdings(), Decimal(50))
    assert len(plan.releases) == 2 and plan.remainder == 0


def test_rework_comes_from_where_the_work_order_holds_it() -> None:
    held = rework_holdings()
    elsewhere = replace(held[0], item_sku_id="RM-1001", warehouse_id="W02", id="9")
    assert work_order_warehouse([*held, elsewhere], "RW-9001", "W09") == "W01"
    assert work_order_warehouse([elsewhere, *held], "RW-9003", "W09") == "W01"  # most held
    assert work_order_warehouse([], "RW-9003", "W09") == "W09"
    assert work_order_warehouse([], "RW-9003", None) is None


def test_rework_on_an_active_work_order_is_a_memo_and_on_a_completed_one_a_movement() -> None:
    for status in (WorkOrderStatus.PLANNED, WorkOrderStatus.RELEASED, WorkOrderStatus.IN_PROGRESS):
        assert rework_transaction_type(status) == "RWR"
    assert rework_transaction_type(WorkOrderStatus.COMPLETED) == "RWK"
