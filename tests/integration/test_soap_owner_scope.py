"""Over SOAP, another plant's reservation, work order or warehouse is a missing one (issue 16).

For each operation of wsdl/gateway.wsdl, a legacy client of PLANT-B (Staff, Manager and Owner)
acting on PLANT-A's data gets the fault it gets for an id that does not exist, and nothing is
written (both as tests/integration/soap_scope_helpers.py compares them). The contract has no
GetReservation: ListReservations is its only read of reservations. Every test makes its own
sales order or work order; only the demo's items and warehouses are shared.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from lxml import etree
from werkzeug.test import TestResponse

from gateway.auth.legacy_clients import new_client
from tests.integration.soap_scope_helpers import (
    Refusal,
    assert_alike,
    call,
    nothing_written,
    refusal,
)
from tests.integration.workorder_update_helpers import own_work_order, upstream_state
from tests.soap_helpers import NS, basic, result_of

PASSWORD = "owner-scope-password-1"
MISSING_RESERVATION = "999999999"
MISSING_WORK_ORDER = "WO-0000"
MISSING_WAREHOUSE = "W99"
REQUEST_ORDER = ("itemSkuId", "warehouseId", "quantity", "type", "source", "ownerId",
                 "expiresAt", "override")  # fmt: skip
"""ReservationRequest's elements in the schema's order (those these tests send)."""
ROLES = ("Reservations.Staff", "Reservations.Manager", "Reservations.Owner")
Auth = dict[str, str]


@pytest.fixture(scope="module")
def legacy(gateway_app: Flask) -> Callable[..., Auth]:
    """HTTP Basic headers of a fresh legacy client of ``owner`` with ``role``."""
    box = gateway_app.extensions["gateway"].credentials.keys

    def add(owner: str, role: str = "Reservations.Staff") -> Auth:
        name = f"mes-{uuid.uuid4().hex[:10]}"
        client = new_client(name, frozenset({role}), frozenset({owner}), PASSWORD, box, False,
                            datetime.now(UTC))  # fmt: skip
        gateway_app.extensions["gateway"].store.legacy_clients.add(client)
        return basic(name, PASSWORD)

    return add


@pytest.fixture(scope="module")
def plant_a(legacy: Callable[..., Auth]) -> Auth:
    return legacy("PLANT-A", "Reservations.Manager")


@pytest.fixture(scope="module", params=ROLES)
def plant_b(request: pytest.FixtureRequest, legacy: Callable[..., Auth]) -> Auth:
    """PLANT-B's Staff, and its Manager and Owner, who may change others' reservations."""
    return legacy("PLANT-B", request.param)


@pytest.fixture
def soap(gateway_app: Flask) -> Iterator[Callable[..., TestResponse]]:
    """``soap(auth, operation, field=xml, ...)``: one call; ``None`` fields are left out."""
    with gateway_app.test_client() as client:
        yield lambda auth, operation, **fields: call(client, auth, operation, **fields)


@pytest.fixture
def work_order(sandbox: Any) -> Iterator[str]:
    """A fresh work order of PLANT-A holding RW-9001 in W01."""
    with own_work_order(sandbox) as work_order_id:
        yield work_order_id


# --- reservations: release, consume, list --------------------------------------------------


def request_xml(source: tuple[str, str], sku: str, warehouse: str, **extra: str) -> str:
    expires = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = {"itemSkuId": sku, "warehouseId": warehouse, "quantity": "1", "type": "SALES",
              "source": f"<g:type>{source[0]}</g:type><g:id>{source[1]}</g:id>",
              "expiresAt": expires, **extra}  # fmt: skip
    return "".join(f"<g:{n}>{fields[n]}</g:{n}>" for n in REQUEST_ORDER if n in fields)


def new_sales_order() -> tuple[str, str]:
    return ("sales_order", f"SO-{uuid.uuid4().hex[:10]}")


def plant_as_reservation(
    soap: Callable[..., TestResponse], plant_a: Auth, state: str, source: tuple[str, str]
) -> str:
    """A reservation of PLANT-A's in W02 for ``source``, OPEN, RELEASED or CLOSED."""
    made = soap(plant_a, "CreateReservation", reservation=request_xml(source, "RM-1002", "W02"))
    assert made.status_code == 200, made.data
    reservation_id = result_of(made.data, "CreateReservation").findtext("g:id", namespaces=NS)
    if state != "OPEN":
        operation = {"RELEASED": "ReleaseReservation", "CLOSED": "ConsumeReservation"}[state]
        assert soap(plant_a, operation, reservationId=reservation_id).status_code == 200
    return reservation_id


