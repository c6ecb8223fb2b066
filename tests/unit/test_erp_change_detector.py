"""The ERP change detector over the fake inventory and the real store (in-memory SQLite): what
the ERP changes is reported once, on the second pass that sees it; what the gateway changes
never comes back as an erp event (decision 161)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.config import DEFAULTS, SettingError
from gateway.domain.erp_changes import parse_pair
from gateway.domain.errors import ItemNotFound, UpstreamUnavailable
from gateway.domain.model import (
    Item,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationType,
    Source,
    SourceType,
)
from gateway.services.change_records import record_change
from gateway.services.erp_changes import ErpChangeDetector
from gateway.settings import Settings
from gateway.store.erp_snapshots import ErpSnapshotStore
from gateway.store.feeds import events_after
from gateway.store.gateway_store import GatewayStore
from tests.fakes import FakeInventory

ITEM, WAREHOUSE = "RM-1", "W01"


@pytest.fixture
def store() -> GatewayStore:
    return GatewayStore.open("sqlite://")


@pytest.fixture
def erp() -> FakeInventory:
    return FakeInventory(
        items={ITEM: Item(ITEM, "Flour", "KG", True, False)}, warehouses={WAREHOUSE: "PLANT-A"}
    )


@pytest.fixture
def detector(erp: FakeInventory, store: GatewayStore) -> ErpChangeDetector:
    watch = frozenset({parse_pair(f"{ITEM}@{WAREHOUSE}")})
    return ErpChangeDetector(erp, store.erp_snapshots, store.unit_of_work, watch)


def hold(erp: FakeInventory, source: str = "WO-1") -> Reservation:
    """A reservation an ERP user keys in: the legacy system has it, the gateway wrote nothing."""
    return erp.hold(
        ReservationRequest(
            f"ERP-{uuid.uuid4().hex[:8]}", ITEM, WAREHOUSE, Decimal("2.5"),
            ReservationType.PRODUCTION, Source(SourceType.WORK_ORDER, source), "PLANT-A",
        )
    )  # fmt: skip


def feed(store: GatewayStore) -> list[dict[str, Any]]:
    return events_after(store.engine, 0, 1000, None)


def two_passes(detector: ErpChangeDetector) -> int:
    return detector.run_once() + detector.run_once()


def test_what_the_first_pass_finds_is_the_baseline_not_news(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    hold(erp)
    assert two_passes(detector) == 0
    assert feed(store) == []


def test_a_reservation_made_in_the_erp_is_reported_on_the_second_pass_that_sees_it(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    detector.run_once()
    made = hold(erp)
    assert detector.run_once() == 0  # seen once: the gateway's own event may still be coming
    assert detector.run_once() == 1
    assert detector.run_once() == 0
    [event] = feed(store)
    assert (event["type"], event["aggregate_id"], event["origin"]) == (
        "InventoryReserved", made.id, "erp"
    )  # fmt: skip
    assert event["dedupe_key"] == f"InventoryReserved:{made.id}"


def expire(erp: FakeInventory, reservation: Any) -> None:
    """Its expiry passed, then the ERP released it for expiry (only a due one is, fault 270)."""
    erp.reservations[reservation.id] = replace(reservation, expires_at=erp.now() - timedelta(1))
    erp.release(reservation.id, ReleaseReason.EXPIRED)


@pytest.mark.parametrize(
    ("change", "event_type"),
    [
        (lambda erp, r: erp.release(r.id, ReleaseReason.RELEASED), "InventoryReleased"),
        (lambda erp, r: erp.release(r.id, ReleaseReason.CANCELLED), "InventoryReleased"),
        (lambda erp, r: expire(erp, r), "InventoryExpired"),
        (lambda erp, r: erp.consume(r.id, f"CNS-{r.id}"), "InventoryConsumed"),
    ],
)
def test_a_reservation_closed_in_the_erp_is_reported_with_its_event_type(
    erp: FakeInventory,
    store: GatewayStore,
    detector: ErpChangeDetector,
    change: Any,
    event_type: str,
) -> None:
    made = hold(erp)
    detector.run_once()  # baseline: it was there already
    change(erp, made)
    assert two_passes(detector) == 1
    [event] = feed(store)
    assert (event["type"], event["aggregate_id"], event["origin"]) == (event_type, made.id, "erp")
    assert erp.calls["list_reservations_by_sources"] >= 1  # what became of it: one batch call


def test_made_and_consumed_between_two_passes_is_reported_as_both(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    detector.run_once()
    made = hold(erp)
    detector.run_once()
    erp.consume(made.id, "CNS-1")
    detector.run_once()
    assert [(e["type"], e["payload"]["status"]) for e in feed(store)] == [
        ("InventoryReserved", "OPEN"), ("InventoryConsumed", "CLOSED")
    ]  # fmt: skip


def test_a_change_the_gateway_made_is_not_reported_again(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    detector.run_once()
    made = hold(erp)  # the gateway's upstream write…
    detector.run_once()  # …seen before the gateway commits its event…
    gateway_writes(store, None, made, "InventoryReserved")  # …which then lands
    released = erp.release(made.id, ReleaseReason.RELEASED)
    gateway_writes(store, made, released, "InventoryReleased")
    assert two_passes(detector) + two_passes(detector) == 0
    assert [(e["type"], e["origin"]) for e in feed(store)] == [
        ("InventoryReserved", "gateway"), ("InventoryReleased", "gateway")
    ]  # fmt: skip


def test_pairs_in_the_gateways_events_are_read_too(erp: FakeInventory, store: GatewayStore) -> None:
    detector = ErpChangeDetector(erp, store.erp_snapshots, store.unit_of_work)  # nothing watched
    gateway_writes(store, None, hold(erp, "WO-9"), "InventoryReserved")
    detector.run_once()
    other = hold(erp)
    assert two_passes(detector) == 1
    assert feed(store)[-1]["aggregate_id"] == other.id


def test_one_process_at_a_time_holds_the_lease(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    other = ErpChangeDetector(erp, ErpSnapshotStore(store.engine), store.unit_of_work)
    assert detector.run_once() == 0
    assert not other.snapshots.take_lease(timedelta(seconds=30))
    assert other.run_once() == 0
    assert erp.calls["search_reservations"] == 1  # the other process did not read the ERP


def test_a_pass_whose_lease_is_taken_over_meanwhile_writes_nothing(
    erp: FakeInventory, store: GatewayStore, detector: ErpChangeDetector
) -> None:
    detector.run_once()
    hold(erp)
    detector.run_once()
    other = ErpSnapshotStore(store.engine)
    slow = ErpChangeDetector(TakenOverWhileReading(erp, other), store.erp_snapshots,
                             store.unit_of_work, detector.watch, lease=timedelta(0))  # fmt: skip
    assert slow.run_once() == 0
    assert feed(store) == []
    assert not store.erp_snapshots.take_lease(timedelta(seconds=30))  # the other holds it


@dataclass
class TakenOverWhileReading:
    """The ERP, slow enough that the lease runs out and another process takes it."""

    erp: FakeInventory
    other: ErpSnapshotStore

    def __getattr__(self, name: str) -> Any:
        return getattr(self.erp, name)

    def search_reservations(self, *args: Any) -> Any:
        assert self.other.take_lease(timedelta(seconds=30))
        return self.erp.search_reservations(*args)


def gateway_writes(
    store: GatewayStore, before: Reservation | None, after: Reservation, event_type: str
) -> None:
    """What the gateway commits after its own upstream write: audit entry and event."""
    uow = store.unit_of_work()
    record_change(uow, "test-user", "reservation.change", before, after, event_type)
    uow.commit()


def test_watched_pairs_are_read_from_the_settings() -> None:
    settings = Settings.from_mapping({**DEFAULTS, "ERP_CHANGES_WATCH": "RM-1@W01, RM-2@W02"})
    assert settings.background.erp_changes_watch == {("RM-1", "W01"), ("RM-2", "W02")}
    assert settings.background.erp_changes_seconds == 0  # off unless configured
    with pytest.raises(SettingError, match="ERP_CHANGES_WATCH"):
        Settings.from_mapping({**DEFAULTS, "ERP_CHANGES_WATCH": "RM-1"})


def test_a_watched_pair_the_erp_does_not_know_holds_nothing(
    erp: FakeInventory, store: GatewayStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = frozenset({("NO-SUCH-ITEM", WAREHOUSE), (ITEM, WAREHOUSE)})
    detector = ErpChangeDetector(erp, store.erp_snapshots, store.unit_of_work, watch)
    search = erp.search_reservations

    def refusing_unknown_items(criteria: ReservationSearch, offset: int, limit: int) -> Any:
        if criteria.item_sku_id not in erp.items:
            raise ItemNotFound()
        return search(criteria, offset, limit)

    monkeypatch.setattr(erp, "search_reservations", refusing_unknown_items)
    detector.run_once()
    hold(erp)
    assert two_passes(detector) == 1


def test_a_pass_that_fails_upstream_writes_nothing_and_the_next_starts_again(
    erp: FakeInventory,
    store: GatewayStore,
    detector: ErpChangeDetector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    detector.run_once()
    hold(erp)
    detector.run_once()
    with monkeypatch.context() as down:
        down.setattr(erp, "list_reservations_by_sources", unavailable)
        down.setattr(erp, "search_reservations", unavailable)
        with pytest.raises(UpstreamUnavailable):
            detector.run_once()
    assert feed(store) == []
    assert detector.run_once() == 1


def unavailable(*_: Any) -> Any:
    raise UpstreamUnavailable("inventory")
