"""Holds across locations (issue 15.3, decision 172) through REST and SOAP, against the sandbox
on SQLite and PostgreSQL: a create split over several warehouses reserves its parts in order,
all or nothing (or the rest backordered with allowPartial), inside the caller's owner scope,
never more than any warehouse has, each part linked to the request by its reference."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import zeep
import zeep.exceptions
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from zeep.wsse.username import UsernameToken

from gateway.api.backorder_schemas import ReservationCreatedSchema, split_answer_of_plan
from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from gateway.domain.model import ReleaseReason
from gateway.store.tables import write_plans
from sandbox.inventory.store import NewReservation
from tests.gateway_process import wait_for
from tests.integration.reservation_helpers import body, problem_code, set_available
from tests.live_server import serving
from tests.soap_helpers import NS, PATH

RESERVATIONS = "/api/inventory/reservations"
THIRD = "W04"  # a third PLANT-A warehouse, added to the sandbox for these tests
SPLIT = ["W01", "W02", THIRD]
PASSWORD = "split-holds-password-1"


@pytest.fixture(scope="session")
def third_warehouse(sandbox: Any) -> str:
    """The demo has two warehouses of PLANT-A: a third one, as the ERP's admin would add it."""
    with sqlite3.connect(sandbox.inventory_store.db_path) as connection:
        connection.execute(
            "INSERT OR IGNORE INTO warehouses VALUES (?, 'PLANT-A', 'split test store')", (THIRD,)
        )
    return THIRD


@pytest.fixture
def item(
    request: pytest.FixtureRequest, inventory: Any, third_warehouse: str, client: FlaskClient,
    mint: Callable[..., str],
) -> Iterator[str]:  # fmt: skip
    """The test's item with nothing available in the three warehouses; afterwards its OPEN
    reservations there are released and its backorders cancelled (the sandbox outlives each
    database)."""
    sku: str = request.param
    stock(inventory, sku, 0, 0, 0)
    yield sku
    manager = {"Authorization": f"Bearer {mint(roles=('Reservations.Manager',))}"}
    page = client.get(f"/api/inventory/backorders?itemSkuId={sku}&status=OPEN", headers=manager)
    for waiting in page.get_json()["items"]:
        client.put(f"/api/inventory/backorders/{waiting['id']}/cancel", headers=manager)
    for warehouse in SPLIT:
        for made in inventory.list_reservations(sku, warehouse):
            if made.status.value == "OPEN" and not (made.reference or "").startswith("FIX-"):
                inventory.release(made.id, ReleaseReason.RELEASED)  # the demo's stay


def stock(inventory: Any, sku: str, *available: int) -> None:
    for warehouse, quantity in zip(SPLIT, available, strict=True):
        set_available(inventory, sku, warehouse, Decimal(quantity))


def available(inventory: Any, sku: str) -> list[Decimal]:
    return [inventory.get_stock_level(sku, warehouse).available for warehouse in SPLIT]


def split(client: FlaskClient, headers: dict[str, str], sku: str, quantity: int,
          **fields: Any) -> Any:  # fmt: skip
    request = body(sku, quantity, **fields)
    if "warehouseId" not in fields:
        del request["warehouseId"]
    if "anyWarehouse" not in fields and "warehouseIds" not in fields:
        request["warehouseIds"] = SPLIT
    return client.post(RESERVATIONS, json=request, headers=headers)


def parts(answer: Any) -> list[tuple[str, Decimal]]:
    return [(r["warehouseId"], r["quantity"]) for r in answer.get_json()["reservations"]]


@pytest.mark.parametrize("item", ["RM-1041"], indirect=True)
def test_a_split_takes_each_warehouse_in_order_and_links_every_part_to_its_request(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 4, 0, 10)
    answer = split(client, staff_a, item, 9)
    assert answer.status_code == 201, answer.data
    made = answer.get_json()
    assert parts(answer) == [("W01", 4), (THIRD, 5)]  # W02 has nothing: skipped
    assert (made["reservedQuantity"], made["backorderedQuantity"], made["backorder"]) == (
        9, 0, None)  # fmt: skip
    request_id = made["requestId"]
    references = [r["reference"] for r in made["reservations"]]
    assert references == [f"{request_id}-01", f"{request_id}-02"]
    assert {(r["status"], r["ownerId"]) for r in made["reservations"]} == {("OPEN", "PLANT-A")}
    assert available(inventory, item) == [0, 0, 5]
    feed = client.get("/api/events?after=0&limit=1000", headers=staff_a).get_json()["events"]
    reserved = {e["aggregateId"] for e in feed if e["type"] == "InventoryReserved"}
    assert {r["id"] for r in made["reservations"]} <= reserved


