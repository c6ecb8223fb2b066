"""The rules of a create split across warehouses (decision 172): naming, order, allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.errors import InsufficientStock, InvalidSplit, ItemNotStockTracked
from gateway.domain.model import StockLevel
from gateway.domain.split_holds import allocate, check_split, ensure_covered, preferred_order


def level(
    warehouse: str, available: str, tracked: bool = True, negative: bool = False
) -> StockLevel:
    return StockLevel("RM-1", warehouse, Decimal(available), Decimal(0), tracked, negative,
                      Decimal(0), Decimal(0), "PLANT-A")  # fmt: skip


def test_each_warehouse_gives_what_it_has_in_order_and_an_empty_one_is_skipped() -> None:
    got = allocate(Decimal(9), [level("W01", "4"), level("W02", "0"), level("W04", "10")], False)
    assert got.parts == (("W01", Decimal(4)), ("W04", Decimal(5)))
    assert (got.reserved, got.shortfall) == (Decimal(9), Decimal(0))


def test_what_no_warehouse_has_is_the_shortfall_and_a_negative_available_gives_nothing() -> None:
    got = allocate(Decimal(10), [level("W01", "-2"), level("W02", "3.5")], False)
    assert got.parts == (("W02", Decimal("3.5")),)
    assert got.shortfall == Decimal("6.5")
    with pytest.raises(InsufficientStock) as refused:
        ensure_covered(got, "RM-1", ["W01", "W02"])
    assert refused.value.extra["shortfall"] == Decimal("6.5")
    assert "6.5 short" in refused.value.detail


@pytest.mark.parametrize(("override", "negative"), [(True, False), (False, True)])
def test_an_override_or_an_item_that_may_go_negative_takes_it_all_from_the_first(
    override: bool, negative: bool
) -> None:
    got = allocate(Decimal(7), [level("W02", "1", negative=negative), level("W01", "9")], override)
    assert (got.parts, got.shortfall) == ((("W02", Decimal(7)),), Decimal(0))


def test_an_item_not_stock_tracked_cannot_be_split() -> None:
    with pytest.raises(ItemNotStockTracked):
        allocate(Decimal(1), [level("W01", "5", tracked=False)], False)


def test_the_configured_warehouses_come_first_in_their_order_then_the_rest_by_id() -> None:
    assert preferred_order(["W01", "W09", "W04", "W02"], ["W04", "W02", "W77"]) == [
        "W04", "W02", "W01", "W09"]  # fmt: skip
    assert preferred_order(["W01", "W04"], ["W04"], first="W01") == ["W01", "W04"]


@pytest.mark.parametrize(
    ("single", "many", "any_warehouse", "lot"),
    [
        (None, None, False, None),
        ("W01", ["W02"], False, None),
        ("W01", None, True, None),
        (None, ["W01"], True, None),
        (None, ["W01", "W01"], False, None),
        (None, [], False, None),
        (None, [f"W{n}" for n in range(11)], False, None),
        (None, ["W01", "W02"], False, "LOT-1"),
        (None, None, True, "LOT-1"),
    ],
)
def test_a_split_named_in_no_or_two_ways_or_with_repeats_or_a_lot_is_invalid(
    single: str | None, many: list[str] | None, any_warehouse: bool, lot: str | None
) -> None:
    with pytest.raises(InvalidSplit):
        check_split(single, many, any_warehouse, lot=lot)


@pytest.mark.parametrize(
    ("single", "many", "any_warehouse"),
    [("W01", None, False), (None, ["W01"], False), (None, ["W01", "W02"], False),
     (None, None, True)],
)  # fmt: skip
def test_one_way_of_naming_warehouses_is_a_valid_split(
    single: str | None, many: list[str] | None, any_warehouse: bool
) -> None:
    assert (
        check_split(single, many, any_warehouse, lot="LOT-1" if many == ["W01"] else None) is None
    )
