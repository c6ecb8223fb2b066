"""The SOAP endpoint with fake upstreams: faults with codes, authentication, the gate's checks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from gateway.app import create_app
from gateway.auth.legacy_clients import LegacyClient, new_client
from gateway.domain.errors import UpstreamUnavailable
from gateway.domain.model import Item, StockLevel
from gateway.store.tables import audit_entries
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders
from tests.soap_helpers import GW, NS, PATH, basic, envelope, fault_of, headers, result_of

PASSWORD = "mes-a-password-1"
STOCK = "<g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>"


@pytest.fixture(scope="module")
def mes_a() -> LegacyClient:
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    return new_client("mes-a", roles, owners, PASSWORD, None, False, datetime.now(UTC))


@pytest.fixture
def inventory() -> FakeInventory:
    fake = FakeInventory()
    fake.items["RM-1"] = Item("RM-1", "Flour", "KG", True, False)
    fake.levels[("RM-1", "W01")] = StockLevel(
        "RM-1",
        "W01",
        Decimal("100.125"),
        Decimal("0.1"),
        True,
        False,
        Decimal(5),
        Decimal(10),
        "PLANT-A",
    )
    return fake


@pytest.fixture
def app(inventory: FakeInventory, mes_a: LegacyClient) -> Flask:
    return soap_app(inventory, mes_a)


def soap_app(inventory: FakeInventory, mes_a: LegacyClient, **settings: str) -> Flask:
    adapters = Adapters(inventory, FakeWorkOrders(), FakeTokenValidator())
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "SOAP_MAX_BODY_BYTES": 4096, **settings},
        adapters=adapters,
    )
    app.extensions["gateway"].store.legacy_clients.add(mes_a)
    return app


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def call(client: FlaskClient, operation: str, inner: str, **extra: str) -> TestResponse:
    return client.post(
        PATH,
        data=envelope(operation, inner),
        headers=headers(operation, **basic("mes-a", PASSWORD), **extra),
    )


def test_stock_level_answers_with_exact_decimals(client: FlaskClient) -> None:
    response = call(client, "GetStockLevel", STOCK)
    assert response.status_code == 200, response.data
    level = result_of(response.data, "GetStockLevel")
    assert level.findtext("g:onHand", namespaces=NS) == "100.125"
    assert level.findtext("g:available", namespaces=NS) == "100.025"


def test_a_domain_error_is_a_client_fault_with_its_code_and_correlation_id(
    client: FlaskClient,
) -> None:
    inner = "<g:itemSkuId>RM-404</g:itemSkuId><g:warehouseId>W01</g:warehouseId>"
    response = call(client, "GetStockLevel", inner, **{"X-Request-ID": "corr-42"})
    assert response.status_code == 500  # SOAP 1.1 over HTTP: every fault is a 500
    fault = fault_of(response.data)
    assert (fault.faultcode, fault.code) == ("soap11env:Client", "inventory.item.not_found")
    assert fault.correlation_id == "corr-42" == response.headers["X-Request-ID"]


def test_an_upstream_failure_is_a_server_fault(
    client: FlaskClient, inventory: FakeInventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(*_: object) -> None:
        raise UpstreamUnavailable("inventory", "connection refused")

    monkeypatch.setattr(inventory, "get_stock_level", down)
    fault = fault_of(call(client, "GetStockLevel", STOCK).data)
    assert (fault.faultcode, fault.code) == ("soap11env:Server", "upstream.unavailable")


def test_a_bug_is_an_internal_error_without_a_stack_trace(
    client: FlaskClient, inventory: FakeInventory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("secret internals at /srv/gateway/module.py line 12")

    monkeypatch.setattr(inventory, "get_stock_level", broken)
    response = call(client, "GetStockLevel", STOCK)
    fault = fault_of(response.data)
    assert (fault.faultcode, fault.code) == ("soap11env:Server", "internal.error")
    assert b"Traceback" not in response.data and b"secret internals" not in response.data


def test_create_reservation_records_the_legacy_client_as_actor(
    client: FlaskClient, app: Flask
) -> None:
    inner = """<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>2.5</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source></g:reservation>
      <g:reference>so-1-line-1</g:reference>"""
    response = call(client, "CreateReservation", inner)
    made = result_of(response.data, "CreateReservation")
    assert made.findtext("g:status", namespaces=NS) == "OPEN"
    assert made.findtext("g:ownerId", namespaces=NS) == "PLANT-A"
    with app.extensions["gateway"].store.engine.connect() as connection:
        actors = connection.execute(select(audit_entries.c.actor, audit_entries.c.action)).all()
    assert ("legacy:mes-a", "reservation.create") in actors


def test_a_schema_violation_is_request_invalid_naming_the_field(client: FlaskClient) -> None:
    inner = """<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>lots</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source></g:reservation>"""
    fault = fault_of(call(client, "CreateReservation", inner).data)
    assert fault.code == "request.invalid"
    assert "quantity" in fault.errors


def test_a_timestamp_without_time_zone_is_request_invalid(client: FlaskClient) -> None:
    inner = """<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>1</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source>
      <g:expiresAt>2030-01-01T00:00:00</g:expiresAt></g:reservation>"""
    fault = fault_of(call(client, "CreateReservation", inner).data)
    assert fault.code == "request.invalid"
    assert "reservation.expiresAt" in fault.errors


@pytest.mark.parametrize("quantity", ["1" * 41, "0." + "1" * 40, "1.0001", "10000000000"])
def test_a_quantity_the_legacy_fields_cannot_hold_is_refused_and_reserves_nothing(
    client: FlaskClient, inventory: FakeInventory, quantity: str
) -> None:
    before = inventory.levels[("RM-1", "W01")]
    inner = f"""<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>{quantity}</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source></g:reservation>"""
    fault = fault_of(call(client, "CreateReservation", inner).data)
    assert fault.code == "inventory.reservation.invalid_quantity"
    assert inventory.levels[("RM-1", "W01")] == before


@pytest.mark.parametrize("moment", ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00+01:00"])
def test_a_timestamp_outside_the_legacy_years_is_request_invalid(
    client: FlaskClient, moment: str
) -> None:
    inner = f"""<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>1</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source>
      <g:expiresAt>{moment}</g:expiresAt></g:reservation>"""
    fault = fault_of(call(client, "CreateReservation", inner).data)
    assert fault.code == "request.invalid"
    assert "reservation.expiresAt" in fault.errors


def test_the_rules_codes_come_through_as_over_rest(client: FlaskClient) -> None:
    inner = """<g:reservation><g:itemSkuId>RM-1</g:itemSkuId><g:warehouseId>W01</g:warehouseId>
      <g:quantity>0</g:quantity><g:type>SALES</g:type>
      <g:source><g:type>sales_order</g:type><g:id>SO-1</g:id></g:source></g:reservation>"""
    assert fault_of(call(client, "CreateReservation", inner).data).code == (
        "inventory.reservation.invalid_quantity"
    )


@pytest.mark.parametrize(
    "credentials", [{}, basic("mes-a", "wrong-password"), basic("nobody", PASSWORD)]
)
def test_missing_or_wrong_credentials_are_unauthenticated(
    client: FlaskClient, credentials: dict[str, str], inventory: FakeInventory
) -> None:
    response = client.post(
        PATH, data=envelope("GetStockLevel", STOCK), headers=headers("GetStockLevel", **credentials)
    )
    assert fault_of(response.data).code == "auth.unauthenticated"
    assert inventory.calls["get_stock_level"] == 0


def test_a_client_without_a_reservation_role_is_forbidden(client: FlaskClient, app: Flask) -> None:
    admin = new_client(
        "ops",
        frozenset({"Reservations.Staff"}),
        frozenset({"*"}),
        PASSWORD,
        None,
        False,
        datetime.now(UTC),
    )
    app.extensions["gateway"].store.legacy_clients.add(
        LegacyClient(
            "ops-admin",
            frozenset({"Gateway.Admin"}),
            frozenset({"*"}),
            True,
            admin.created_at,
            secrets=admin.secrets,
        )
    )
    response = client.post(
        PATH,
        data=envelope("GetStockLevel", STOCK),
        headers=headers("GetStockLevel", **basic("ops-admin", PASSWORD)),
    )
    assert fault_of(response.data).code == "auth.forbidden"


def test_a_soap_action_naming_another_operation_is_refused(
    client: FlaskClient, inventory: FakeInventory
) -> None:
    response = client.post(
        PATH,
        data=envelope("GetStockLevel", STOCK),
        headers=headers("ReleaseReservation", **basic("mes-a", PASSWORD)),
    )
    fault = fault_of(response.data)
    assert fault.code == "request.invalid" and "SOAPAction" in fault.errors
    assert inventory.calls["get_stock_level"] == 0


def test_an_empty_soap_action_is_allowed(client: FlaskClient) -> None:
    response = call(client, "GetStockLevel", STOCK, SOAPAction='""')
    assert response.status_code == 200


def test_a_body_over_the_limit_is_413_without_reading_it(client: FlaskClient) -> None:
    padding = "x" * 5000
    response = call(client, "GetStockLevel", f"<!-- {padding} -->{STOCK}")
    assert response.status_code == 413
    assert fault_of(response.data).code == "request.too_large"


def test_an_unknown_operation_is_request_invalid(client: FlaskClient) -> None:
    assert fault_of(call(client, "DropAllTables", "").data).code == "request.invalid"


def test_wsdl_is_served_without_credentials_and_other_gets_are_not(client: FlaskClient) -> None:
    wsdl = client.get(PATH + "?wsdl")
    assert wsdl.status_code == 200 and GW.encode() in wsdl.data
    assert b'location="http://localhost/soap/gateway"' in wsdl.data
    assert client.get(PATH).status_code == 405


def test_the_wsdl_address_never_comes_from_the_host_header(client: FlaskClient) -> None:
    wsdl = client.get(PATH + "?wsdl", headers={"Host": "evil.example"})
    assert wsdl.status_code == 200
    assert b"evil.example" not in wsdl.data
    assert b'location="http://localhost/soap/gateway"' in wsdl.data


def test_the_wsdl_address_is_the_configured_public_url(
    inventory: FakeInventory, mes_a: LegacyClient
) -> None:
    app = soap_app(inventory, mes_a, PUBLIC_URL="https://gateway.plant-a.example/")
    wsdl = app.test_client().get(PATH + "?wsdl", headers={"Host": "evil.example"})
    assert b'location="https://gateway.plant-a.example/soap/gateway"' in wsdl.data
    assert b"evil.example" not in wsdl.data


def test_a_chunked_body_is_read_to_its_end_and_cut_off_past_the_limit(client: FlaskClient) -> None:
    auth = headers("GetStockLevel", **basic("mes-a", PASSWORD))
    chunked = {"wsgi.input_terminated": True}  # what a server sets for Transfer-Encoding: chunked
    small = envelope("GetStockLevel", STOCK)
    ok = client.post(PATH, input_stream=io.BytesIO(small), headers=auth, environ_overrides=chunked)
    assert ok.status_code == 200, ok.data
    big = envelope("GetStockLevel", f"<!-- {'x' * 5000} -->{STOCK}")
    refused = client.post(
        PATH, input_stream=io.BytesIO(big), headers=auth, environ_overrides=chunked
    )
    assert refused.status_code == 413
