"""The demo fixtures load, meet what the README and tests rely on, and bad fixtures fail loudly."""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sandbox.fixtures import DEMO_FIXTURES, FixtureError, load_fixtures, validate_fixtures
from sandbox.fixtures.generate_demo import build_demo, render


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return load_fixtures()


def work_order(demo: dict[str, Any], wo_id: str) -> dict[str, Any]:
    return next(wo for wo in demo["workOrders"] if wo["id"] == wo_id)


def materials(wo: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for op in wo["operations"] for m in op["materials"]]


def reservations_of(demo: dict[str, Any], source_id: str) -> list[dict[str, Any]]:
    return [r for r in demo["reservations"] if r["source"]["id"] == source_id]


def test_checked_in_demo_json_is_what_the_generator_prints() -> None:
    assert DEMO_FIXTURES.read_text(encoding="utf-8") == render(build_demo())


def test_demo_has_owners_warehouses_and_enough_items(demo: dict[str, Any]) -> None:
    assert {o["id"] for o in demo["owners"]} >= {"PLANT-A", "PLANT-B"}
    owners = {w["id"]: w["ownerId"] for w in demo["warehouses"]}
    assert owners == {"W01": "PLANT-A", "W02": "PLANT-A", "W03": "PLANT-B"}
    assert len(demo["items"]) >= 260
    assert len(demo["recipes"]) >= 3
    assert demo["plantTimezone"] == "Europe/Berlin"


def test_demo_items_cover_every_kind(demo: dict[str, Any]) -> None:
    skus = [i["sku"] for i in demo["items"]]
    for prefix in ("RM-", "PK-", "SV-"):
        assert any(s.startswith(prefix) for s in skus), prefix
    assert sum(s.startswith("RW-") for s in skus) >= 3
    assert any(not i["stockTracked"] for i in demo["items"])
    assert any(i["allowNegativeStock"] for i in demo["items"])


def test_only_stock_tracked_items_have_stock_and_bins_sum_to_on_hand(demo: dict[str, Any]) -> None:
    tracked = {i["sku"] for i in demo["items"] if i["stockTracked"]}
    assert {row["sku"] for row in demo["stock"]} == tracked
    binned = [row for row in demo["stock"] if row.get("bins")]
    assert len(binned) > len(demo["stock"]) // 2
    for row in binned:
        total = sum(Decimal(b["onHand"]) for b in row["bins"])
        assert total == Decimal(row["onHand"]), row["sku"]


def test_open_reservations_fit_in_the_bins_they_name(demo: dict[str, Any]) -> None:
    held: dict[tuple[str, str, str | None, str | None], Decimal] = defaultdict(Decimal)
    for r in demo["reservations"]:
        if r["status"] == "OPEN":
            held[(r["sku"], r["warehouseId"], r["location"], r["lot"])] += Decimal(r["quantity"])
    bins = {
        (row["sku"], row["warehouseId"], b["location"], b["lot"]): Decimal(b["onHand"])
        for row in demo["stock"]
        for b in row.get("bins") or [{"location": None, "lot": None, "onHand": row["onHand"]}]
    }
    for key, quantity in held.items():
        assert key in bins, key
        assert quantity <= bins[key], key


def test_some_items_are_at_or_below_their_reorder_point(demo: dict[str, Any]) -> None:
    reserved: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in demo["reservations"]:
        if r["status"] == "OPEN":
            reserved[(r["sku"], r["warehouseId"])] += Decimal(r["quantity"])
    low = [
        row
        for row in demo["stock"]
        if Decimal(row["onHand"]) - reserved[(row["sku"], row["warehouseId"])]
        <= Decimal(row["reorderPoint"])
    ]
    assert len(low) >= 3


def test_work_orders_exist_in_every_status(demo: dict[str, Any]) -> None:
    statuses = {wo["id"]: wo["status"] for wo in demo["workOrders"]}
    assert set(statuses.values()) == {
        "PLANNED",
        "RELEASED",
        "IN_PROGRESS",
        "COMPLETED",
        "CANCELLED",
    }
    expected = {"WO-1000": "PLANNED", "WO-1001": "RELEASED", "WO-1002": "IN_PROGRESS"}
    expected |= {"WO-1003": "COMPLETED", "WO-1004": "CANCELLED"}
    assert {k: statuses[k] for k in expected} == expected


def test_unfinished_work_orders_start_in_2027_or_later(demo: dict[str, Any]) -> None:
    for wo in demo["workOrders"]:
        if wo["status"] not in {"COMPLETED", "CANCELLED"}:
            assert wo["plannedStart"] >= "2027-01-01", wo["id"]


def test_wo_1001_materials_each_have_open_reservations_with_location_and_lot(
    demo: dict[str, Any],
) -> None:
    wo = work_order(demo, "WO-1001")
    assert (wo["status"], wo["ownerId"], wo["recipeName"]) == ("RELEASED", "PLANT-A", "BREAD-WHITE")
    assert 2 <= len(wo["operations"]) <= 3
    assert 5 <= len(materials(wo)) <= 7
    assert any(m["isRework"] for m in materials(wo))
    for material in materials(wo):
        mine = [r for r in reservations_of(demo, "WO-1001") if r["sku"] == material["itemNumber"]]
        assert 0 < len(mine) <= 2, material["itemNumber"]
        for r in mine:
            assert r["status"] == "OPEN" and r["warehouseId"] == "W01"
            assert r["location"] and r["lot"] and r["source"]["type"] == "work_order"


