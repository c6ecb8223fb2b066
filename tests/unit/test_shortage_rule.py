"""The shortage rule and its use case over the fake inventory (issue 15.5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from gateway.domain.model import (
    Item,
    ReservationRequest,
    ReservationSearch,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
)
from gateway.domain.reservation_rules import Caller
from gateway.domain.shortages import shortages
from gateway.services.shortages import shortage_page
from tests.fakes.inventory import FakeInventory

PLANT_A = Caller("planner", frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}))
EVERYONE = Caller("admin", frozenset({"Reservations.Staff"}), frozenset(), all_owners=True)
T0 = datetime(2026, 12, 1, tzinfo=UTC)


def world(on_hand: dict[tuple[str, str], str]) -> FakeInventory:
    fake = FakeInventory(warehouses={"W01": "PLANT-A", "W03": "PLANT-B"})
    for sku, warehouse in on_hand:
        fake.items[sku] = Item(sku, sku, "KG", True, False)
        fake.levels[(sku, warehouse)] = StockLevel(
            sku, warehouse, Decimal(on_hand[(sku, warehouse)]), Decimal(0), True, False,
            Decimal(0), Decimal(0),
        )  # fmt: skip
    return fake


def hold(fake: FakeInventory, sku: str, warehouse: str, quantity: str, priority: int,
         minutes: int) -> str:  # fmt: skip
    owner = fake.warehouses[warehouse]
    request = ReservationRequest(f"R-{len(fake.reservations)}", sku, warehouse, Decimal(quantity),
                                 ReservationType.SALES, Source(SourceType.SALES_ORDER, "SO-1"),
                                 owner, priority)  # fmt: skip
    made = fake.hold(request)
    fake.reservations[made.id] = replace(made, created_at=T0 + timedelta(minutes=minutes))
    return made.id


def test_on_hand_goes_to_the_highest_priority_then_the_oldest_the_rest_is_short() -> None:
    fake = world({("A", "W01"): "5"})
    ids = [hold(fake, "A", "W01", q, p, m) for q, p, m in (("4", 50, 1), ("3", 90, 2),
                                                              ("3", 50, 0))]  # fmt: skip
    served = fake.search_reservations(ReservationSearch(), 0, 100).items
    short = shortages(served, {("A", "W01"): Decimal(5)})
    assert [(s.reservation.id, s.short_quantity) for s in short] == [(ids[2], 1), (ids[0], 4)]


def test_a_pair_whose_on_hand_fell_below_zero_is_short_by_every_reservation() -> None:
    fake = world({("A", "W01"): "1"})
    only = hold(fake, "A", "W01", "2.5", 50, 0)
    served = fake.search_reservations(ReservationSearch(), 0, 100).items
    short = shortages(served, {("A", "W01"): Decimal(-3)})
    assert [(s.reservation.id, s.short_quantity) for s in short] == [(only, Decimal("2.5"))]


def test_covered_pairs_and_other_owners_pairs_are_not_in_the_view() -> None:
    fake = world({("A", "W01"): "10", ("B", "W01"): "1", ("B", "W03"): "0"})
    hold(fake, "A", "W01", "10", 50, 0)
    short_here = hold(fake, "B", "W01", "2", 50, 1)
    hold(fake, "B", "W03", "2", 50, 2)
    page = shortage_page(ReservationSearch(), PLANT_A, fake, 0, 50)
    assert [s.reservation.id for s in page.items] == [short_here] and page.total == 1
    assert shortage_page(ReservationSearch(), EVERYONE, fake, 0, 50).total == 2


def test_the_view_reads_balances_in_batches_not_pair_by_pair() -> None:
    fake = world({(f"I{n}", "W01"): "0" for n in range(30)})
    for n in range(30):
        hold(fake, f"I{n}", "W01", "1", n, n)
    page = shortage_page(ReservationSearch(), PLANT_A, fake, 10, 5)
    assert page.total == 30 and [s.reservation.priority for s in page.items] == [19, 18, 17, 16, 15]
    assert fake.calls["get_item_balances"] == 1 and fake.calls["get_stock_level"] == 0
