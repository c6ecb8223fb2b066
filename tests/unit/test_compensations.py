"""Each compensation kind: it undoes its write, is idempotent, and is safe when nothing landed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.domain import undo
from gateway.domain.model import (
    InventoryTransaction,
    Material,
    ReleaseReason,
    ReservationStatus,
    Source,
    SourceType,
)
from gateway.domain.write_plan import Compensation
from gateway.services.compensations import CompensationConflict, run_compensation
from gateway.store import json
from tests.fakes.erp import FakeErp, holding


def apply(erp: FakeErp, compensation: Compensation, times: int = 1) -> None:
    """Run it as the outbox would: from its stored JSON, possibly more than once."""
    stored = json.loads(json.dumps(compensation.payload))
    for _ in range(times):
        run_compensation(compensation.kind, stored, erp.inventory, erp.work_orders)


def test_restore_header_patches_the_old_values_back() -> None:
    erp = FakeErp.demo()
    original = erp.work_orders.orders["WO-1"]
    erp.work_orders.update_work_order("WO-1", Decimal(900), original.planned_start + timedelta(1))
    apply(erp, undo.restore_header(original), times=2)
    assert erp.work_orders.orders["WO-1"] == original


def test_restore_and_remove_material() -> None:
    erp = FakeErp.demo()
    original = erp.work_orders.orders["WO-1"]
    salt = original.operations[0].materials[1]
    erp.work_orders.put_material("WO-1", 10, replace(salt, quantity=Decimal(9)))
    erp.work_orders.put_material("WO-1", 10, Material("RM-1005", Decimal(1), "KG"))
    apply(erp, undo.restore_material("WO-1", 10, salt), times=2)
    apply(erp, undo.remove_material("WO-1", 10, "RM-1005"), times=2)
    assert erp.work_orders.orders["WO-1"] == original


def test_cancel_reservation_finds_it_by_reference_and_does_nothing_if_never_made() -> None:
    erp = FakeErp.demo()
    made = erp.inventory.reserve(holding("RW-9001", "2", "WU-x-01"))
    apply(erp, undo.cancel_reservation("WO-1", "WU-x-01"), times=2)
    cancelled = erp.inventory.reservations[made.id]
    assert (cancelled.status, cancelled.release_reason) == (
        ReservationStatus.RELEASED, ReleaseReason.CANCELLED
    )  # fmt: skip
    writes = len(erp.gate.log)
    apply(erp, undo.cancel_reservation("WO-1", "WU-never"))
    assert len(erp.gate.log) == writes


def test_restore_reservation_reserves_what_was_released_once_and_only_if_released() -> None:
    erp = FakeErp.demo()
    held = erp.inventory.reservations["3"]
    compensation = undo.restore_reservation(held, "WU-x-02-U")
    apply(erp, compensation)
    assert erp.gate.log == []  # still OPEN: the release never landed
    erp.inventory.release("3", ReleaseReason.RELEASED)
    apply(erp, compensation, times=2)
    again = [r for r in erp.inventory.reservations.values() if r.reference == "WU-x-02-U"]
    assert len(again) == 1
    assert (again[0].quantity, again[0].location, again[0].lot, again[0].priority) == (
        held.quantity, held.location, held.lot, held.priority
    )  # fmt: skip


def test_restore_reservation_never_overrides_when_the_stock_went_elsewhere() -> None:
    erp = FakeErp.demo()
    held = erp.inventory.reservations["3"]
    compensation = undo.restore_reservation(held, "WU-x-02-U")
    assert compensation.payload["request"]["override"] is False
    erp.inventory.release("3", ReleaseReason.RELEASED)
    level = erp.inventory.level("RW-9001", "W01")
    available = level.on_hand - level.reserved
    erp.inventory.reserve(holding("RW-9001", str(available), "OTHER"))  # a sales order took it
    with pytest.raises(CompensationConflict) as raised:
        apply(erp, compensation)
    assert raised.value.reservation_id == "3"
    assert not [r for r in erp.inventory.reservations.values() if r.reference == "WU-x-02-U"]
    after = erp.inventory.level("RW-9001", "W01")
    assert after.on_hand - after.reserved == 0  # never below zero


def movement(quantity: str) -> InventoryTransaction:
    return InventoryTransaction(
        reference="WU-x-03", item_sku_id="RW-9003", warehouse_id="W01",
        quantity=Decimal(quantity), transaction_type="RWK",
        transaction_date=datetime(2026, 10, 25, 0, 59, 31, tzinfo=UTC),
        source=Source(SourceType.WORK_ORDER, "WO-1"),
    )  # fmt: skip


def test_reverse_transaction_posts_the_opposite_once() -> None:
    erp = FakeErp.demo()
    erp.inventory.post_transaction(movement("-1.5"))
    apply(erp, undo.reverse_transaction(movement("-1.5"), "WU-x-03-U"), times=2)
    assert erp.inventory.level("RW-9003", "W01").on_hand == Decimal("2.000")
    reversal = erp.inventory.transactions["WU-x-03-U"]
    assert (reversal.quantity, reversal.transaction_type) == (Decimal("1.5"), "REV")
    assert reversal.transaction_date == movement("-1.5").transaction_date


def test_reverse_transaction_of_one_that_never_landed_nets_to_nothing() -> None:
    erp = FakeErp.demo()
    apply(erp, undo.reverse_transaction(movement("-1.5"), "WU-x-03-U"))
    assert erp.inventory.level("RW-9003", "W01").on_hand == Decimal("2.000")
    erp = FakeErp.demo()
    apply(erp, undo.reverse_transaction(movement("-5"), "WU-x-03-U"))  # could never have landed
    assert erp.inventory.transactions == {}


def test_release_from_the_reservation_batch_is_done_when_already_released() -> None:
    erp = FakeErp.demo()
    apply(erp, Compensation(undo.RELEASE, {"reservationId": "2", "reason": "cancelled"}), 2)
    assert erp.inventory.reservations["2"].status is ReservationStatus.RELEASED


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        apply(FakeErp.demo(), Compensation("no.such", {}))