def test_rework_materials_are_rework_items_of_their_recipe(demo: dict[str, Any]) -> None:
    rework = {r["name"]: set(r["reworkItems"]) for r in demo["recipes"]}
    for wo in demo["workOrders"]:
        for material in materials(wo):
            is_rework_item = material["itemNumber"] in rework[wo["recipeName"]]
            assert material["isRework"] == is_rework_item, (wo["id"], material["itemNumber"])


def test_work_order_materials_are_allowed_by_their_recipe_operation(demo: dict[str, Any]) -> None:
    recipes = {r["name"]: r for r in demo["recipes"]}
    for wo in demo["workOrders"]:
        ops = {
            op["sequence"]: set(op["allowedItems"])
            for op in recipes[wo["recipeName"]]["operations"]
        }
        for op in wo["operations"]:
            for material in op["materials"]:
                assert material["itemNumber"] in ops[op["sequence"]], (wo["id"], material)


def test_wo_1005_has_exactly_one_reserved_material(demo: dict[str, Any]) -> None:
    wo = work_order(demo, "WO-1005")
    assert len(materials(wo)) == 1
    assert len(reservations_of(demo, "WO-1005")) == 1


def test_wo_2001_belongs_to_plant_b_and_reserves_in_w03(demo: dict[str, Any]) -> None:
    assert work_order(demo, "WO-2001")["ownerId"] == "PLANT-B"
    reservations = reservations_of(demo, "WO-2001")
    assert reservations
    assert {(r["warehouseId"], r["ownerId"]) for r in reservations} == {("W03", "PLANT-B")}


def test_wo_3000_has_hundreds_of_distinct_materials_each_reserved(demo: dict[str, Any]) -> None:
    wo = work_order(demo, "WO-3000")
    items = [m["itemNumber"] for m in materials(wo)]
    assert len(items) >= 200 and len(set(items)) == len(items)
    assert len(wo["operations"]) >= 4 and wo["ownerId"] == "PLANT-A"
    reserved = {r["sku"] for r in reservations_of(demo, "WO-3000") if r["status"] == "OPEN"}
    assert reserved == set(items)


def test_demo_has_released_closed_and_sales_order_reservations(demo: dict[str, Any]) -> None:
    statuses = {r["status"] for r in demo["reservations"]}
    assert statuses == {"OPEN", "RELEASED", "CLOSED"}
    assert any(r["source"]["type"] == "sales_order" for r in demo["reservations"])


def broken(demo: dict[str, Any], change: Any) -> dict[str, Any]:
    data = copy.deepcopy(demo)
    change(data)
    return data


BREAKAGES = [
    (lambda d: d["reservations"][0].update(sku="NOPE-1"), r"reservations\[0\] 'FIX-0001'.*NOPE-1"),
    (
        lambda d: d["reservations"][1].update(createdAt="2026-11-02T06:00:00"),
        r"reservations\[1\] 'FIX-0002'.*'createdAt'.*time zone",
    ),
    (lambda d: d["stock"][0].update(onHand="12,5"), r"stock\[0\] 'RM-1001'.*'onHand'.*decimal"),
    (lambda d: d["warehouses"][0].update(id="W001"), r"warehouses\[0\] 'W001'.*3 characters"),
    (
        lambda d: d["workOrders"][0]["operations"][0]["materials"][0].update(quantity=1.5),
        r"workOrders\[0\] 'WO-1000'\.operations\[0\].*materials\[0\].*'quantity' must be str",
    ),
    (lambda d: d["workOrders"][1].update(recipeName="CAKE"), r"workOrders\[1\] 'WO-1001'.*CAKE"),
    (lambda d: d["items"][0].update(sku="RM-" + "9" * 16), r"items\[0\].*18 characters"),
    (lambda d: d["warehouses"][2].update(ownerId="PLANT-Z"), r"warehouses\[2\] 'W03'.*PLANT-Z"),
    (lambda d: d.pop("recipes"), r"'recipes' must be a list"),
]


@pytest.mark.parametrize(("change", "message"), BREAKAGES)
def test_a_broken_fixture_names_the_offending_entry(
    demo: dict[str, Any], change: Any, message: str
) -> None:
    with pytest.raises(FixtureError, match=message):
        validate_fixtures(broken(demo, change))


def test_loading_a_broken_file_raises_fixture_error(demo: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(render(broken(demo, lambda d: d["reservations"][3].update(warehouseId="W09"))))
    with pytest.raises(FixtureError, match=r"reservations\[3\] 'FIX-0004'.*warehouse 'W09'"):
        load_fixtures(path)


def test_a_file_that_is_not_json_is_a_fixture_error(tmp_path: Path) -> None:
    path = tmp_path / "garbage.json"
    path.write_text("{not json")
    with pytest.raises(FixtureError, match="not valid JSON"):
        load_fixtures(path)
