"""The sandbox's ChangeExpiry and partial Consume as the legacy system speaks them (decision 171):
over SOAP through spyne's WSGI application (no socket), and the ERP users' screen beside it.

The contract tests (tests/contract) hold the rules to the fake and the adapter alike; these are
what only the wire shows: an absent or blank EXPDT, a blank REFNO, a QTY the column cannot hold,
the RELREM flag, the fault knobs on the new write, and the checked-in contract carrying it all.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from spyne.server.wsgi import WsgiApplication
from werkzeug.test import Client

from sandbox.faults import CallLog, FaultKnobs
from sandbox.inventory.app import create_inventory_app
from sandbox.inventory.errors import (
    INVALID_CODE,
    INVALID_QUANTITY,
    QUANTITY_EXCEEDS_RESERVED,
    RESERVATION_NOT_EXPIRED,
)
from sandbox.inventory.service import WRITES, create_inventory_application
from sandbox.inventory.store import InventoryStore, NewReservation
from tests.soap_helpers import SOAP_ENV
from tests.wsdl_contract import NS as WSDL_NS

NS = "urn:legacy-erp:inventory:v1"
ZONE = ZoneInfo("Europe/Berlin")
CHECKED_IN = Path(__file__).parents[2] / "wsdl" / "inventory.wsdl"
FIXTURES = {
    "warehouses": [{"id": "W01", "ownerId": "PLANT-A"}],
    "items": [{"sku": "FLOUR", "description": "Flour", "uom": "KG", "stockTracked": True,
               "allowNegativeStock": False}],
    "stock": [{"sku": "FLOUR", "warehouseId": "W01", "onHand": "100.000"}],
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> InventoryStore:
    made = InventoryStore(tmp_path / "inventory.db")
    made.seed(FIXTURES)
    return made


@pytest.fixture
def knobs() -> FaultKnobs:
    return FaultKnobs()


@pytest.fixture
def soap(store: InventoryStore, knobs: FaultKnobs) -> Client:
    return Client(WsgiApplication(create_inventory_application(store, ZONE, knobs)))


def reserve(store: InventoryStore, expires_at: str | None = None) -> str:
    new = NewReservation(
        f"RSV-{uuid.uuid4().hex[:12]}", "FLOUR", "W01", Decimal(10), "P", "WO", "WO-1",
        "PLANT-A", expires_at=expires_at,
    )  # fmt: skip
    return str(store.reserve(new)["id"])


def call(soap: Client, operation: str, fields: dict[str, str]) -> etree._Element:
    """One operation with these child elements (in this order); the answer's document."""
    children = "".join(f"<t:{name}>{value}</t:{name}>" for name, value in fields.items())
    body = (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:t="{NS}"><soapenv:Body>'
        f"<t:{operation}>{children}</t:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()
    answer = soap.post(
        "/", data=body, headers={"Content-Type": "text/xml", "SOAPAction": operation}
    )
    return etree.fromstring(answer.get_data())


def fault_number(document: etree._Element) -> str | None:
    fault = document.find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None, etree.tostring(document)
    return fault.findtext("detail/LEGACYERR/ERRNO")


def field(document: etree._Element, name: str) -> str | None:
    return document.findtext(f".//{{{NS}}}{name}")


def quantity(document: etree._Element, name: str) -> Decimal:
    return Decimal(field(document, name) or "NaN")


def held(store: InventoryStore) -> tuple[Decimal, Decimal]:
    row = store.balance("FLOUR", "W01")
    return Decimal(row["on_hand"]), Decimal(row["reserved"])


# --- ChangeExpiry on the wire ----------------------------------------------------------------


def test_an_expdt_in_plant_time_is_stored_in_utc_and_answered_in_plant_time(
    soap: Client, store: InventoryStore
) -> None:
    number = reserve(store)
    answer = call(soap, "ChangeExpiry", {"RSVNO": number, "EXPDT": "20300115103000",
                                         "REFNO": "EX-1"})  # fmt: skip
    assert field(answer, "EXPDTM") == "20300115103000"
    assert store.reservation(number)["expires_at"] == "2030-01-15T09:30:00+00:00"


@pytest.mark.parametrize("expdt", [None, ""], ids=["absent", "empty"])
def test_an_absent_or_empty_expdt_clears_the_expiry(
    soap: Client, store: InventoryStore, expdt: str | None
) -> None:
    number = reserve(store, expires_at="2030-01-15T09:30:00+00:00")
    fields = {"RSVNO": number, "REFNO": "EX-2"}
    if expdt is not None:
        fields = {"RSVNO": number, "EXPDT": expdt, "REFNO": "EX-2"}
    answer = call(soap, "ChangeExpiry", fields)
    assert (field(answer, "RSVSTS"), field(answer, "EXPDTM")) == ("O", "")  # blank: none
    assert store.reservation(number)["expires_at"] is None


def test_a_blank_refno_is_a_missing_field(soap: Client, store: InventoryStore) -> None:
    number = reserve(store, expires_at="2030-01-15T09:30:00+00:00")
    answer = call(soap, "ChangeExpiry", {"RSVNO": number, "EXPDT": "", "REFNO": " "})
    assert fault_number(answer) == str(INVALID_CODE)
    assert store.reservation(number)["expires_at"] == "2030-01-15T09:30:00+00:00"


def test_change_expiry_is_a_write_the_fault_knobs_apply_to(
    soap: Client, store: InventoryStore, knobs: FaultKnobs
) -> None:
    assert "ChangeExpiry" in WRITES
    number = reserve(store)
    knobs.update({"soap_fault": 999, "operations": ["ChangeExpiry"]})
    answer = call(soap, "ChangeExpiry", {"RSVNO": number, "EXPDT": "20300115103000",
                                         "REFNO": "EX-3"})  # fmt: skip
    assert fault_number(answer) == "999"
    assert store.reservation(number)["expires_at"] is None


# --- Consume with QTY and RELREM -------------------------------------------------------------


def test_a_consume_with_qty_takes_that_much_and_keeps_the_rest_open(
    soap: Client, store: InventoryStore
) -> None:
    number = reserve(store)
    answer = call(soap, "Consume", {"RSVNO": number, "REFNO": "CN-1", "QTY": "2.5"})
    rsv, trn = answer.find(f".//{{{NS}}}RSV"), answer.find(f".//{{{NS}}}TRN")
    assert (field(rsv, "RSVSTS"), quantity(rsv, "QTY")) == ("O", Decimal("7.5"))
    assert [quantity(trn, name) for name in ("QTY", "QTYPRV", "QTYNEW")] == [
        Decimal("-2.5"), Decimal(100), Decimal("97.5")
    ]  # fmt: skip
    assert held(store) == (Decimal("97.5"), Decimal("7.5"))


def test_relrem_y_closes_the_reservation_and_frees_the_rest(
    soap: Client, store: InventoryStore
) -> None:
    number = reserve(store)
    answer = call(soap, "Consume", {"RSVNO": number, "REFNO": "CN-2", "QTY": "4",
                                    "RELREM": "Y"})  # fmt: skip
    rsv = answer.find(f".//{{{NS}}}RSV")
    assert (field(rsv, "RSVSTS"), quantity(rsv, "QTY")) == ("C", Decimal(10))
    assert held(store) == (Decimal(96), Decimal(0))


@pytest.mark.parametrize(
    ("qty", "number"),
    [("12345678901", INVALID_QUANTITY), ("1.2345", INVALID_QUANTITY), ("0", INVALID_QUANTITY),
     ("-1", INVALID_QUANTITY), ("10.001", QUANTITY_EXCEEDS_RESERVED)],
)  # fmt: skip
def test_a_qty_that_is_not_a_part_of_the_reservation_is_a_legacy_fault_and_takes_nothing(
    soap: Client, store: InventoryStore, qty: str, number: int
) -> None:
    reservation = reserve(store)
    answer = call(soap, "Consume", {"RSVNO": reservation, "REFNO": "CN-3", "QTY": qty})
    assert fault_number(answer) == str(number)
    assert held(store) == (Decimal(100), Decimal(10))
    assert store.transactions() == []


# --- Release for expiry ----------------------------------------------------------------------


def test_a_release_for_expiry_before_the_expiry_is_fault_270_over_soap(
    soap: Client, store: InventoryStore
) -> None:
    number = reserve(store, expires_at="2030-01-15T09:30:00+00:00")
    answer = call(soap, "Release", {"RSVNO": number, "RELRSN": "E"})
    assert fault_number(answer) == str(RESERVATION_NOT_EXPIRED)
    assert store.reservation(number)["status"] == "O"


def test_an_erp_user_may_release_for_expiry_at_the_screen_before_the_expiry(
    store: InventoryStore,
) -> None:
    number = reserve(store)
    app = create_inventory_app(store, lambda _: {}, FaultKnobs(), CallLog(), ZONE)
    answer = app.test_client().post(
        f"/_sandbox/inventory/reservations/{number}/release", json={"reason": "E"}
    )
    assert answer.status_code == 200, answer.get_json()
    assert (answer.get_json()["status"], answer.get_json()["release_reason"]) == ("R", "E")


# --- the checked-in contract -----------------------------------------------------------------


def test_the_checked_in_contract_has_change_expiry_and_the_consume_options() -> None:
    root = etree.parse(CHECKED_IN).getroot()
    schema = "wsdl:types/xs:schema/xs:complexType"

    def elements(name: str) -> dict[str, tuple[str | None, str | None]]:
        found = root.find(f"{schema}[@name='{name}']", WSDL_NS)
        assert found is not None, name
        return {
            e.get("name") or "": (e.get("type"), e.get("minOccurs"))
            for e in found.iterfind(".//xs:element", WSDL_NS)
        }

    consume, change = elements("Consume"), elements("ChangeExpiry")
    assert list(consume) == ["RSVNO", "REFNO", "QTY", "RELREM"]
    assert consume["QTY"] == ("tns:QUANTITY", "0")
    assert consume["RELREM"][1] == "0"
    assert list(change) == ["RSVNO", "EXPDT", "REFNO"]
    assert (change["EXPDT"][1], change["REFNO"][1]) == ("0", None)  # EXPDT optional, REFNO not
    assert elements("ReleaseResponse") and "ChangeExpiry" in {
        op.get("name") for op in root.iterfind("wsdl:portType/wsdl:operation", WSDL_NS)
    }
