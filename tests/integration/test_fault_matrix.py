"""Every REST and SOAP operation under each upstream fault: the right code, nothing half-done."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import zeep
import zeep.exceptions
from flask import Flask
from flask.testing import FlaskClient
from zeep.wsse.username import UsernameToken

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from tests.integration.reservation_helpers import body, problem_code
from tests.live_server import serving
from tests.soap_helpers import NS, PATH

PASSWORD = "fault-matrix-password"
FAULTS = {
    "down": ({"error_rate": 1.0}, "upstream.unavailable"),
    "slow": ({"latency_ms": 6000}, "upstream.timeout"),  # three times the read timeout
    "legacy fault": ({"soap_fault": 999}, "upstream.fault"),
}


@pytest.fixture(scope="module")
def fault_app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    """No retries; a read timeout short enough for the slow cases and long enough that a
    loaded machine still answers the others in time; breakers out of the way."""
    return create_app({
        **gateway_settings, "DATABASE_URL": database_url,
        "UPSTREAM_READ_TIMEOUT": 2.0, "UPSTREAM_RETRY_ATTEMPTS": 1,
    })  # fmt: skip


@pytest.fixture
def rest(fault_app: Flask) -> Iterator[FlaskClient]:
    with fault_app.test_client() as client:
        yield client


def open_reservation(client: FlaskClient, headers: dict[str, str]) -> str:
    made = client.post("/api/inventory/reservations", json=body(quantity=1), headers=headers)
    assert made.status_code == 201, made.data
    return str(made.get_json()["id"])


REST = {
    "work-order reservations": ("GET", "/api/work-orders/WO-1001/reservations", None),
    "stock level": ("GET", "/api/inventory/items/RM-1001/stock?warehouseId=W01", None),
    "list": ("GET", "/api/inventory/reservations?itemSkuId=RM-1002", None),
    "get one": ("GET", "/api/inventory/reservations/{id}", None),
    "low stock": ("GET", "/api/inventory/alerts/low-stock", None),
    "create": ("POST", "/api/inventory/reservations", lambda: body(quantity=1)),
    "batch": ("POST", "/api/inventory/reservations/batch", lambda: {"lines": [body(quantity=1)]}),
    "release": ("PUT", "/api/inventory/reservations/{id}/release", None),
    "consume": ("PUT", "/api/inventory/reservations/{id}/consume", None),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", REST)
def test_rest_operation_under_an_inventory_fault(
    rest: FlaskClient, staff_a: dict[str, str], faults: Any, operation: str, fault: str
) -> None:
    method, path, make_body = REST[operation]
    reservation_id = open_reservation(rest, staff_a) if "{id}" in path else ""
    payload = make_body() if make_body else None
    knobs, code = FAULTS[fault]
    faults.inventory.knobs.update(knobs)
    answer = rest.open(path.format(id=reservation_id), method=method, json=payload, headers=staff_a)
    assert problem_code(answer) == code
    faults.inventory.knobs.reset()
    if payload is not None:  # a create under a fault reserved nothing
        source_id = (payload.get("source") or payload["lines"][0]["source"])["id"]
        listed = rest.get(f"/api/inventory/reservations?sourceId={source_id}&status=OPEN",
                          headers=staff_a).get_json()  # fmt: skip
        assert listed["total"] == 0
    if reservation_id:  # a release or consume under a fault left the reservation OPEN
        after = rest.get(f"/api/inventory/reservations/{reservation_id}", headers=staff_a)
        assert after.get_json()["status"] == "OPEN"


@pytest.mark.parametrize("fault", ["down", "slow"])
def test_work_order_update_under_a_work_order_service_fault_writes_nothing(
    rest: FlaskClient, staff_a: dict[str, str], faults: Any, fault: str
) -> None:
    before = faults.workorder_store.get_work_order("WO-1000")
    knobs, code = FAULTS[fault]
    faults.workorders.knobs.update(knobs)
    answer = rest.put(
        "/api/v2/work-orders/WO-1000?recipe-name=BREAD-WHITE",
        json={"batchQuantity": 400, "plannedStart": "2031-01-01T06:00:00Z"},
        headers=staff_a,
    )
    assert problem_code(answer) == code
    faults.workorders.knobs.reset()
    assert faults.workorder_store.get_work_order("WO-1000") == before


@pytest.fixture(scope="module")
def soap(fault_app: Flask) -> Iterator[Any]:
    name = f"mes-{uuid.uuid4().hex[:10]}"
    fault_app.extensions["gateway"].store.legacy_clients.add(new_client(
        name, frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}), PASSWORD,
        fault_app.extensions["gateway"].credentials.keys, False, datetime.now(UTC),
    ))  # fmt: skip
    with serving(fault_app) as base:
        client = zeep.Client(base + PATH + "?wsdl", wsse=UsernameToken(name, PASSWORD))
        yield client.service


def _reservation(source_id: str) -> dict[str, Any]:
    return {"itemSkuId": "RM-1002", "warehouseId": "W02", "quantity": Decimal(1), "type": "SALES",
            "source": {"type": "sales_order", "id": source_id},
            "expiresAt": datetime.now(UTC) + timedelta(days=1)}  # fmt: skip


SOAP: dict[str, Callable[[Any, str], Any]] = {
    "GetStockLevel": lambda s, _: s.GetStockLevel("RM-1002", "W02"),
    "ListReservations": lambda s, _: s.ListReservations(itemSkuId="RM-1002"),
    "GetWorkOrderReservations": lambda s, _: s.GetWorkOrderReservations("WO-1001"),
    "CreateReservation": lambda s, source: s.CreateReservation(_reservation(source)),
    "ReleaseReservation": lambda s, rid: s.ReleaseReservation(rid),
    "ConsumeReservation": lambda s, rid: s.ConsumeReservation(rid),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("operation", SOAP)
def test_soap_operation_under_an_inventory_fault(
    soap: Any, faults: Any, operation: str, fault: str
) -> None:
    argument = f"SO-{uuid.uuid4().hex[:10]}"
    if operation in ("ReleaseReservation", "ConsumeReservation"):
        argument = soap.CreateReservation(_reservation(argument)).id
    knobs, code = FAULTS[fault]
    faults.inventory.knobs.update(knobs)
    with pytest.raises(zeep.exceptions.Fault) as raised:
        SOAP[operation](soap, argument)
    faults.inventory.knobs.reset()
    assert raised.value.detail.findtext("g:GatewayFault/g:code", namespaces=NS) == code
    assert raised.value.code.endswith("Server")
    if operation == "CreateReservation":
        assert soap.ListReservations(sourceId=argument, status="OPEN").total == 0
    if operation in ("ReleaseReservation", "ConsumeReservation"):
        assert faults.inventory_store.reservation(argument)["status"] == "O"  # still OPEN
