"""The in-memory FakeInventory keeps the legacy system's rules, so services can trust it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.errors import (
    InsufficientStock,
    ItemNotStockTracked,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotExpired,
    ReservationNotFound,
)
from gateway.domain.model import (
    Item,
    ReleaseReason,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
)
from tests.fakes import FakeInventory

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def level(sku: str, warehouse: str, on_hand: str, owner: str = "PLANT-A") -> StockLevel:
    return StockLevel(
        sku, warehouse, Decimal(on_hand), Decimal(0), True, False, Decimal(5), Decimal(10), owner
    )


@pytest.fixture
def inventory() -> FakeInventory:
    fake = FakeInventory(now=Clock())
    fake.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    fake.items["RM-NEG"] = Item("RM-NEG", "Water", "L", True, True)
    fake.items["SV-1"] = Item("SV-1", "Cleaning", "H", False, False)
    fake.levels[("RM-1", "W01")] = level("RM-1", "W01", "100")
    fake.levels[("RM-1", "W03")] = level("RM-1", "W03", "8", owner="PLANT-B")
    return fake


def request(quantity: str, sku: str = "RM-1", **kw: Any) -> ReservationRequest:
    return ReservationRequest(
        reference=kw.pop("reference", f"R-{uuid.uuid4().hex[:8]}"),
        item_sku_id=sku,
        warehouse_id=kw.pop("warehouse_id", "W01"),
        quantity=Decimal(quantity),
        type=ReservationType.PRODUCTION,
        source=Source(SourceType.WORK_ORDER, kw.pop("source_id", "WO-1")),
        owner_id=kw.pop("owner_id", "PLANT-A"),
        **kw,
    )


def test_reserve_reduces_available_not_on_hand(inventory: FakeInventory) -> None:
    made = inventory.reserve(request("30"))
    stock = inventory.get_stock_level("RM-1", "W01")
    assert (stock.on_hand, stock.available) == (Decimal(100), Decimal(70))
    assert inventory.get_reservation(made.id).status is ReservationStatus.OPEN


def test_reserve_more_than_available_is_insufficient_unless_overridden(
    inventory: FakeInventory,
) -> None:
    with pytest.raises(InsufficientStock):
        inventory.reserve(request("100.001"))
    inventory.reserve(request("150", override=True))
    assert inventory.get_stock_level("RM-1", "W01").available == Decimal(-50)


def test_reserve_of_an_item_allowing_negative_stock_needs_no_stock(
    inventory: FakeInventory,
) -> None:
    made = inventory.reserve(request("5", sku="RM-NEG"))
    assert inventory.get_stock_level("RM-NEG", "W01").available == Decimal(-5)
    assert made.quantity == Decimal(5)


def test_reserve_of_an_untracked_item_is_refused(inventory: FakeInventory) -> None:
    with pytest.raises(ItemNotStockTracked):
        inventory.reserve(request("1", sku="SV-1"))


def test_reserve_repeated_with_its_reference_reserves_once(inventory: FakeInventory) -> None:
    first = inventory.reserve(request("10", reference="R-1"))
    assert inventory.reserve(request("10", reference="R-1")) == first
    assert inventory.get_stock_level("RM-1", "W01").reserved == Decimal(10)


def test_search_ranks_filters_and_pages(inventory: FakeInventory) -> None:
    made = [inventory.reserve(request("1", priority=p)) for p in (10, 90, 50, 50)]
    inventory.reserve(request("1", source_id="WO-2", priority=99))
    page = inventory.search_reservations(ReservationSearch(source_id="WO-1"), offset=1, limit=2)
    assert [r.id for r in page.items] == [made[2].id, made[3].id]
    assert page.total == 4


def test_search_by_owner_and_expiry(inventory: FakeInventory) -> None:
    soon = inventory.reserve(request("1", expires_at=T0 + timedelta(hours=1)))
    inventory.reserve(request("2", expires_at=T0 + timedelta(hours=3)))
    inventory.reserve(request("1", warehouse_id="W03", owner_id="PLANT-B"))
    found = inventory.search_reservations(ReservationSearch(expires_before=T0 + timedelta(hours=2)))
    assert [r.id for r in found.items] == [soon.id]
    plant_b = inventory.search_reservations(ReservationSearch(owner_ids=frozenset({"PLANT-B"})))
    assert [r.owner_id for r in plant_b.items] == ["PLANT-B"]
    assert inventory.search_reservations(ReservationSearch(owner_ids=frozenset())).total == 0


def test_low_stock_filters_by_owner(inventory: FakeInventory) -> None:
    assert [x.warehouse_id for x in inventory.low_stock()] == ["W03"]
    assert inventory.low_stock(frozenset({"PLANT-A"})) == []


def test_consume_moves_on_hand_and_reserved_and_repeats_idempotently(
    inventory: FakeInventory,
) -> None:
    made = inventory.reserve(request("30"))
    consumption = inventory.consume(made.id, "CNS-1")
    stock = inventory.get_stock_level("RM-1", "W01")
    assert (stock.on_hand, stock.reserved) == (Decimal(70), Decimal(0))
    assert consumption.transaction.previous_on_hand == Decimal(100)
    assert consumption.transaction.new_on_hand == Decimal(70)
    assert inventory.consume(made.id, "CNS-1") == consumption
    with pytest.raises(ReservationAlreadyClosed):
        inventory.consume(made.id, "CNS-2")


def test_release_repeated_with_its_reference_returns_the_release(
    inventory: FakeInventory,
) -> None:
    made = inventory.reserve(request("30"))
    first = inventory.release(made.id, ReleaseReason.RELEASED, reference="RL-1")
    assert inventory.release(made.id, ReleaseReason.RELEASED, reference="RL-1") == first
    assert inventory.get_stock_level("RM-1", "W01").reserved == Decimal(0)
    for other in ("RL-2", None):
        with pytest.raises(ReservationAlreadyReleased):
            inventory.release(made.id, ReleaseReason.RELEASED, reference=other)


def test_released_reservation_cannot_be_released_or_consumed(inventory: FakeInventory) -> None:
    made = inventory.reserve(request("30"))
    inventory.release(made.id, ReleaseReason.RELEASED)
    assert inventory.get_stock_level("RM-1", "W01").reserved == Decimal(0)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(made.id, ReleaseReason.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.consume(made.id, "CNS-3")
    with pytest.raises(ReservationNotFound):
        inventory.get_reservation("404")


def test_a_release_for_expiry_is_judged_by_the_fake_s_own_clock() -> None:
    clock = Clock()
    inventory = FakeInventory(now=clock)
    inventory.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    inventory.levels[("RM-1", "W01")] = level("RM-1", "W01", "100")
    made = inventory.reserve(request("30", expires_at=T0 + timedelta(minutes=5)))
    with pytest.raises(ReservationNotExpired):
        inventory.release(made.id, ReleaseReason.EXPIRED)  # the fake's now: T0 + a few seconds
    clock.now = T0 + timedelta(minutes=5)  # due from the instant it names
    released = inventory.release(made.id, ReleaseReason.EXPIRED)
    assert (released.release_reason, released.released_at) == (
        ReleaseReason.EXPIRED, T0 + timedelta(minutes=5, seconds=2)
    )  # fmt: skip


def test_a_partial_consume_is_stamped_by_the_fake_s_clock_and_leaves_the_rest(
    inventory: FakeInventory,
) -> None:
    made = inventory.reserve(request("30"))
    part = inventory.consume(made.id, "CNS-P1", quantity=Decimal(12))
    assert part.transaction.transaction_date == T0 + timedelta(seconds=2)
    assert (part.reservation.quantity, part.reservation.closed_at) == (Decimal(18), None)
    assert inventory.consumed_by == {"CNS-P1": made.id}
    rest = inventory.consume(made.id, "CNS-P2", quantity=Decimal(18))
    assert rest.reservation.closed_at == T0 + timedelta(seconds=3)


def test_an_expiry_change_is_kept_under_its_reference(inventory: FakeInventory) -> None:
    made = inventory.reserve(request("30"))
    inventory.change_expiry(made.id, T0 + timedelta(days=2), "EXP-1")
    assert inventory.expiry_changes == {"EXP-1": (made.id, T0 + timedelta(days=2))}
    assert inventory.gate.log == ["reserve", "change_expiry"]