@pytest.mark.parametrize("item", ["RM-1042"], indirect=True)
def test_a_split_its_warehouses_cannot_cover_reserves_nothing_anywhere(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 3, 0, 4)
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:8]}"}
    refused = split(client, staff_a, item, 10, source=source)
    assert refused.status_code == 409
    assert problem_code(refused) == "inventory.reservation.insufficient_stock"
    assert refused.get_json()["shortfall"] == 3
    assert available(inventory, item) == [3, 0, 4]
    assert inventory.list_reservations_by_sources([source["id"]]) == []


@pytest.mark.parametrize("item", ["RM-1043"], indirect=True)
def test_a_partial_split_reserves_what_the_warehouses_have_and_backorders_the_rest_in_the_first(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 3, 0, 4)
    answer = split(client, staff_a, item, 10, allowPartial=True)
    assert answer.status_code == 201, answer.data
    made = answer.get_json()
    assert parts(answer) == [("W01", 3), (THIRD, 4)]
    assert (made["reservedQuantity"], made["backorderedQuantity"]) == (7, 3)
    waiting = made["backorder"]
    assert (waiting["warehouseId"], waiting["quantity"], waiting["status"]) == ("W01", 3, "OPEN")
    kept = client.get(f"/api/inventory/backorders/{waiting['id']}", headers=staff_a).get_json()
    assert kept["quantity"] == 3
    assert available(inventory, item) == [0, 0, 0]
    nothing = split(client, staff_a, item, 2, allowPartial=True)
    assert nothing.status_code == 201
    assert (nothing.get_json()["reservations"], nothing.get_json()["backorder"]["quantity"]) == (
        [], 2)  # fmt: skip


@pytest.mark.parametrize("item", ["RM-1044"], indirect=True)
def test_a_part_refused_for_stock_taken_meanwhile_undoes_the_others_and_the_split_allocates_again(
    gateway_app: Flask, staff_a: dict[str, str], faults: Any, inventory: Any, item: str
) -> None:
    stock(inventory, item, 3, 3, 5)
    knobs, held, answers = faults.inventory.knobs, faults.inventory.knobs.writes_held, []
    knobs.update({"hold_after_commit": 1, "operations": ["Reserve"]})
    thread = threading.Thread(target=lambda: answers.append(
        split(gateway_app.test_client(), staff_a, item, 7)))  # fmt: skip
    thread.start()
    try:
        wait_for(lambda: knobs.writes_held > held, "the first part to be held")
        faults.inventory_store.reserve(NewReservation(  # another order takes 2 of W02's 3
            refno=f"SO-{uuid.uuid4().hex[:12]}", sku=item, warehouse="W02", quantity=Decimal(2),
            type="S", source_type="SO", source_id="SO-RACER", owner="PLANT-A"))  # fmt: skip
        knobs.update({"hold_after_commit": None})
        knobs.release_held()
        thread.join()
    finally:
        knobs.reset()
    (answer,) = answers
    assert answer.status_code == 201, answer.data
    assert parts(answer) == [("W01", 3), ("W02", 1), (THIRD, 3)]
    request_id = answer.get_json()["requestId"]
    # the undone attempt's references (-01 … -03) stay used: the new parts number on
    assert [r["reference"] for r in answer.get_json()["reservations"]] == [
        f"{request_id}-04", f"{request_id}-05", f"{request_id}-06"]  # fmt: skip
    assert available(inventory, item) == [0, 0, 2]
    first_part = [r for r in inventory.list_reservations(item, "W01")
                  if r.reference == f"{request_id}-01"]  # fmt: skip
    assert [r.status.value for r in first_part] != ["OPEN"]  # made, then undone


@pytest.fixture(scope="module")
def ordered_app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    """A gateway whose anyWarehouse tries W04, then W02, then the rest."""
    return create_app({**gateway_settings, "DATABASE_URL": database_url,
                       "SPLIT_WAREHOUSE_ORDER": f"{THIRD}, W02"})  # fmt: skip


@pytest.mark.parametrize("item", ["RM-1031"], indirect=True)  # also held in W03 (PLANT-B)
def test_any_warehouse_follows_the_configured_order_within_the_reservations_owner(
    ordered_app: Flask, staff_a: dict[str, str], mint: Callable[..., str], inventory: Any,
    item: str,
) -> None:  # fmt: skip
    stock(inventory, item, 5, 5, 5)
    before_w03 = inventory.get_stock_level(item, "W03").available
    both = {"Authorization": f"Bearer {mint(owners=('PLANT-A', 'PLANT-B'))}"}
    with ordered_app.test_client() as client:
        answer = split(client, both, item, 12, anyWarehouse=True, ownerId="PLANT-A")
        assert answer.status_code == 201, answer.data
        assert parts(answer) == [(THIRD, 5), ("W02", 5), ("W01", 2)]
        too_much = split(client, staff_a, item, 4, anyWarehouse=True)
    assert problem_code(too_much) == "inventory.reservation.insufficient_stock"
    assert too_much.get_json()["shortfall"] == 1  # W03 (PLANT-B) was never considered
    assert inventory.get_stock_level(item, "W03").available == before_w03
    assert available(inventory, item) == [3, 0, 0]


