"""What the SOAP gate answers the forms foreign toolkits send (issue 12.2–12.4): SOAP 1.2
envelopes, calls that wait for a Basic challenge, SOAPAction spellings, nil elements."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from werkzeug.test import TestResponse

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from gateway.domain.model import Item, StockLevel
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders
from tests.soap_helpers import GW, NS, PATH, SOAP_ENV, basic, envelope, fault_of, result_of

PASSWORD = "mes-b-password-1"
AUTH = basic("mes-b", PASSWORD)
STOCK = "<g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CHALLENGE = 'Basic realm="reservation-gateway"'


@pytest.fixture
def inventory() -> FakeInventory:
    fake = FakeInventory()
    fake.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    fake.levels[("RM-1", "W01")] = StockLevel(
        "RM-1", "W01", Decimal(100), Decimal(0), True, False, Decimal(5), Decimal(10), "PLANT-A"
    )
    return fake


@pytest.fixture
def app(inventory: FakeInventory) -> Flask:
    adapters = Adapters(inventory, FakeWorkOrders(), FakeTokenValidator())
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}, adapters=adapters)
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    client = new_client("mes-b", roles, owners, PASSWORD, None, False, datetime.now(UTC))
    app.extensions["gateway"].store.legacy_clients.add(client)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def post(client: FlaskClient, body: bytes, **headers: str) -> TestResponse:
    return client.post(PATH, data=body, headers={"Content-Type": "text/xml", **headers})


def soap12(operation: str, inner: str) -> bytes:
    return (
        f'<env:Envelope xmlns:env="{SOAP12_ENV}" xmlns:g="{GW}"><env:Body>'
        f"<g:{operation}>{inner}</g:{operation}></env:Body></env:Envelope>"
    ).encode()


@pytest.mark.parametrize("credentials", [AUTH, {}], ids=["with", "without credentials"])
def test_a_soap_12_envelope_is_a_version_mismatch_fault(
    client: FlaskClient, inventory: FakeInventory, credentials: dict[str, str]
) -> None:
    response = client.post(
        PATH,
        data=soap12("GetStockLevel", STOCK),
        headers={"Content-Type": "application/soap+xml; charset=utf-8", **credentials},
    )
    assert response.status_code == 500
    fault = fault_of(response.data)
    assert (fault.faultcode, fault.code) == ("soap11env:VersionMismatch", "request.invalid")
    assert SOAP12_ENV in fault.errors["Envelope"]
    assert inventory.calls["get_stock_level"] == 0


def test_an_envelope_in_no_namespace_is_a_version_mismatch_too(client: FlaskClient) -> None:
    body = b"<Envelope><Body><GetStockLevel/></Body></Envelope>"
    assert fault_of(post(client, body, **AUTH).data).faultcode == "soap11env:VersionMismatch"


def test_a_document_that_is_no_envelope_at_all_stays_a_client_fault(client: FlaskClient) -> None:
    body = f'<soapenv:Body xmlns:soapenv="{SOAP_ENV}"/>'.encode()
    fault = fault_of(post(client, body, **AUTH).data)
    assert (fault.faultcode, fault.code) == ("soap11env:Client", "request.invalid")


@pytest.mark.parametrize(
    "authorization", [{}, {"Authorization": "Bearer eyJhbGciOi"}], ids=["none", "bearer"]
)
def test_no_credentials_is_401_with_a_basic_challenge_and_the_fault(
    client: FlaskClient, inventory: FakeInventory, authorization: dict[str, str]
) -> None:
    response = post(client, envelope("GetStockLevel", STOCK), **authorization)
    assert response.status_code == 401
    assert response.headers.getlist("WWW-Authenticate") == [CHALLENGE]
    assert response.headers["Content-Type"].startswith("text/xml")
    fault = fault_of(response.data)
    assert (fault.faultcode, fault.code) == ("soap11env:Client", "auth.unauthenticated")
    assert inventory.calls["get_stock_level"] == 0


def test_the_challenged_call_repeated_with_basic_is_served(client: FlaskClient) -> None:
    assert post(client, envelope("GetStockLevel", STOCK)).status_code == 401
    assert post(client, envelope("GetStockLevel", STOCK), **AUTH).status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [basic("mes-b", "wrong-password"), basic("nobody", PASSWORD), {"Authorization": "Basic !!"}],
    ids=["wrong password", "unknown name", "malformed"],
)
def test_wrong_credentials_stay_a_fault_without_a_challenge(
    client: FlaskClient, credentials: dict[str, str]
) -> None:
    response = post(client, envelope("GetStockLevel", STOCK), **credentials)
    assert response.status_code == 500 and "WWW-Authenticate" not in response.headers
    assert fault_of(response.data).code == "auth.unauthenticated"


def test_calls_without_credentials_are_not_counted_as_failed_logins(client: FlaskClient) -> None:
    for _ in range(60):  # past LOGIN_MAX_FAILURES_PER_ADDRESS (50), were they counted
        assert post(client, envelope("GetStockLevel", STOCK)).status_code == 401
    assert post(client, envelope("GetStockLevel", STOCK), **AUTH).status_code == 200


@pytest.mark.parametrize(
    "action",
    [
        '"GetStockLevel"',
        "GetStockLevel",
        f'"{GW}#GetStockLevel"',
        f"{GW}#GetStockLevel",
        f'"{GW}/GetStockLevel"',
        '""',
        None,
    ],
)
def test_the_soap_action_forms_clients_send_are_served(
    client: FlaskClient, action: str | None
) -> None:
    named = {"SOAPAction": action} if action is not None else {}
    response = post(client, envelope("GetStockLevel", STOCK), **AUTH, **named)
    assert response.status_code == 200, response.data
    assert result_of(response.data, "GetStockLevel").findtext("g:onHand", namespaces=NS) == "100"


@pytest.mark.parametrize(
    "action",
    [
        f'"{GW}#ReleaseReservation"',
        f'"{GW}/ReleaseReservation"',
        '"urn:another-service#GetStockLevel"',
        f'"{GW}#"',
        f'"{GW}"',
    ],
)
def test_a_soap_action_naming_another_operation_or_service_is_refused(
    client: FlaskClient, inventory: FakeInventory, action: str
) -> None:
    response = post(client, envelope("GetStockLevel", STOCK), **AUTH, SOAPAction=action)
    fault = fault_of(response.data)
    assert fault.code == "request.invalid" and "SOAPAction" in fault.errors
    assert inventory.calls["get_stock_level"] == 0


def fault_children(body: bytes) -> list[str]:
    fault = etree.fromstring(body).find("soap:Body/soap:Fault", NS)
    assert fault is not None, body[:300]
    return [etree.QName(child).localname for child in fault]


def test_faults_from_the_gate_and_from_spyne_have_the_same_parts_and_no_faultactor(
    client: FlaskClient,
) -> None:
    by_gate = post(client, envelope("GetStockLevel", STOCK), **AUTH, SOAPAction='"Other"')
    by_schema = post(client, envelope("GetStockLevel", "<g:itemSkuId>RM-1</g:itemSkuId>"), **AUTH)
    missing = "<g:itemSkuId>RM-404</g:itemSkuId><g:warehouseId>W01</g:warehouseId>"
    by_operation = post(client, envelope("GetStockLevel", missing), **AUTH)
    assert fault_of(by_schema.data).code == "request.invalid"
    assert fault_of(by_operation.data).code == "inventory.item.not_found"
    for response in (by_gate, by_schema, by_operation):
        assert fault_children(response.data) == ["faultcode", "faultstring", "detail"]


def test_a_nil_optional_element_is_read_as_absent(client: FlaskClient) -> None:
    """Clients made from the earlier WSDL, where optional elements were nillable, send nil."""
    inner = f"""<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>2</g:quantity><g:lot xmlns:xsi="{XSI}" xsi:nil="true"/><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-9</g:id></g:source></g:reservation>"""
    response = post(client, envelope("CreateReservation", inner), **AUTH)
    made = result_of(response.data, "CreateReservation")
    assert made.findtext("g:status", namespaces=NS) == "OPEN"
    assert made.find("g:lot", NS) is None


def test_a_nil_required_element_is_request_invalid_naming_it(client: FlaskClient) -> None:
    inner = f'<g:itemSkuId xmlns:xsi="{XSI}" xsi:nil="true"/><g:warehouseId>W01</g:warehouseId>'
    response = post(client, envelope("GetStockLevel", inner), **AUTH)
    fault = fault_of(response.data)
    assert (fault.code, list(fault.errors)) == ("request.invalid", ["itemSkuId"])


@pytest.mark.parametrize(
    ("field", "value"), [("limit", "501"), ("offset", "9223372036854775808"), ("offset", "-1")]
)
def test_numbers_outside_their_declared_range_are_request_invalid(
    client: FlaskClient, field: str, value: str
) -> None:
    inner = f"<g:itemSkuId>RM-1</g:itemSkuId><g:{field}>{value}</g:{field}>"
    fault = fault_of(post(client, envelope("ListReservations", inner), **AUTH).data)
    assert (fault.code, list(fault.errors)) == ("request.invalid", [field])
