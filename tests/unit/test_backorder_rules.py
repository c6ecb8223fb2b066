"""The backorder rules (issue 15.2, decision 170): the split, the serving order, the fills."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.domain.backorders import (
    Backorder,
    BackorderStatus,
    by_pair,
    ensure_may_cancel,
    fills,
    partial_split,
)
from gateway.domain.errors import BackorderNotOpen, Forbidden
from gateway.domain.model import (
    Reservation,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
)
from gateway.domain.reservation_rules import Caller

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def waiting(name: str, quantity: str, priority: int, minutes: int, sku: str = "A") -> Backorder:
    return Backorder(
        id=name, item_sku_id=sku, warehouse_id="W01", requested=Decimal(quantity),
        quantity=Decimal(quantity), type=ReservationType.SALES,
        source=Source(SourceType.SALES_ORDER, "SO-1"), priority=priority, owner_id="PLANT-A",
        created_by="planner", created_at=T0 + timedelta(minutes=minutes),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("requested", "available", "split"),
    [("10", "4", ("4", "6")), ("3", "7.5", ("3", "0")), ("2", "0", ("0", "2")),
     ("2", "-5", ("0", "2")), ("0.125", "0.1", ("0.1", "0.025"))],
)  # fmt: skip
def test_a_partial_create_reserves_at_most_what_is_available(
    requested: str, available: str, split: tuple[str, str]
) -> None:
    assert partial_split(Decimal(requested), Decimal(available)) == tuple(map(Decimal, split))


def test_stock_goes_to_the_highest_priority_then_the_oldest_the_next_waits_for_the_first() -> None:
    old, urgent, new, low = (waiting("old", "3", 50, 0), waiting("urgent", "3", 90, 5),
                             waiting("new", "3", 50, 9), waiting("low", "3", 10, -5))  # fmt: skip
    handed = fills([low, new, old, urgent], Decimal(7))
    assert [(b.id, share) for b, share in handed] == [("urgent", 3), ("old", 3), ("new", 1)]
    assert fills([old], Decimal(0)) == []


def test_a_fill_lowers_what_is_outstanding_and_the_last_one_fills_the_backorder() -> None:
    backorder = waiting("b", "5", 50, 0)
    assert backorder.fill_reference() == "BO-b-1"
    request = backorder.fill_request(Decimal(2))
    assert (request.reference, request.quantity, request.created_by) == ("BO-b-1", 2, "planner")
    made = _reservation(request.quantity, ReservationStatus.OPEN)
    once = backorder.after_fill(made, T0)
    assert (once.quantity, once.fills, once.status, once.fill_reference()) == (
        3, 1, BackorderStatus.OPEN, "BO-b-2")  # fmt: skip
    done = once.after_fill(_reservation(Decimal(3), ReservationStatus.OPEN), T0)
    assert (done.quantity, done.status, done.ended_at, done.filled) == (
        0, BackorderStatus.FILLED, T0, 5)  # fmt: skip
    with pytest.raises(BackorderNotOpen):
        done.ended(BackorderStatus.CANCELLED, T0)


def test_backorders_are_grouped_by_pair_each_in_serving_order() -> None:
    groups = by_pair([waiting("a1", "1", 10, 0), waiting("b", "1", 50, 0, "B"),
                      waiting("a2", "1", 90, 1)])  # fmt: skip
    assert {pair: [b.id for b in group] for pair, group in groups.items()} == {
        ("A", "W01"): ["a2", "a1"], ("B", "W01"): ["b"]}  # fmt: skip


def test_a_backorder_is_cancelled_by_its_creator_or_a_manager() -> None:
    backorder = waiting("b", "1", 50, 0)
    ensure_may_cancel(backorder, Caller("planner", frozenset(), frozenset({"PLANT-A"})))
    manager = Caller("boss", frozenset({"Reservations.Manager"}), frozenset({"PLANT-A"}))
    ensure_may_cancel(backorder, manager)
    with pytest.raises(Forbidden):
        ensure_may_cancel(backorder, Caller("other", frozenset(), frozenset({"PLANT-A"})))


def _reservation(quantity: Decimal, status: ReservationStatus) -> Reservation:
    return Reservation(
        id="1", reference="BO-b-1", item_sku_id="A", warehouse_id="W01", location=None,
        lot=None, quantity=quantity, uom="KG", type=ReservationType.SALES,
        source=Source(SourceType.SALES_ORDER, "SO-1"), priority=50, status=status,
        owner_id="PLANT-A", created_at=T0,
    )  # fmt: skip