@pytest.mark.parametrize("state", ["OPEN", "RELEASED", "CLOSED"])
@pytest.mark.parametrize("operation", ["ReleaseReservation", "ConsumeReservation"])
def test_another_plants_reservation_releases_and_consumes_as_a_missing_one(
    soap: Callable[..., TestResponse], plant_a: Auth, plant_b: Auth, sandbox: Any,
    gateway_app: Flask, operation: str, state: str,
) -> None:  # fmt: skip
    source = new_sales_order()
    reservation_id = plant_as_reservation(soap, plant_a, state, source)

    def attempt(identifier: str) -> Refusal:
        reference = {"reference": f"CN-{uuid.uuid4().hex[:8]}"}
        extra = reference if operation == "ConsumeReservation" else {}
        return refusal(soap(plant_b, operation, reservationId=identifier, **extra), identifier)

    with nothing_written(sandbox, gateway_app, [("RM-1002", "W02")], (source[1],)):
        theirs, missing = attempt(reservation_id), attempt(MISSING_RESERVATION)
    assert_alike(theirs, missing, "inventory.reservation.not_found")
    assert missing.status == 500 and missing.faultcode.endswith("Client")


def listed(soap: Callable[..., TestResponse], auth: Auth, **criteria: str) -> dict[str, Any]:
    answer = soap(auth, "ListReservations", **criteria, limit="500")
    assert answer.status_code == 200, answer.data
    page = result_of(answer.data, "ListReservations")
    items = page.findall("g:items/g:Reservation", NS)
    return {
        "total": page.findtext("g:total", namespaces=NS),
        "ids": [r.findtext("g:id", namespaces=NS) for r in items],
        "owners": {r.findtext("g:ownerId", namespaces=NS) for r in items},
        "document": etree.tostring(page, method="c14n"),
    }


def test_another_plants_reservations_are_never_listed(
    soap: Callable[..., TestResponse], plant_a: Auth, plant_b: Auth, sandbox: Any,
    gateway_app: Flask,
) -> None:  # fmt: skip
    order = new_sales_order()
    made = [plant_as_reservation(soap, plant_a, "OPEN", order) for _ in range(2)]
    source = order[1]
    with nothing_written(sandbox, gateway_app, [("RM-1002", "W02")], (source,)):
        by_source = listed(soap, plant_b, sourceType="sales_order", sourceId=source)
        missing = listed(soap, plant_b, sourceType="sales_order", sourceId="SO-NONE-0000")
        pages = [listed(soap, plant_b, **criteria) for criteria in [
            {}, {"itemSkuId": "RM-1002"}, {"warehouseId": "W02"}, {"status": "OPEN"},
            {"itemSkuId": "RM-1002", "warehouseId": "W02", "status": "OPEN"}]]  # fmt: skip
        in_w02 = listed(soap, plant_b, warehouseId="W02")
        in_missing = listed(soap, plant_b, warehouseId=MISSING_WAREHOUSE)
    assert by_source == missing and by_source["total"] == "0" and by_source["ids"] == []
    for page in pages:
        assert page["owners"] <= {"PLANT-B"} and not set(made) & set(page["ids"])
    assert in_w02 == in_missing  # an empty page alike
    assert set(made) <= set(listed(soap, plant_a, sourceId=source)["ids"])  # they do exist


# --- work orders: the reservations view and the update -------------------------------------


