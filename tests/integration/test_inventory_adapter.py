"""The zeep adapter against the sandbox's real SOAP inventory service."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.errors import (
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    ReferenceReused,
    RequestInvalid,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotExpired,
    ReservationNotFound,
    UpstreamFault,
    UpstreamUnavailable,
)
from gateway.domain.model import (
    Page,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationSearch,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
)


@pytest.fixture(scope="module")
def inventory(gateway_app: Any) -> InventorySoapClient:
    client: InventorySoapClient = gateway_app.extensions["gateway"].adapters.inventory
    return client


def request_for(sku: str, quantity: str, warehouse: str = "W02", **kw: Any) -> ReservationRequest:
    return ReservationRequest(
        reference=kw.pop("reference", f"IT-{uuid.uuid4().hex[:16]}"),
        item_sku_id=sku,
        warehouse_id=warehouse,
        quantity=Decimal(quantity),
        type=ReservationType.PRODUCTION,
        source=kw.pop("source", Source(SourceType.WORK_ORDER, kw.pop("source_id", "WO-IT"))),
        owner_id=kw.pop("owner_id", "PLANT-A"),
        **kw,
    )


def test_item_number_comes_back_trimmed(inventory: InventorySoapClient) -> None:
    item = inventory.get_item("RM-1001")
    assert item.sku_id == "RM-1001"
    assert item.stock_tracked


def test_unknown_item_is_item_not_found(inventory: InventorySoapClient) -> None:
    with pytest.raises(ItemNotFound):
        inventory.get_item("NO-SUCH-ITEM")


def test_balances_for_many_items_come_in_one_call(
    inventory: InventorySoapClient, sandbox: Any
) -> None:
    before = sandbox.inventory.calls.counts().get("GetBalances", 0)
    balances = inventory.get_item_balances(["RM-1001", "RM-1003", "NO-SUCH-ITEM"])
    assert sandbox.inventory.calls.counts()["GetBalances"] == before + 1
    assert [b.item.sku_id for b in balances] == ["RM-1001", "RM-1003"]
    w01 = next(level for level in balances[0].levels if level.warehouse_id == "W01")
    assert w01.on_hand == Decimal("730.000")
    assert w01.available == w01.on_hand - w01.reserved


def test_reservations_by_source_carry_lot_location_and_exact_quantity(
    inventory: InventorySoapClient,
) -> None:
    reservations = inventory.list_reservations_by_sources(["WO-1001"])
    fix1 = next(r for r in reservations if r.reference == "FIX-0001")
    assert (fix1.item_sku_id, fix1.location, fix1.lot) == ("RM-1001", "A-01-01", "L2610-014")
    assert fix1.quantity == Decimal("150.000")
    assert fix1.created_at is not None and fix1.created_at.utcoffset() is not None


def test_reserve_then_release_moves_available_and_not_on_hand(
    inventory: InventorySoapClient,
) -> None:
    before = inventory.get_stock_level("RM-1002", "W02")
    reservation = inventory.reserve(request_for("RM-1002", "1.125"))
    during = inventory.get_stock_level("RM-1002", "W02")
    assert during.available == before.available - Decimal("1.125")
    assert during.on_hand == before.on_hand
    released = inventory.release(reservation.id, ReleaseReason.RELEASED)
    assert released.status is ReservationStatus.RELEASED
    assert inventory.get_stock_level("RM-1002", "W02").available == before.available
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(reservation.id, ReleaseReason.RELEASED)


def test_same_reference_reserves_once(inventory: InventorySoapClient) -> None:
    request = request_for("RM-1002", "2")
    first = inventory.reserve(request)
    again = inventory.reserve(request)
    assert again.id == first.id
    assert len([r for r in inventory.list_reservations("RM-1002", "W02") if r.id == first.id]) == 1


def test_more_than_available_is_insufficient_stock(inventory: InventorySoapClient) -> None:
    available = inventory.get_stock_level("RM-1002", "W02").available
    with pytest.raises(InsufficientStock):
        inventory.reserve(request_for("RM-1002", str(available + 1)))


def test_item_not_stock_tracked_cannot_be_reserved(inventory: InventorySoapClient) -> None:
    with pytest.raises(ItemNotStockTracked):
        inventory.reserve(request_for("SV-5001", "1", warehouse="W01"))


def test_unknown_reservation_is_not_found(inventory: InventorySoapClient) -> None:
    with pytest.raises(ReservationNotFound):
        inventory.release("99999999", ReleaseReason.RELEASED)


def test_concurrent_reserves_never_oversell(inventory: InventorySoapClient) -> None:
    available = inventory.get_stock_level("RM-1005", "W02").available
    assert available > 0
    quantity = (available / 20).quantize(Decimal("0.001")) + Decimal("0.001")

    def attempt(_: int) -> Decimal:
        try:
            return inventory.reserve(request_for("RM-1005", str(quantity))).quantity
        except InsufficientStock:
            return Decimal(0)

    with ThreadPoolExecutor(max_workers=10) as pool:
        reserved = sum(pool.map(attempt, range(30)), Decimal(0))
    after = inventory.get_stock_level("RM-1005", "W02")
    assert 0 < reserved <= available
    assert after.available == available - reserved
    assert after.available >= 0


def test_a_legacy_fault_of_another_kind_is_upstream_fault(
    inventory: InventorySoapClient, faults: Any
) -> None:
    faults.inventory.knobs.update({"soap_fault": 999, "operations": ["GetItem"]})
    with pytest.raises(UpstreamFault, match="999"):
        inventory.get_item("RM-1001")


def test_a_busy_upstream_is_retried_then_unavailable(
    inventory: InventorySoapClient, faults: Any
) -> None:
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["GetItem"]})
    before = faults.inventory.calls.counts().get("GetItem", 0)
    with pytest.raises(UpstreamUnavailable):
        inventory.get_item("RM-1001")
    assert faults.inventory.calls.counts()["GetItem"] == before + 3  # idempotent: retried


def test_release_without_a_reference_is_not_retried(
    inventory: InventorySoapClient, faults: Any
) -> None:
    reservation = inventory.reserve(request_for("RM-1002", "1"))
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})
    before = faults.inventory.calls.counts().get("Release", 0)
    with pytest.raises(UpstreamUnavailable):
        inventory.release(reservation.id, ReleaseReason.RELEASED)
    assert faults.inventory.calls.counts()["Release"] == before + 1


def test_release_with_a_reference_is_retried(inventory: InventorySoapClient, faults: Any) -> None:
    reservation = inventory.reserve(request_for("RM-1002", "1"))
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})
    before = faults.inventory.calls.counts().get("Release", 0)
    with pytest.raises(UpstreamUnavailable):
        inventory.release(reservation.id, ReleaseReason.RELEASED, reference="RL-IT-busy")
    assert faults.inventory.calls.counts()["Release"] == before + 3


def test_reserve_whose_answer_is_lost_is_retried_and_reserves_once(
    inventory: InventorySoapClient, faults: Any
) -> None:
    source_id = f"WO-{uuid.uuid4().hex[:8]}"
    faults.inventory.knobs.update({"drop_after_commit": 1, "operations": ["Reserve"]})
    reservation = inventory.reserve(request_for("RM-1002", "1", source_id=source_id))
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0  # the drop happened
    stored = inventory.list_reservations_by_sources([source_id])
    assert [r.id for r in stored] == [reservation.id]


def test_calls_without_a_valid_token_are_refused(sandbox: Any) -> None:
    import requests

    envelope = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
        "<soapenv:Body/></soapenv:Envelope>"
    )
    answer = requests.post(
        sandbox.describe()["inventoryUrl"],
        data=envelope,
        headers={"SOAPAction": "GetItem", "Authorization": "Bearer forged"},
        timeout=10,
    )
    assert answer.status_code == 401


def fresh_source() -> str:
    return f"WO-{uuid.uuid4().hex[:12]}"


def test_get_reservation_returns_what_reserve_answered(inventory: InventorySoapClient) -> None:
    made = inventory.reserve(request_for("RM-1002", "0.5", source_id=fresh_source()))
    assert inventory.get_reservation(made.id) == made


@pytest.mark.parametrize("reservation_id", ["99999999", "not-a-number"])
def test_get_unknown_reservation_is_not_found(
    inventory: InventorySoapClient, reservation_id: str
) -> None:
    with pytest.raises(ReservationNotFound):
        inventory.get_reservation(reservation_id)


@dataclass(frozen=True)
class Browsable:
    """Four reservations of one fresh source document; ``low`` is released."""

    source_id: str
    high: Reservation  # RM-1003 in W03 (PLANT-B), priority 90
    older: Reservation  # RM-1002 in W01, priority 50, expires in 2 days
    newer: Reservation  # RM-1002 in W02, priority 50, a sales order, expires in 5 days
    low: Reservation  # RM-1002 in W02, priority 10, released


@pytest.fixture(scope="module")
def browsable(inventory: InventorySoapClient) -> Browsable:
    source_id = fresh_source()
    now = datetime.now(UTC)

    def make(sku: str, warehouse: str, priority: int, **kw: Any) -> Reservation:
        return inventory.reserve(
            request_for(sku, "0.25", warehouse, source_id=source_id, priority=priority, **kw)
        )

    high = make("RM-1003", "W03", 90, owner_id="PLANT-B")
    older = make("RM-1002", "W01", 50, expires_at=now + timedelta(days=2))
    newer = make(
        "RM-1002", "W02", 50, expires_at=now + timedelta(days=5),
        source=Source(SourceType.SALES_ORDER, source_id),
    )  # fmt: skip
    low = make("RM-1002", "W02", 10)
    inventory.release(low.id, ReleaseReason.RELEASED)
    return Browsable(source_id, high, older, newer, low)


def ids(page: Page[Reservation]) -> list[str]:
    return [r.id for r in page.items]


def test_search_by_source_ranks_by_priority_then_age(
    inventory: InventorySoapClient, browsable: Browsable
) -> None:
    page = inventory.search_reservations(ReservationSearch(source_id=browsable.source_id))
    b = browsable
    assert ids(page) == [b.high.id, b.older.id, b.newer.id, b.low.id]
    assert (page.total, page.offset, page.limit) == (4, 0, 50)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ({"item_sku_id": "RM-1003"}, ["high"]),
        ({"warehouse_id": "W02"}, ["newer", "low"]),
        ({"status": ReservationStatus.RELEASED}, ["low"]),
        ({"status": ReservationStatus.OPEN}, ["high", "older", "newer"]),
        ({"source_type": SourceType.SALES_ORDER}, ["newer"]),
        ({"owner_ids": frozenset({"PLANT-B"})}, ["high"]),
        ({"owner_ids": frozenset({"PLANT-A", "PLANT-B"})}, ["high", "older", "newer", "low"]),
        ({"item_sku_id": "RM-1002", "warehouse_id": "W02", "status": "OPEN"}, ["newer"]),
    ],
)
def test_search_by_each_criterion(
    inventory: InventorySoapClient,
    browsable: Browsable,
    criteria: dict[str, Any],
    expected: list[str],
) -> None:
    search = ReservationSearch(source_id=browsable.source_id, **criteria)
    page = inventory.search_reservations(search)
    assert ids(page) == [getattr(browsable, name).id for name in expected]
    assert page.total == len(expected)


def test_search_by_expiry_keeps_only_those_expiring_strictly_before(
    inventory: InventorySoapClient, browsable: Browsable
) -> None:
    before = browsable.newer.expires_at
    assert before is not None
    search = ReservationSearch(source_id=browsable.source_id, expires_before=before)
    assert ids(inventory.search_reservations(search)) == [browsable.older.id]
    later = ReservationSearch(
        source_id=browsable.source_id, expires_before=before + timedelta(seconds=1)
    )
    assert ids(inventory.search_reservations(later)) == [browsable.older.id, browsable.newer.id]


def test_search_pages_with_offset_limit_and_the_full_total(
    inventory: InventorySoapClient, browsable: Browsable
) -> None:
    search = ReservationSearch(source_id=browsable.source_id)
    middle = inventory.search_reservations(search, offset=1, limit=2)
    assert ids(middle) == [browsable.older.id, browsable.newer.id]
    assert (middle.total, middle.offset, middle.limit) == (4, 1, 2)
    past_the_end = inventory.search_reservations(search, offset=4, limit=2)
    assert past_the_end.items == ()
    assert past_the_end.total == 4


def test_search_sorts_distinct_priorities_highest_first(inventory: InventorySoapClient) -> None:
    source_id = fresh_source()
    for priority in (30, 70, 10, 99, 0):
        inventory.reserve(request_for("RM-1002", "0.125", source_id=source_id, priority=priority))
    page = inventory.search_reservations(ReservationSearch(source_id=source_id))
    assert [r.priority for r in page.items] == [99, 70, 30, 10, 0]


def test_search_with_an_empty_owner_scope_finds_nothing_without_asking(
    inventory: InventorySoapClient, browsable: Browsable, sandbox: Any
) -> None:
    before = sandbox.inventory.calls.counts().get("SearchReservations", 0)
    search = ReservationSearch(source_id=browsable.source_id, owner_ids=frozenset())
    page = inventory.search_reservations(search)
    assert (page.items, page.total) == ((), 0)
    assert sandbox.inventory.calls.counts().get("SearchReservations", 0) == before


@pytest.mark.parametrize(("offset", "limit"), [(-1, 50), (0, 0), (0, 1001)])
def test_search_refuses_a_page_the_legacy_browse_cannot_serve(
    inventory: InventorySoapClient, offset: int, limit: int
) -> None:
    with pytest.raises(RequestInvalid):
        inventory.search_reservations(ReservationSearch(), offset=offset, limit=limit)


def level_in(levels: list[StockLevel], sku: str, warehouse: str) -> StockLevel | None:
    return next((x for x in levels if (x.item_sku_id, x.warehouse_id) == (sku, warehouse)), None)


def test_low_stock_lists_levels_at_or_below_reorder_point_with_their_owner(
    inventory: InventorySoapClient,
) -> None:
    levels = inventory.low_stock()
    rm1040 = level_in(levels, "RM-1040", "W01")  # 8 on hand, reorder point 25
    assert rm1040 is not None
    assert rm1040.owner_id == "PLANT-A"
    assert rm1040.available <= rm1040.reorder_point
    assert all(level.available <= level.reorder_point for level in levels)
    assert all(level.stock_tracked for level in levels)
    assert level_in(levels, "PK-2001", "W02") is None  # 14000 on hand, reorder point 1000
    rm1007_w03 = level_in(levels, "RM-1007", "W03")  # 30 on hand, reorder point 50
    assert rm1007_w03 is not None and rm1007_w03.owner_id == "PLANT-B"


def test_low_stock_for_an_owner_leaves_out_other_owners_warehouses(
    inventory: InventorySoapClient,
) -> None:
    plant_a = inventory.low_stock(frozenset({"PLANT-A"}))
    assert level_in(plant_a, "RM-1040", "W01") is not None
    assert level_in(plant_a, "RM-1007", "W03") is None
    assert {level.owner_id for level in plant_a} == {"PLANT-A"}
    assert inventory.low_stock(frozenset()) == []


def test_stock_level_names_its_warehouse_owner(inventory: InventorySoapClient) -> None:
    assert inventory.get_stock_level("RM-1001", "W03").owner_id == "PLANT-B"
    (balances,) = inventory.get_item_balances(["RM-1001"])
    assert {lv.warehouse_id: lv.owner_id for lv in balances.levels} == {
        "W01": "PLANT-A", "W02": "PLANT-A", "W03": "PLANT-B",
    }  # fmt: skip


def test_consume_drops_on_hand_and_reserved_and_records_the_movement(
    inventory: InventorySoapClient,
) -> None:
    reservation = inventory.reserve(request_for("RM-1004", "1.5", source_id=fresh_source()))
    before = inventory.get_stock_level("RM-1004", "W02")
    consumption = inventory.consume(reservation.id, f"CNS-{uuid.uuid4().hex[:12]}")
    after = inventory.get_stock_level("RM-1004", "W02")
    movement = consumption.transaction
    assert consumption.reservation.status is ReservationStatus.CLOSED
    assert consumption.reservation.closed_at is not None
    assert movement.quantity == Decimal("-1.5")
    assert movement.previous_on_hand == before.on_hand
    assert movement.new_on_hand == before.on_hand - Decimal("1.5")
    assert after.on_hand == before.on_hand - Decimal("1.5")
    assert after.reserved == before.reserved - Decimal("1.5")
    assert after.available == before.available


def test_consume_repeated_with_its_reference_returns_the_same_consumption(
    inventory: InventorySoapClient,
) -> None:
    reservation = inventory.reserve(request_for("RM-1004", "2", source_id=fresh_source()))
    reference = f"CNS-{uuid.uuid4().hex[:12]}"
    first = inventory.consume(reservation.id, reference)
    on_hand = inventory.get_stock_level("RM-1004", "W02").on_hand
    again = inventory.consume(reservation.id, reference)
    assert again == first
    assert inventory.get_stock_level("RM-1004", "W02").on_hand == on_hand
    with pytest.raises(ReservationAlreadyClosed):
        inventory.consume(reservation.id, f"CNS-{uuid.uuid4().hex[:12]}")


def test_consume_of_a_released_reservation_is_already_released(
    inventory: InventorySoapClient,
) -> None:
    reservation = inventory.reserve(request_for("RM-1004", "1", source_id=fresh_source()))
    inventory.release(reservation.id, ReleaseReason.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.consume(reservation.id, f"CNS-{uuid.uuid4().hex[:12]}")


def test_consume_with_a_reference_used_for_another_reservation_is_refused(
    inventory: InventorySoapClient,
) -> None:
    source_id = fresh_source()
    first = inventory.reserve(request_for("RM-1004", "1", source_id=source_id))
    second = inventory.reserve(request_for("RM-1004", "1", source_id=source_id))
    reference = f"CNS-{uuid.uuid4().hex[:12]}"
    inventory.consume(first.id, reference)
    with pytest.raises(ReferenceReused) as refused:
        inventory.consume(second.id, reference)
    assert refused.value.extra["legacy_error"] == 260
    assert inventory.get_reservation(second.id).status is ReservationStatus.OPEN


def test_change_expiry_is_retried_when_the_upstream_is_busy(
    inventory: InventorySoapClient, faults: Any
) -> None:
    reservation = inventory.reserve(request_for("RM-1002", "1", source_id=fresh_source()))
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["ChangeExpiry"]})
    before = faults.inventory.calls.counts().get("ChangeExpiry", 0)
    with pytest.raises(UpstreamUnavailable):
        inventory.change_expiry(reservation.id, None, f"EXP-{uuid.uuid4().hex[:12]}")
    assert faults.inventory.calls.counts()["ChangeExpiry"] == before + 3  # idempotent: retried


def test_change_expiry_whose_answer_is_lost_is_retried_and_answered_once_changed(
    inventory: InventorySoapClient, faults: Any
) -> None:
    reservation = inventory.reserve(request_for("RM-1002", "1", source_id=fresh_source()))
    later = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
    faults.inventory.knobs.update({"drop_after_commit": 1, "operations": ["ChangeExpiry"]})
    changed = inventory.change_expiry(reservation.id, later, f"EXP-{uuid.uuid4().hex[:12]}")
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0  # the drop happened
    assert changed.expires_at == later
    assert inventory.get_reservation(reservation.id).expires_at == later


def test_a_partial_consume_whose_answer_is_lost_is_retried_and_takes_once(
    inventory: InventorySoapClient, faults: Any
) -> None:
    reservation = inventory.reserve(request_for("RM-1004", "3", source_id=fresh_source()))
    before = inventory.get_stock_level("RM-1004", "W02")
    faults.inventory.knobs.update({"drop_after_commit": 1, "operations": ["Consume"]})
    part = inventory.consume(reservation.id, f"CNS-{uuid.uuid4().hex[:12]}", Decimal("1.25"))
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0  # the drop happened
    assert (part.reservation.status, part.reservation.quantity) == (
        ReservationStatus.OPEN, Decimal("1.75")
    )  # fmt: skip
    after = inventory.get_stock_level("RM-1004", "W02")
    assert after.on_hand == before.on_hand - Decimal("1.25")
    assert after.reserved == before.reserved - Decimal("1.25")
    inventory.release(reservation.id, ReleaseReason.RELEASED)


def test_a_release_for_expiry_the_legacy_system_refuses_is_not_expired(
    inventory: InventorySoapClient,
) -> None:
    ahead = datetime.now(UTC) + timedelta(days=1)
    reservation = inventory.reserve(
        request_for("RM-1002", "1", source_id=fresh_source(), expires_at=ahead)
    )
    with pytest.raises(ReservationNotExpired) as refused:
        inventory.release(reservation.id, ReleaseReason.EXPIRED)
    assert refused.value.extra["legacy_error"] == 270
    assert inventory.get_reservation(reservation.id).status is ReservationStatus.OPEN
    inventory.release(reservation.id, ReleaseReason.RELEASED)


@pytest.mark.parametrize("quantity", ["12345678901", "1.2345", "0"])
def test_a_consume_quantity_the_legacy_field_cannot_take_is_invalid_quantity_and_takes_nothing(
    inventory: InventorySoapClient, quantity: str
) -> None:
    reservation = inventory.reserve(request_for("RM-1004", "1", source_id=fresh_source()))
    before = inventory.get_stock_level("RM-1004", "W02")
    with pytest.raises(InvalidQuantity) as refused:
        inventory.consume(reservation.id, f"CNS-{uuid.uuid4().hex[:12]}", Decimal(quantity))
    assert refused.value.extra["legacy_error"] == 240
    assert inventory.get_stock_level("RM-1004", "W02") == before
    assert inventory.get_reservation(reservation.id).quantity == Decimal(1)
    inventory.release(reservation.id, ReleaseReason.RELEASED)
