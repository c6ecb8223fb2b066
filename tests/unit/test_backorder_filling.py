"""Partial creates and the backorder filler over the fake inventory and a SQLite store: the
filler counts a fill that landed for a process that died instead of making it again, and a
pass whose lease went elsewhere writes nothing (decision 170)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.domain.backorders import BackorderStatus
from gateway.domain.errors import ItemNotStockTracked
from gateway.domain.model import Item, StockLevel
from gateway.domain.reservation_rules import Caller, ReservationDraft
from gateway.services.backorder_filling import BackorderFiller
from gateway.services.backorders import reserve_partial
from gateway.services.plan_recovery import recover_one
from gateway.services.plan_runner import PlanPorts
from gateway.store.backorders import BackorderStore
from gateway.store.gateway_store import GatewayStore
from gateway.store.tables import events
from tests.fakes.inventory import FakeInventory
from tests.fakes.work_orders import FakeWorkOrders

PLANNER = Caller("planner", frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}))
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[GatewayStore]:
    opened = GatewayStore.open(f"sqlite:///{tmp_path / 'gateway.db'}")
    yield opened
    opened.engine.dispose()


@pytest.fixture
def fake() -> FakeInventory:
    inventory = FakeInventory(warehouses={"W01": "PLANT-A"})
    inventory.items["A"] = Item("A", "flour", "KG", True, False)
    inventory.levels[("A", "W01")] = StockLevel("A", "W01", Decimal(4), Decimal(0), True, False,
                                                Decimal(0), Decimal(0), "PLANT-A")  # fmt: skip
    return inventory


def draft(quantity: str) -> ReservationDraft:
    return ReservationDraft("A", "W01", Decimal(quantity), "SALES", "sales_order", "SO-1",
                            allow_partial=True)  # fmt: skip


def filler(fake: FakeInventory, store: GatewayStore, book: BackorderStore) -> BackorderFiller:
    return BackorderFiller(fake, FakeWorkOrders({}), book, store.unit_of_work,
                           timedelta(seconds=30), clock=lambda: NOW)  # fmt: skip


def receive(fake: FakeInventory, quantity: int) -> None:
    level = fake.levels[("A", "W01")]
    fake.levels[("A", "W01")] = replace(level, on_hand=level.on_hand + quantity)


def partial(fake: FakeInventory, store: GatewayStore, quantity: str) -> str:
    uow = store.unit_of_work()
    made = reserve_partial(draft(quantity), PLANNER, "GW-REF-1", (fake, FakeWorkOrders({}),
                           store.backorders), uow, NOW, True)  # fmt: skip
    uow.commit()
    assert made.backorder is not None
    return made.backorder.id


def filled(store: GatewayStore) -> int:
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(events.c.id).where(events.c.type == "InventoryBackorderFilled")
        ).all()
    return len(rows)


def test_a_partial_create_reserves_the_available_part_and_keeps_the_rest(
    fake: FakeInventory, store: GatewayStore
) -> None:
    waiting = partial(fake, store, "10")
    assert fake.level("A", "W01").available == 0
    kept = store.backorders.get(waiting)
    assert kept is not None and (kept.quantity, kept.owner_id) == (6, "PLANT-A")
    assert store.backorders.backordered("A", "W01") == 6


def test_a_fill_that_landed_before_a_crash_is_counted_not_made_again(
    fake: FakeInventory, store: GatewayStore
) -> None:
    waiting = store.backorders.get(partial(fake, store, "10"))
    assert waiting is not None
    receive(fake, 6)
    uow = store.unit_of_work()  # a filler kept its fill in flight, reserved, and died
    uow.also_in_transaction(store.backorders.changing(waiting, waiting.marked()))
    uow.commit()
    fake.reserve(waiting.fill_request(Decimal(6)))
    reserves = fake.calls["reserve"]
    assert filler(fake, store, store.backorders).run_once() == 1
    assert fake.calls["reserve"] == reserves  # looked up, not reserved again
    after = store.backorders.get(waiting.id)
    assert after is not None and after.status is BackorderStatus.FILLED
    assert filled(store) == 1


def test_a_pass_that_lost_its_lease_commits_nothing_and_the_next_holder_counts_the_fill(
    fake: FakeInventory, store: GatewayStore
) -> None:
    waiting = partial(fake, store, "10")
    receive(fake, 6)
    other = BackorderStore(store.engine, holder="another-process")
    assert other.take_lease(timedelta(seconds=30))
    assert filler(fake, store, store.backorders).run_once() == 0  # the other holds it
    other.give_up_lease()
    losing = BackorderStore(store.engine, holder="losing")
    expired_at_once = BackorderFiller(fake, FakeWorkOrders({}), losing, store.unit_of_work,
                                      timedelta(0), clock=lambda: NOW)  # fmt: skip
    reserves = fake.calls["reserve"]
    assert expired_at_once.run_once() == 0  # fenced out before it reserves anything
    assert fake.calls["reserve"] == reserves and filled(store) == 0
    kept = store.backorders.get(waiting)
    assert kept is not None and (kept.status, kept.filling) == (BackorderStatus.OPEN, None)
    assert filler(fake, store, store.backorders).run_once() == 1
    assert fake.level("A", "W01").available == 0 and filled(store) == 1


def test_an_item_that_is_not_stock_tracked_is_refused_not_backordered(
    fake: FakeInventory, store: GatewayStore
) -> None:
    fake.items["S"] = Item("S", "service", "EA", False, False)
    uow = store.unit_of_work()
    with pytest.raises(ItemNotStockTracked):
        reserve_partial(replace(draft("1"), item_sku_id="S"), PLANNER, "GW-REF-2",
                        (fake, FakeWorkOrders({}), store.backorders), uow, NOW, True)  # fmt: skip
    assert store.backorders.backordered("S", "W01") == 0


def test_a_partial_create_whose_process_died_after_the_reserve_keeps_its_backorder(
    fake: FakeInventory, store: GatewayStore
) -> None:
    uow = store.unit_of_work()  # never committed: the process dies after the reserve
    made = reserve_partial(draft("10"), PLANNER, "GW-REF-3", (fake, FakeWorkOrders({}),
                           store.backorders), uow, NOW, True)  # fmt: skip
    assert made.backorder is not None and store.backorders.get(made.backorder.id) is None
    (plan,) = uow.ended_plans
    ports = PlanPorts(fake, FakeWorkOrders({}), store.plans)
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert recover_one(plan.id, store.plans, ports, store.unit_of_work, later) is not None
    kept = store.backorders.get(made.backorder.id)
    assert kept is not None and (kept.quantity, kept.status) == (6, BackorderStatus.OPEN)
    with store.engine.connect() as connection:
        backordered = connection.execute(
            select(events.c.id).where(events.c.type == "InventoryBackordered")
        ).all()
    assert len(backordered) == 1 and fake.level("A", "W01").available == 0
