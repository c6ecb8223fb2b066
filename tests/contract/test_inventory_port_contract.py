"""The InventoryPort's contract, held to FakeInventory and to the SOAP adapter on the sandbox.

Every test runs twice (tests/contract/conftest.py); a rule the fake and the legacy system
disagree on fails one of the two runs.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.errors import (
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    ReferenceReused,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    UnknownWarehouse,
)
from gateway.domain.model import (
    ReleaseReason,
    ReservationSearch,
    ReservationStatus,
)
from gateway.services.ports import InventoryPort
from tests.contract.inventory_calls import available, legacy_error, movement, request

# --- ATP -------------------------------------------------------------------------------------


def test_available_is_on_hand_less_the_open_reservations(inventory: InventoryPort) -> None:
    level = inventory.get_stock_level("RM-1", "W01")
    assert (level.on_hand, level.reserved, level.available) == (Decimal(100), Decimal(30), 70)
    assert level.owner_id == "PLANT-A"


def test_a_reservation_takes_from_available_and_never_from_on_hand(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("20.5"))
    level = inventory.get_stock_level("RM-1", "W01")
    assert (level.on_hand, level.available) == (Decimal(100), Decimal("49.5"))
    assert (made.status, made.quantity, made.uom) == (ReservationStatus.OPEN, Decimal("20.5"), "KG")
    assert inventory.get_reservation(made.id).status is ReservationStatus.OPEN


def test_no_more_than_available_can_be_reserved(inventory: InventoryPort) -> None:
    with pytest.raises(InsufficientStock):
        inventory.reserve(request("70.001"))
    assert available(inventory) == Decimal(70)
    inventory.reserve(request("70"))
    assert available(inventory) == Decimal(0)
    with pytest.raises(InsufficientStock):
        inventory.reserve(request("0.001"))


def test_an_override_reserves_beyond_available(inventory: InventoryPort) -> None:
    inventory.reserve(request("100", override=True))
    assert available(inventory) == Decimal(-30)


def test_an_item_allowing_negative_stock_is_reserved_beyond_its_stock(
    inventory: InventoryPort,
) -> None:
    inventory.reserve(request("60", sku="RM-NEG"))
    assert available(inventory, "RM-NEG") == Decimal(-10)


def test_an_item_not_stock_tracked_cannot_be_reserved(inventory: InventoryPort) -> None:
    with pytest.raises(ItemNotStockTracked):
        inventory.reserve(request("1", sku="SV-1"))


def test_a_quantity_of_zero_is_invalid(inventory: InventoryPort) -> None:
    with pytest.raises(InvalidQuantity):
        inventory.reserve(request("0"))
    with pytest.raises(InvalidQuantity):
        inventory.post_transaction(movement("CT-MV-0", "0"))


def test_an_item_never_stocked_in_a_known_warehouse_has_nothing_there(
    inventory: InventoryPort,
) -> None:
    level = inventory.get_stock_level("RM-2", "W02")
    assert (level.on_hand, level.reserved, level.owner_id) == (0, 0, "PLANT-B")
    with pytest.raises(InsufficientStock):
        inventory.reserve(request("1", sku="RM-2", warehouse_id="W02"))


# --- reference idempotency -------------------------------------------------------------------


def test_the_same_reference_twice_reserves_once(inventory: InventoryPort) -> None:
    first = inventory.reserve(request("10", reference="CT-SAME"))
    again = inventory.reserve(request("10", reference="CT-SAME"))
    assert again.id == first.id
    assert available(inventory) == Decimal(60)
    assert [r.id for r in inventory.list_reservations("RM-1", "W01")].count(first.id) == 1


@pytest.mark.parametrize(
    "other",
    [{"quantity": "11"}, {"source_id": "WO-OTHER"}, {"warehouse_id": "W02"}, {"sku": "RM-NEG"}],
)
def test_the_same_reference_with_other_data_is_refused(
    inventory: InventoryPort, other: dict[str, str]
) -> None:
    inventory.reserve(request("10", reference="CT-REUSED"))
    changed = {"quantity": "10", **other}
    with pytest.raises(ReferenceReused) as refused:
        inventory.reserve(request(changed.pop("quantity"), reference="CT-REUSED", **changed))
    assert legacy_error(refused) == 260
    assert available(inventory) == Decimal(60)


def test_a_transaction_reference_posts_once(inventory: InventoryPort) -> None:
    first = inventory.post_transaction(movement("CT-MV-1", "12.5"))
    again = inventory.post_transaction(movement("CT-MV-1", "12.5"))
    assert (first.previous_on_hand, first.new_on_hand) == (Decimal(100), Decimal("112.5"))
    assert (again.previous_on_hand, again.new_on_hand) == (Decimal(100), Decimal("112.5"))
    assert inventory.get_stock_level("RM-1", "W01").on_hand == Decimal("112.5")


def test_a_transaction_never_takes_on_hand_below_zero(inventory: InventoryPort) -> None:
    with pytest.raises(InsufficientStock):
        inventory.post_transaction(movement("CT-MV-2", "-100.001"))
    assert inventory.get_stock_level("RM-1", "W01").on_hand == Decimal(100)


def test_a_rework_memo_records_without_moving_stock(inventory: InventoryPort) -> None:
    posted = inventory.post_transaction(movement("CT-MV-3", "4", kind="RWR"))
    assert (posted.previous_on_hand, posted.new_on_hand) == (Decimal(100), Decimal(100))


# --- status changes --------------------------------------------------------------------------


def test_release_turns_open_into_released_and_frees_the_quantity(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    released = inventory.release(made.id, ReleaseReason.CANCELLED)
    assert (released.status, released.release_reason) == (
        ReservationStatus.RELEASED,
        ReleaseReason.CANCELLED,
    )
    assert released.released_at is not None
    assert available(inventory) == Decimal(70)
    assert inventory.get_reservation(made.id).status is ReservationStatus.RELEASED


def test_a_released_reservation_can_be_neither_released_nor_consumed(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    inventory.release(made.id, ReleaseReason.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(made.id, ReleaseReason.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.consume(made.id, "CT-CNS-R")
    assert available(inventory) == Decimal(70)


def test_a_release_repeated_with_its_reference_answers_as_released(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    first = inventory.release(made.id, ReleaseReason.RELEASED, reference="CT-RL-1")
    again = inventory.release(made.id, ReleaseReason.RELEASED, reference="CT-RL-1")
    assert (again.id, again.status) == (first.id, ReservationStatus.RELEASED)
    assert available(inventory) == Decimal(70)
    for other in ("CT-RL-2", None):
        with pytest.raises(ReservationAlreadyReleased):
            inventory.release(made.id, ReleaseReason.RELEASED, reference=other)


def test_consume_closes_and_takes_on_hand_and_reserved_down(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10"))
    consumed = inventory.consume(made.id, "CT-CNS-1")
    assert consumed.reservation.status is ReservationStatus.CLOSED
    assert consumed.reservation.closed_at is not None
    moved = consumed.transaction
    assert (moved.reference, moved.transaction_type, moved.quantity) == (
        "CT-CNS-1",
        "CNS",
        Decimal(-10),
    )
    assert (moved.previous_on_hand, moved.new_on_hand) == (Decimal(100), Decimal(90))
    level = inventory.get_stock_level("RM-1", "W01")
    assert (level.on_hand, level.reserved, level.available) == (Decimal(90), Decimal(30), 60)


def test_a_consume_repeated_with_its_reference_returns_the_same_consumption(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    first = inventory.consume(made.id, "CT-CNS-2")
    assert inventory.consume(made.id, "CT-CNS-2") == first
    assert inventory.get_stock_level("RM-1", "W01").on_hand == Decimal(90)


def test_a_closed_reservation_can_be_neither_consumed_again_nor_released(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    inventory.consume(made.id, "CT-CNS-3")
    with pytest.raises(ReservationAlreadyClosed):
        inventory.consume(made.id, "CT-CNS-4")
    with pytest.raises(ReservationAlreadyClosed):
        inventory.release(made.id, ReleaseReason.RELEASED)


def test_a_consume_reference_used_for_another_reservation_is_refused(
    inventory: InventoryPort,
) -> None:
    one, other = inventory.reserve(request("10")), inventory.reserve(request("5"))
    inventory.consume(one.id, "CT-CNS-5")
    with pytest.raises(ReferenceReused) as refused:
        inventory.consume(other.id, "CT-CNS-5")
    assert legacy_error(refused) == 260
    assert inventory.get_reservation(other.id).status is ReservationStatus.OPEN


def test_a_seeded_released_reservation_stays_released(inventory: InventoryPort) -> None:
    (seeded,) = [r for r in inventory.list_reservations_by_sources(["WO-C1"]) if r.id == "2"]
    assert (seeded.reference, seeded.status) == ("FIX-2", ReservationStatus.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.consume("2", "CT-CNS-6")


# --- unknown things --------------------------------------------------------------------------


def test_an_unknown_item_is_item_not_found(inventory: InventoryPort) -> None:
    with pytest.raises(ItemNotFound):
        inventory.get_item("NO-SUCH")
    with pytest.raises(ItemNotFound):
        inventory.get_stock_level("NO-SUCH", "W01")
    with pytest.raises(ItemNotFound):
        inventory.reserve(request("1", sku="NO-SUCH"))
    assert [b.item.sku_id for b in inventory.get_item_balances(["RM-1", "NO-SUCH"])] == ["RM-1"]


def test_an_unknown_warehouse_is_unknown_warehouse(inventory: InventoryPort) -> None:
    with pytest.raises(UnknownWarehouse):
        inventory.get_stock_level("RM-1", "W99")
    with pytest.raises(UnknownWarehouse):
        inventory.reserve(request("1", warehouse_id="W99"))


def test_an_unknown_reservation_is_reservation_not_found(inventory: InventoryPort) -> None:
    with pytest.raises(ReservationNotFound):
        inventory.get_reservation("404")
    with pytest.raises(ReservationNotFound):
        inventory.release("404", ReleaseReason.RELEASED)
    with pytest.raises(ReservationNotFound):
        inventory.consume("404", "CT-CNS-7")


# --- reads -----------------------------------------------------------------------------------


def test_balances_name_each_warehouse_with_its_owner(inventory: InventoryPort) -> None:
    (balances,) = inventory.get_item_balances(["RM-1"])
    owners = {level.warehouse_id: level.owner_id for level in balances.levels}
    assert owners == {"W01": "PLANT-A", "W02": "PLANT-B"}
    assert balances.item.uom == "KG" and balances.item.stock_tracked


def test_low_stock_is_available_at_or_below_the_reorder_point(inventory: InventoryPort) -> None:
    assert [(x.item_sku_id, x.warehouse_id) for x in inventory.low_stock()] == [("RM-1", "W02")]
    assert inventory.low_stock(frozenset({"PLANT-A"})) == []
    inventory.reserve(request("60"))
    low = [(x.item_sku_id, x.warehouse_id) for x in inventory.low_stock(frozenset({"PLANT-A"}))]
    assert low == [("RM-1", "W01")]


def test_search_serves_the_highest_priority_first_and_counts_every_match(
    inventory: InventoryPort,
) -> None:
    made = [inventory.reserve(request("1", source_id="WO-S", priority=p)) for p in (10, 90, 50)]
    page = inventory.search_reservations(ReservationSearch(source_id="WO-S"), offset=0, limit=2)
    assert [r.id for r in page.items] == [made[1].id, made[2].id]
    assert page.total == 3
    opened = inventory.search_reservations(ReservationSearch(status=ReservationStatus.OPEN))
    assert "1" in [r.id for r in opened.items] and "2" not in [r.id for r in opened.items]
