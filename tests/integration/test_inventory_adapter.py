"""The zeep adapter against the sandbox's real SOAP inventory service."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.errors import (
    InsufficientStock,
    ItemNotFound,
    ItemNotStockTracked,
    ReservationAlreadyReleased,
    ReservationNotFound,
    UpstreamFault,
    UpstreamUnavailable,
)
from gateway.domain.model import (
    ReleaseReason,
    ReservationRequest,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
)


@pytest.fixture(scope="module")
def inventory(gateway_app: Any) -> InventorySoapClient:
    client: InventorySoapClient = gateway_app.extensions["gateway.adapters"].inventory
    return client


def request_for(sku: str, quantity: str, warehouse: str = "W02", **kw: Any) -> ReservationRequest:
    return ReservationRequest(
        reference=kw.pop("reference", f"IT-{uuid.uuid4().hex[:16]}"),
        item_sku_id=sku,
        warehouse_id=warehouse,
        quantity=Decimal(quantity),
        type=ReservationType.PRODUCTION,
        source=Source(SourceType.WORK_ORDER, kw.pop("source_id", "WO-IT")),
        owner_id="PLANT-A",
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


def test_release_is_not_retried(inventory: InventorySoapClient, faults: Any) -> None:
    reservation = inventory.reserve(request_for("RM-1002", "1"))
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})
    before = faults.inventory.calls.counts().get("Release", 0)
    with pytest.raises(UpstreamUnavailable):
        inventory.release(reservation.id, ReleaseReason.RELEASED)
    assert faults.inventory.calls.counts()["Release"] == before + 1


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
