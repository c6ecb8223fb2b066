"""Another plant's work order or reservation answers exactly as a missing one (issue 16.3)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import body, create

MISSING_WORK_ORDER = "WO-0000"
PLANT_A_WORK_ORDER = "WO-1001"


@pytest.fixture(scope="module")
def staff_b(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(owners=('PLANT-B',), subject='staff-b')}"}


def answer(response: Any, identifier: str) -> tuple[int, str, str, str]:
    """Status, code, title and detail, with the id asked for taken out."""
    problem = response.get_json()
    detail = problem["detail"].replace(identifier, "<id>")
    return response.status_code, problem["code"], problem["title"], detail


def test_another_plants_work_order_reads_as_a_missing_one(
    client: FlaskClient, staff_b: dict[str, str]
) -> None:
    def read(work_order_id: str) -> Any:
        url = f"/api/work-orders/{work_order_id}/reservations"
        return answer(client.get(url, headers=staff_b), work_order_id)

    assert read(PLANT_A_WORK_ORDER) == read(MISSING_WORK_ORDER)
    assert read(MISSING_WORK_ORDER)[:2] == (404, "workorder.not_found")
    assert "/work-orders" not in read(MISSING_WORK_ORDER)[3]


def test_another_plants_work_order_as_a_target_is_missing_and_nothing_is_reserved(
    client: FlaskClient, staff_b: dict[str, str], gateway_app: Flask
) -> None:
    inventory = gateway_app.extensions["gateway"].adapters.inventory
    before = inventory.get_stock_level("RM-1007", "W03").available

    def reserve(work_order_id: str) -> Any:
        source = {"type": "work_order", "id": work_order_id}
        made = create(client, staff_b, sku="RM-1007", warehouseId="W03", ownerId="PLANT-B",
                      source=source)  # fmt: skip
        return answer(made, work_order_id)

    assert reserve(PLANT_A_WORK_ORDER) == reserve(MISSING_WORK_ORDER)
    assert reserve(MISSING_WORK_ORDER)[:2] == (404, "inventory.reservation.target_not_found")
    assert inventory.get_stock_level("RM-1007", "W03").available == before
    assert inventory.list_reservations_by_sources([PLANT_A_WORK_ORDER]) == [
        r for r in inventory.list_reservations_by_sources([PLANT_A_WORK_ORDER])
        if r.owner_id == "PLANT-A"
    ]  # fmt: skip


def test_another_plants_reservation_reads_releases_and_consumes_as_a_missing_one(
    client: FlaskClient, staff_a: dict[str, str], staff_b: dict[str, str], gateway_app: Flask
) -> None:
    inventory = gateway_app.extensions["gateway"].adapters.inventory
    made = create(client, staff_a, quantity=Decimal(1)).get_json()
    missing = "999999999"

    def each(reservation_id: str) -> list[Any]:
        url = f"/api/inventory/reservations/{reservation_id}"
        return [
            answer(client.get(url, headers=staff_b), reservation_id),
            answer(client.put(url + "/release", headers=staff_b), reservation_id),
            answer(client.put(url + "/consume", headers=staff_b), reservation_id),
        ]

    assert each(made["id"]) == each(missing)
    assert each(missing)[0][:2] == (404, "inventory.reservation.not_found")
    assert inventory.get_reservation(made["id"]).status.value == "OPEN"


def test_stock_in_another_plants_warehouse_reads_as_an_unknown_item(
    client: FlaskClient, staff_b: dict[str, str]
) -> None:
    def stock(sku: str, warehouse: str) -> Any:
        url = f"/api/inventory/items/{sku}/stock?warehouseId={warehouse}"
        return answer(client.get(url, headers=staff_b), sku)

    assert stock("RM-1001", "W01") == stock("NO-SUCH-ITEM", "W01") == stock("NO-SUCH-ITEM", "W03")
    assert stock("RM-1001", "W01")[:2] == (404, "inventory.item.not_found")
    assert client.get("/api/inventory/items/RM-1007/stock?warehouseId=W03",
                      headers=staff_b).status_code == 200  # fmt: skip


def test_reserving_in_another_plants_warehouse_is_refused_and_writes_nothing(
    client: FlaskClient, staff_b: dict[str, str], gateway_app: Flask
) -> None:
    inventory = gateway_app.extensions["gateway"].adapters.inventory
    before = inventory.get_stock_level("RM-1001", "W01").available
    for owner in ("PLANT-B", None):
        refused = create(client, staff_b, sku="RM-1001", warehouseId="W01", ownerId=owner)
        assert refused.status_code == 403
        assert refused.get_json()["code"] == "inventory.reservation.invalid_owner"
    batch = {"lines": [{**body(sku="RM-1007", warehouseId="W03", ownerId="PLANT-B")},
                       {**body(sku="RM-1001", warehouseId="W01", ownerId="PLANT-B")}]}  # fmt: skip
    own_line_source = batch["lines"][0]["source"]["id"]
    refused = client.post("/api/inventory/reservations/batch", json=batch, headers=staff_b)
    assert refused.status_code == 403
    assert inventory.get_stock_level("RM-1001", "W01").available == before
    listed = client.get(f"/api/inventory/reservations?sourceId={own_line_source}", headers=staff_b)
    assert listed.get_json()["items"] == []  # refused before any line is written, not undone


def test_a_reservation_is_owned_by_its_warehouses_owner(
    client: FlaskClient, mint: Callable[..., str]
) -> None:
    both = {"Authorization": f"Bearer {mint(owners=('PLANT-A', 'PLANT-B'), subject='both')}"}
    made = create(client, both, sku="RM-1007", warehouseId="W03", ownerId=None)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["ownerId"] == "PLANT-B"
    mismatch = create(client, both, sku="RM-1007", warehouseId="W03", ownerId="PLANT-A")
    assert mismatch.get_json()["code"] == "inventory.reservation.invalid_owner"