@pytest.mark.parametrize("item", ["RM-1045"], indirect=True)
def test_twenty_concurrent_splits_never_reserve_more_than_any_warehouse_has(
    gateway_app: Flask, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 5, 5, 5)
    answers: list[Any] = []

    def attempt() -> None:
        with gateway_app.test_client() as client:
            answers.append(split(client, staff_a, item, 2))

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted({a.status_code for a in answers}) == [201, 409]
    made = [part for a in answers if a.status_code == 201 for part in parts(a)]
    left = available(inventory, item)
    assert all(quantity >= 0 for quantity in left)
    for warehouse, now in zip(SPLIT, left, strict=True):
        assert sum(q for w, q in made if w == warehouse) == 5 - now  # every part counted once
    assert sum(q for _, q in made) == 2 * sum(a.status_code == 201 for a in answers) <= 15


@pytest.mark.parametrize("item", ["RM-1046"], indirect=True)
def test_a_warehouse_of_another_owner_refuses_the_whole_split_as_a_single_create_would(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 5, 5, 5)
    refused = split(client, staff_a, item, 3, warehouseIds=["W01", "W03"])
    single = client.post(RESERVATIONS, json=body(item, 3, warehouseId="W03"), headers=staff_a)
    assert refused.status_code == single.status_code == 403
    assert problem_code(refused) == problem_code(single) == "inventory.reservation.invalid_owner"
    assert available(inventory, item) == [5, 5, 5]


@pytest.mark.parametrize(
    "fields",
    [
        {"warehouseIds": None},  # none of the three
        {"warehouseId": "W01", "warehouseIds": ["W02"]},
        {"warehouseId": "W01", "anyWarehouse": True},
        {"warehouseIds": ["W01"], "anyWarehouse": True},
        {"warehouseIds": ["W01", "W02", "W01"]},
        {"warehouseIds": []},
        {"warehouseIds": [f"X{n}" for n in range(11)]},
        {"warehouseIds": ["W01", "W02"], "lot": "LOT-1"},
        {"anyWarehouse": True, "location": "A-01"},
    ],
)
def test_a_malformed_split_is_invalid_split(
    client: FlaskClient, staff_a: dict[str, str], fields: dict[str, Any]
) -> None:
    request = {k: v for k, v in body(**fields).items() if v is not None}
    if "warehouseId" not in fields:
        del request["warehouseId"]
    refused = client.post(RESERVATIONS, json=request, headers=staff_a)
    assert refused.status_code == 400
    assert problem_code(refused) == "inventory.reservation.invalid_split"


@pytest.mark.parametrize("line", [{"warehouseIds": ["W01", "W02"]}, {"anyWarehouse": True}])
def test_a_batch_line_may_not_split(
    client: FlaskClient, staff_a: dict[str, str], line: dict[str, Any]
) -> None:
    split_line = {k: v for k, v in body(**line).items() if k != "warehouseId"}
    answer = client.post(f"{RESERVATIONS}/batch", json={"lines": [body(), split_line]},
                         headers=staff_a)  # fmt: skip
    assert answer.status_code == 400
    assert problem_code(answer) == "inventory.reservation.invalid_split"


def test_any_warehouse_is_a_json_boolean(client: FlaskClient, staff_a: dict[str, str]) -> None:
    request = {k: v for k, v in body(anyWarehouse="yes").items() if k != "warehouseId"}
    refused = client.post(RESERVATIONS, json=request, headers=staff_a)
    assert problem_code(refused) == "request.invalid"