def test_another_plants_work_order_reads_as_a_missing_one(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask,
    work_order: str,
) -> None:  # fmt: skip
    def read(identifier: str, **filters: str) -> Refusal:
        answer = soap(plant_b, "GetWorkOrderReservations", workOrderId=identifier, **filters)
        return refusal(answer, identifier)

    narrow = {"itemSkuId": "RW-9001", "status": "OPEN", "warehouseId": "W01"}
    with nothing_written(sandbox, gateway_app, [("RW-9001", "W01")], (work_order,),
                         (work_order,)):  # fmt: skip
        assert_alike(read(work_order), read(MISSING_WORK_ORDER), "workorder.not_found")
        assert_alike(read(work_order, **narrow), read(MISSING_WORK_ORDER, **narrow),
                     "workorder.not_found")  # fmt: skip


def material(item: str, quantity: str, operation: int = 10, uom: str = "KG") -> str:
    return (f"<g:MaterialLine><g:operation>{operation}</g:operation><g:itemNumber>{item}"
            f"</g:itemNumber><g:quantity>{quantity}</g:quantity><g:uom>{uom}</g:uom>"
            "</g:MaterialLine>")  # fmt: skip


UPDATES = {
    "rework increase (would reserve)": {"materials": material("RW-9001", "20")},
    "rework decrease (would release)": {"materials": material("RW-9001", "5")},
    "header only": {"batchQuantity": "550"},
    "a new material": {"materials": material("RM-1002", "3")},
    "batch quantity off the recipe": {"batchQuantity": "525"},
    "start in the past": {"plannedStart": "2020-01-01T06:00:00Z"},
    "unknown recipe": {"recipeName": "NO-SUCH-RECIPE"},
    "another recipe": {"recipeName": "BREAD-RYE"},
    "material not in the recipe": {"materials": material("PK-2001", "4", 20, "EA")},
    "transaction date given": {
        "transactionDate": "2027-01-10T08:00:00Z",
        "materials": material("RW-9001", "20"),
    },
}


def update_fields(**overrides: str) -> dict[str, str]:
    fields = {"recipeName": "BREAD-WHITE", "batchQuantity": "500",
              "plannedStart": "2027-05-03T05:00:00Z", **overrides}  # fmt: skip
    order = ("recipeName", "batchQuantity", "plannedStart", "transactionDate", "materials")
    return {name: fields[name] for name in order if name in fields}  # the schema's order


@pytest.mark.parametrize("change", list(UPDATES.values()), ids=list(UPDATES))
def test_another_plants_work_order_updates_as_a_missing_one_and_nothing_is_written(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask,
    work_order: str, change: dict[str, str],
) -> None:  # fmt: skip
    def update(identifier: str) -> Refusal:
        fields = update_fields(**change)
        return refusal(soap(plant_b, "UpdateWorkOrder", workOrderId=identifier, **fields),
                       identifier)  # fmt: skip

    state = upstream_state(sandbox, work_order)
    with nothing_written(sandbox, gateway_app, [("RW-9001", "W01"), ("RM-1002", "W01")],
                         (work_order,), (work_order,)):  # fmt: skip
        assert_alike(update(work_order), update(MISSING_WORK_ORDER), "workorder.not_found")
    assert upstream_state(sandbox, work_order) == state


def test_another_plants_work_order_being_updated_still_updates_as_a_missing_one(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask,
    work_order: str,
) -> None:  # fmt: skip
    plans = gateway_app.extensions["gateway"].store.plans
    assert plans.lock_work_order(work_order, "plant-a-update")  # PLANT-A's update is running
    wait, plans.lock_wait = plans.lock_wait, timedelta(seconds=0.2)
    try:

        def update(identifier: str) -> Refusal:
            fields = update_fields(materials=material("RW-9001", "20"))
            return refusal(soap(plant_b, "UpdateWorkOrder", workOrderId=identifier, **fields),
                           identifier)  # fmt: skip

        assert_alike(update(work_order), update(MISSING_WORK_ORDER), "workorder.not_found")
    finally:
        plans.lock_wait = wait
        plans.unlock_work_order(work_order, "plant-a-update")


