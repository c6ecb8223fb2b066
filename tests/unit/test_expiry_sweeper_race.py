"""The sweeper and an expiry extended after it read the reservation as due (decision 171): the
legacy system refuses the release for expiry (fault 270), the sweeper skips it, no event."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.model import (
    Item,
    Page,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
)
from gateway.services.expiry import expire_due
from gateway.store.feeds import events_after
from gateway.store.gateway_store import GatewayStore
from tests.fakes import FakeInventory

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass
class ExtendedWhileSweeping(FakeInventory):
    """The fake inventory, where a planner extends every reservation the sweeper has just found
    due, before its release arrives."""

    def search_reservations(
        self, search: ReservationSearch, offset: int = 0, limit: int = 50
    ) -> Page[Reservation]:
        due = super().search_reservations(search, offset, limit)
        for found in due.items:
            self.change_expiry(found.id, NOW + timedelta(days=1), f"EXT-{found.id}")
        return due


@pytest.fixture
def store() -> GatewayStore:
    return GatewayStore.open("sqlite://")


def inventory_with_one_due(kind: type[FakeInventory]) -> tuple[FakeInventory, Reservation]:
    inventory = kind(items={"RM-1": Item("RM-1", "Flour", "KG", True, False)},
                     warehouses={"W01": "PLANT-A"})  # fmt: skip
    made = inventory.hold(
        ReservationRequest(
            f"R-{uuid.uuid4().hex[:8]}", "RM-1", "W01", Decimal(3), ReservationType.SALES,
            Source(SourceType.SALES_ORDER, "SO-1"), "PLANT-A",
            expires_at=NOW - timedelta(minutes=1),
        )
    )  # fmt: skip
    return inventory, made


def feed(store: GatewayStore) -> list[dict[str, Any]]:
    return events_after(store.engine, 0, 1000, None)


def test_a_reservation_extended_after_it_was_read_as_due_is_skipped_without_an_event(
    store: GatewayStore, caplog: pytest.LogCaptureFixture
) -> None:
    inventory, made = inventory_with_one_due(ExtendedWhileSweeping)
    with caplog.at_level(logging.INFO, logger="gateway.services.expiry"):
        assert expire_due(inventory, store.unit_of_work, NOW) == 0
    after = inventory.get_reservation(made.id)
    assert (after.status, after.expires_at) == (ReservationStatus.OPEN, NOW + timedelta(days=1))
    assert feed(store) == []
    [record] = [r for r in caplog.records if made.id in r.getMessage()]
    assert record.levelno == logging.INFO


def test_a_reservation_still_due_is_released_for_expiry_with_its_event(
    store: GatewayStore,
) -> None:
    inventory, made = inventory_with_one_due(FakeInventory)
    assert expire_due(inventory, store.unit_of_work, NOW) == 1
    assert inventory.get_reservation(made.id).release_reason is ReleaseReason.EXPIRED
    assert [(e["type"], e["aggregate_id"]) for e in feed(store)] == [("InventoryExpired", made.id)]
