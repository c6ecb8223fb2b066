"""The InventoryPort's newer writes, held to FakeInventory and to the SOAP adapter on the sandbox
(issues 15.1, 15.4): a reservation's expiry changed, part of it consumed, and a release for
expiry refused before the expiry (decision 171).

The world (tests/contract/worlds.py) starts with RM-1 in W01 at 100 on hand, 30 reserved.
Expiries are whole seconds far from any clock change, so the plant-local stamp round-trips.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.domain.errors import (
    ConsumeExceedsReserved,
    InvalidQuantity,
    ReferenceReused,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotExpired,
    ReservationNotFound,
)
from gateway.domain.model import ReleaseReason, ReservationStatus
from gateway.services.ports import InventoryPort
from tests.contract.inventory_calls import legacy_error, request, stock

AHEAD = datetime(2030, 1, 15, 9, 30, tzinfo=UTC)
LATER = datetime(2030, 2, 20, 14, 45, 10, tzinfo=UTC)
PASSED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


def expiry_of(inventory: InventoryPort, reservation_id: str) -> datetime | None:
    return inventory.get_reservation(reservation_id).expires_at


# --- change expiry ---------------------------------------------------------------------------


def test_an_expiry_is_set_and_read_back(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10"))
    changed = inventory.change_expiry(made.id, AHEAD, "CT-EX-1")
    assert (changed.id, changed.status, changed.expires_at) == (
        made.id, ReservationStatus.OPEN, AHEAD
    )  # fmt: skip
    assert expiry_of(inventory, made.id) == AHEAD
    assert stock(inventory) == (Decimal(100), Decimal(40), Decimal(60))


def test_an_expiry_is_cleared_and_the_reservation_no_longer_expires(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10", expires_at=AHEAD))
    assert made.expires_at == AHEAD
    assert inventory.change_expiry(made.id, None, "CT-EX-2").expires_at is None
    assert expiry_of(inventory, made.id) is None


def test_a_past_expiry_is_accepted(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10", expires_at=AHEAD))
    assert inventory.change_expiry(made.id, PASSED, "CT-EX-3").expires_at == PASSED
    assert expiry_of(inventory, made.id) == PASSED


def test_an_expiry_change_repeated_with_its_reference_changes_nothing(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    inventory.change_expiry(made.id, AHEAD, "CT-EX-4")
    inventory.change_expiry(made.id, LATER, "CT-EX-5")
    again = inventory.change_expiry(made.id, AHEAD, "CT-EX-4")
    assert again.expires_at == LATER  # answered as it is now: the later change stays
    assert expiry_of(inventory, made.id) == LATER


def test_an_expiry_reference_with_another_date_or_reservation_is_refused(
    inventory: InventoryPort,
) -> None:
    one, other = inventory.reserve(request("10")), inventory.reserve(request("5"))
    inventory.change_expiry(one.id, AHEAD, "CT-EX-6")
    for reservation_id, expires_at in ((one.id, LATER), (one.id, None), (other.id, AHEAD)):
        with pytest.raises(ReferenceReused) as refused:
            inventory.change_expiry(reservation_id, expires_at, "CT-EX-6")
        assert legacy_error(refused) == 260
    assert (expiry_of(inventory, one.id), expiry_of(inventory, other.id)) == (AHEAD, None)


def test_only_an_open_reservation_gets_a_new_expiry(inventory: InventoryPort) -> None:
    released, closed = inventory.reserve(request("10")), inventory.reserve(request("5"))
    inventory.release(released.id, ReleaseReason.RELEASED)
    inventory.consume(closed.id, "CT-EX-CNS")
    with pytest.raises(ReservationAlreadyReleased):
        inventory.change_expiry(released.id, AHEAD, "CT-EX-7")
    with pytest.raises(ReservationAlreadyClosed):
        inventory.change_expiry(closed.id, AHEAD, "CT-EX-8")
    with pytest.raises(ReservationNotFound):
        inventory.change_expiry("404", AHEAD, "CT-EX-9")
    assert (expiry_of(inventory, released.id), expiry_of(inventory, closed.id)) == (None, None)


def test_an_expiry_change_repeated_after_a_release_answers_the_released_reservation(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    inventory.change_expiry(made.id, AHEAD, "CT-EX-10")
    inventory.release(made.id, ReleaseReason.RELEASED)
    again = inventory.change_expiry(made.id, AHEAD, "CT-EX-10")
    assert (again.status, again.expires_at) == (ReservationStatus.RELEASED, AHEAD)


# --- partial consume -------------------------------------------------------------------------


def test_a_partial_consume_leaves_the_rest_reserved_and_the_reservation_open(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    part = inventory.consume(made.id, "CT-PC-1", quantity=Decimal("4.25"))
    assert (part.reservation.status, part.reservation.quantity) == (
        ReservationStatus.OPEN, Decimal("5.75")
    )  # fmt: skip
    assert part.reservation.closed_at is None
    moved = part.transaction
    assert (moved.reference, moved.transaction_type, moved.quantity) == (
        "CT-PC-1", "CNS", Decimal("-4.25")
    )  # fmt: skip
    assert (moved.previous_on_hand, moved.new_on_hand) == (Decimal(100), Decimal("95.75"))
    assert stock(inventory) == (Decimal("95.75"), Decimal("35.75"), Decimal(60))
    assert inventory.get_reservation(made.id).quantity == Decimal("5.75")


def test_consuming_the_rest_closes_the_reservation(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10"))
    inventory.consume(made.id, "CT-PC-2", quantity=Decimal(4))
    rest = inventory.consume(made.id, "CT-PC-3")
    assert (rest.reservation.status, rest.reservation.quantity) == (
        ReservationStatus.CLOSED, Decimal(6)
    )  # fmt: skip
    assert (rest.transaction.quantity, rest.transaction.new_on_hand) == (Decimal(-6), Decimal(90))
    assert stock(inventory) == (Decimal(90), Decimal(30), Decimal(60))


def test_a_consume_of_exactly_the_quantity_is_a_whole_consume(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10"))
    whole = inventory.consume(made.id, "CT-PC-4", quantity=Decimal(10), release_remainder=True)
    assert (whole.reservation.status, whole.reservation.quantity) == (
        ReservationStatus.CLOSED, Decimal(10)
    )  # fmt: skip
    assert stock(inventory) == (Decimal(90), Decimal(30), Decimal(60))


def test_a_consume_of_more_than_is_reserved_is_refused_and_changes_nothing(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    inventory.consume(made.id, "CT-PC-5", quantity=Decimal(4))
    before = stock(inventory)
    with pytest.raises(ConsumeExceedsReserved) as refused:
        inventory.consume(made.id, "CT-PC-6", quantity=Decimal("6.001"))
    assert refused.value.code == "inventory.reservation.over_consume"
    assert stock(inventory) == before
    after = inventory.get_reservation(made.id)
    assert (after.status, after.quantity) == (ReservationStatus.OPEN, Decimal(6))
    assert inventory.consume(made.id, "CT-PC-6", quantity=Decimal(6)).transaction.quantity == -6


@pytest.mark.parametrize("quantity", ["0", "-1"])
def test_a_consume_of_nothing_or_less_is_invalid(inventory: InventoryPort, quantity: str) -> None:
    made = inventory.reserve(request("10"))
    with pytest.raises(InvalidQuantity):
        inventory.consume(made.id, "CT-PC-7", quantity=Decimal(quantity))
    assert inventory.get_reservation(made.id).quantity == Decimal(10)
    assert stock(inventory) == (Decimal(100), Decimal(40), Decimal(60))


def test_releasing_the_remainder_closes_and_frees_what_was_not_consumed(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    done = inventory.consume(made.id, "CT-PC-8", quantity=Decimal(4), release_remainder=True)
    assert (done.reservation.status, done.reservation.quantity) == (
        ReservationStatus.CLOSED, Decimal(10)
    )  # fmt: skip
    assert done.reservation.closed_at is not None
    assert (done.transaction.quantity, done.transaction.new_on_hand) == (Decimal(-4), Decimal(96))
    assert stock(inventory) == (Decimal(96), Decimal(30), Decimal(66))
    with pytest.raises(ReservationAlreadyClosed):
        inventory.consume(made.id, "CT-PC-9")


def test_a_partial_consume_repeated_with_its_reference_changes_nothing(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10"))
    first = inventory.consume(made.id, "CT-PC-10", quantity=Decimal(4))
    assert inventory.consume(made.id, "CT-PC-10", quantity=Decimal(4)) == first
    assert stock(inventory) == (Decimal(96), Decimal(36), Decimal(60))
    inventory.consume(made.id, "CT-PC-11", quantity=Decimal(1))
    again = inventory.consume(made.id, "CT-PC-10", quantity=Decimal(4))
    assert again.transaction == first.transaction  # the movement that reference posted
    assert again.reservation.quantity == Decimal(5)  # the reservation as it is now
    assert stock(inventory) == (Decimal(95), Decimal(35), Decimal(60))


def test_a_partial_consume_reference_used_for_another_reservation_is_refused(
    inventory: InventoryPort,
) -> None:
    one, other = inventory.reserve(request("10")), inventory.reserve(request("5"))
    inventory.consume(one.id, "CT-PC-12", quantity=Decimal(2))
    with pytest.raises(ReferenceReused) as refused:
        inventory.consume(other.id, "CT-PC-12", quantity=Decimal(2))
    assert legacy_error(refused) == 260
    assert inventory.get_reservation(other.id).quantity == Decimal(5)


def test_a_partial_consume_reference_repeated_with_another_quantity_is_refused(
    inventory: InventoryPort,
) -> None:
    """The same REFNO for another QTY is other data (260), not a repeat of the first."""
    made = inventory.reserve(request("10"))
    inventory.consume(made.id, "CT-PC-13", quantity=Decimal(2))
    with pytest.raises(ReferenceReused) as refused:
        inventory.consume(made.id, "CT-PC-13", quantity=Decimal(1))
    assert legacy_error(refused) == 260
    assert inventory.get_reservation(made.id).quantity == Decimal(8)
    again = inventory.consume(made.id, "CT-PC-13", quantity=Decimal(2))  # the same: a repeat
    assert abs(again.transaction.quantity) == 2 and again.reservation.quantity == Decimal(8)


# --- release for expiry ----------------------------------------------------------------------


@pytest.mark.parametrize("expires_at", [AHEAD, None], ids=["expiry-ahead", "no-expiry"])
def test_a_release_for_expiry_before_the_expiry_is_refused(
    inventory: InventoryPort, expires_at: datetime | None
) -> None:
    made = inventory.reserve(request("10", expires_at=expires_at))
    with pytest.raises(ReservationNotExpired) as refused:
        inventory.release(made.id, ReleaseReason.EXPIRED)
    assert refused.value.code == "inventory.reservation.not_expired"
    assert inventory.get_reservation(made.id).status is ReservationStatus.OPEN
    assert stock(inventory) == (Decimal(100), Decimal(40), Decimal(60))


def test_a_release_for_expiry_after_the_expiry_releases(inventory: InventoryPort) -> None:
    made = inventory.reserve(request("10", expires_at=PASSED))
    released = inventory.release(made.id, ReleaseReason.EXPIRED)
    assert (released.status, released.release_reason) == (
        ReservationStatus.RELEASED, ReleaseReason.EXPIRED
    )  # fmt: skip
    assert stock(inventory) == (Decimal(100), Decimal(30), Decimal(70))


def test_an_expiry_extended_after_it_passed_stops_the_release_for_expiry(
    inventory: InventoryPort,
) -> None:
    made = inventory.reserve(request("10", expires_at=PASSED))
    inventory.change_expiry(made.id, AHEAD, "CT-EX-11")
    with pytest.raises(ReservationNotExpired):
        inventory.release(made.id, ReleaseReason.EXPIRED)
    inventory.change_expiry(made.id, PASSED, "CT-EX-12")  # a compensation restores it
    assert inventory.release(made.id, ReleaseReason.EXPIRED).status is ReservationStatus.RELEASED