# --- stock: the stock level and a create ---------------------------------------------------


def test_stock_in_another_plants_warehouse_reads_as_an_unknown_item(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask
) -> None:
    def stock(sku: str, warehouse: str) -> Refusal:
        return refusal(soap(plant_b, "GetStockLevel", itemSkuId=sku, warehouseId=warehouse), sku)

    with nothing_written(sandbox, gateway_app, [("RM-1001", "W01"), ("RM-1002", "W02")]):
        theirs, missing = stock("RM-1001", "W01"), stock("NO-SUCH-ITEM", "W01")
        assert_alike(theirs, missing, "inventory.item.not_found")
        assert stock("RM-1002", "W02") == stock("NO-SUCH-ITEM", "W03") == theirs
    own = soap(plant_b, "GetStockLevel", itemSkuId="RM-1007", warehouseId="W03")
    assert own.status_code == 200, own.data  # its own warehouse answers


def test_stock_in_another_plants_warehouse_reads_as_in_a_missing_warehouse(
    soap: Callable[..., TestResponse], plant_b: Auth
) -> None:
    def stock(warehouse: str) -> Refusal:
        return refusal(soap(plant_b, "GetStockLevel", itemSkuId="RM-1001", warehouseId=warehouse),
                       warehouse)  # fmt: skip

    assert_alike(stock("W01"), stock(MISSING_WAREHOUSE), "inventory.item.not_found")


def create(soap: Callable[..., TestResponse], auth: Auth, source: tuple[str, str], sku: str,
           warehouse: str, **extra: str) -> TestResponse:  # fmt: skip
    reference = f"SC-{uuid.uuid4().hex[:8]}"
    return soap(auth, "CreateReservation", reservation=request_xml(source, sku, warehouse, **extra),
                reference=reference)  # fmt: skip


@pytest.mark.parametrize(
    "extra", [{}, {"ownerId": "PLANT-B"}, {"ownerId": "PLANT-A"}, {"override": "true"}],
    ids=["no owner", "own owner", "their owner", "override"],
)  # fmt: skip
def test_creating_in_another_plants_warehouse_is_invalid_owner_and_nothing_is_reserved(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask,
    extra: dict[str, str],
) -> None:  # fmt: skip
    source = new_sales_order()
    theirs = [("RM-1001", "W01"), ("RM-1002", "W02")]
    with nothing_written(sandbox, gateway_app, theirs, (source[1],)):
        refused = [refusal(create(soap, plant_b, source, sku, warehouse, **extra), warehouse)
                   for sku, warehouse in theirs]  # fmt: skip
    assert refused[0] == refused[1]
    assert (refused[0].status, refused[0].code) == (500, "inventory.reservation.invalid_owner")
    assert "PLANT-A" not in refused[0].message


def test_creating_in_another_plants_warehouse_answers_as_in_a_missing_warehouse(
    soap: Callable[..., TestResponse], plant_b: Auth
) -> None:
    source = new_sales_order()

    def attempt(warehouse: str) -> Refusal:
        return refusal(create(soap, plant_b, source, "RM-1001", warehouse), warehouse)

    assert_alike(attempt("W01"), attempt(MISSING_WAREHOUSE), "inventory.reservation.invalid_owner")


def test_reserving_against_another_plants_work_order_is_a_missing_target(
    soap: Callable[..., TestResponse], plant_b: Auth, sandbox: Any, gateway_app: Flask,
    work_order: str,
) -> None:  # fmt: skip
    def reserve(identifier: str) -> Refusal:
        answer = create(soap, plant_b, ("work_order", identifier), "RM-1007", "W03")
        return refusal(answer, identifier)

    stock, sources = [("RM-1007", "W03"), ("RW-9001", "W01")], (work_order, MISSING_WORK_ORDER)
    with nothing_written(sandbox, gateway_app, stock, sources, (work_order,)):
        theirs, missing = reserve(work_order), reserve(MISSING_WORK_ORDER)
    assert_alike(theirs, missing, "inventory.reservation.target_not_found")