@pytest.mark.parametrize("item", ["RM-1047"], indirect=True)
def test_a_keyed_split_repeated_is_answered_with_the_same_body_and_reserved_once(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any, item: str
) -> None:
    stock(inventory, item, 2, 2, 2)
    keyed = {**staff_a, "Idempotency-Key": f"split-{uuid.uuid4().hex}"}
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:8]}"}
    first = split(client, keyed, item, 5, source=source, allowPartial=True)
    again = split(client, keyed, item, 5, source=source, allowPartial=True)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert parts(first) == [("W01", 2), ("W02", 2), (THIRD, 1)]
    assert available(inventory, item) == [0, 0, 1]
    # a keyed retry whose plan another process finished is answered from the plan: the same
    gateway = gateway_app.extensions["gateway"]
    with gateway.store.engine.connect() as connection:
        plan_id = connection.execute(
            select(write_plans.c.id).where(
                write_plans.c.target_id == f"{first.get_json()['requestId']}-01"
            )
        ).scalar_one()
    rebuilt = split_answer_of_plan(gateway.store.plans.get(plan_id), gateway.splits)
    dumped = gateway_app.json.dumps(ReservationCreatedSchema().dump(rebuilt))
    assert gateway_app.json.loads(dumped) == first.get_json()


@pytest.fixture(scope="module")
def soap(gateway_app: Flask) -> Iterator[Any]:
    """A zeep client of a PLANT-A legacy client, built from the served WSDL."""
    name = f"mes-{uuid.uuid4().hex[:10]}"
    box = gateway_app.extensions["gateway"].credentials.keys
    gateway_app.extensions["gateway"].store.legacy_clients.add(new_client(
        name, frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}), PASSWORD, box, True,
        datetime.now(UTC)))  # fmt: skip
    with serving(gateway_app) as base:
        yield zeep.Client(f"{base}{PATH}?wsdl", wsse=UsernameToken(name, PASSWORD)).service


def soap_request(sku: str, quantity: int, source: str, **fields: Any) -> dict[str, Any]:
    return {"itemSkuId": sku, "warehouseId": "W01", "quantity": Decimal(quantity),
            "type": "SALES", "source": {"type": "sales_order", "id": source}, **fields}  # fmt: skip


@pytest.mark.parametrize("item", ["RM-1048"], indirect=True)
def test_a_soap_create_splits_too_and_a_retry_with_its_reference_lands_once(
    soap: Any, inventory: Any, item: str
) -> None:
    stock(inventory, item, 3, 0, 3)
    source = f"SO-{uuid.uuid4().hex[:8]}"
    asked = soap_request(item, 8, source, moreWarehouseIds=["W02", THIRD], allowPartial=True)
    made = soap.CreateReservation(asked, reference=f"{source}-1")
    assert [(p.warehouseId, p.quantity) for p in made.parts.Reservation] == [
        ("W01", 3), (THIRD, 3)]  # fmt: skip
    assert (made.reservedQuantity, made.backorderedQuantity) == (6, 2)
    assert made.backorderId and made.id is None
    assert all(p.reference.startswith(f"{made.requestId}-") for p in made.parts.Reservation)
    again = soap.CreateReservation(asked, reference=f"{source}-1")
    assert [p.id for p in again.parts.Reservation] == [p.id for p in made.parts.Reservation]
    assert again.backorderId == made.backorderId
    assert available(inventory, item) == [0, 0, 0]
    with pytest.raises(zeep.exceptions.Fault) as fault:
        soap.CreateReservation(soap_request(item, 1, source, moreWarehouseIds=["W01"]),
                               reference=f"{source}-2")  # fmt: skip
    assert fault.value.detail.findtext("g:GatewayFault/g:code", namespaces=NS) == (
        "inventory.reservation.invalid_split")  # fmt: skip


@pytest.mark.parametrize("item", ["RM-1049"], indirect=True)
def test_an_old_soap_create_naming_one_warehouse_answers_as_before(
    soap: Any, inventory: Any, item: str
) -> None:
    stock(inventory, item, 2, 0, 0)
    made = soap.CreateReservation(soap_request(item, 2, f"SO-{uuid.uuid4().hex[:8]}"))
    assert (made.warehouseId, made.quantity, made.status) == ("W01", 2, "OPEN")
    assert (made.requestId, made.parts, made.reservedQuantity) == (None, None, None)


@pytest.mark.parametrize("item", ["RM-1051"], indirect=True)
def test_a_soap_any_warehouse_split_starts_in_its_warehouse_id_then_goes_by_id(
    soap: Any, inventory: Any, item: str
) -> None:
    stock(inventory, item, 1, 2, 3)
    asked = {**soap_request(item, 5, f"SO-{uuid.uuid4().hex[:8]}"), "warehouseId": "W02"}
    made = soap.CreateReservation({**asked, "anyWarehouse": True})
    assert [(p.warehouseId, p.quantity) for p in made.parts.Reservation] == [
        ("W02", 2), ("W01", 1), (THIRD, 2)]  # fmt: skip
    assert (made.reservedQuantity, made.backorderedQuantity, made.backorderId) == (5, 0, None)
    assert available(inventory, item) == [0, 0, 1]
