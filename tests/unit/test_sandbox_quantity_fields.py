"""The sandbox's quantity columns are DECIMAL(13, 3): what they cannot hold is fault 240.

Through the store and over SOAP (spyne's WSGI application, no socket): the caller sees the
legacy fault, never spyne's schema fault, for a number the column cannot hold.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from spyne.server.wsgi import WsgiApplication
from werkzeug.test import Client

from sandbox.faults import FaultKnobs
from sandbox.inventory.errors import INVALID_QUANTITY, LegacyError
from sandbox.inventory.quantity import fits_quantity_column
from sandbox.inventory.service import create_inventory_application
from sandbox.inventory.store import InventoryStore, NewReservation, NewTransaction
from tests.soap_helpers import SOAP_ENV

NS = "urn:legacy-erp:inventory:v1"
LARGEST = "9999999999.999"
UNHOLDABLE = [
    "12345678901",  # 11 integer digits
    "1.2345",  # 4 fraction digits
    "-12345678901",
    "10000000000",
    "0.0001",
    "NaN",
    "Infinity",
    "-Infinity",
    "1" + "0" * 40,
    "1." + "1" * 40,
]
FIXTURES = {
    "warehouses": [{"id": "W01", "ownerId": "PLANT-A"}],
    "items": [
        {"sku": "EMPTY", "description": "Nothing on hand", "uom": "KG",
         "stockTracked": True, "allowNegativeStock": True},
        {"sku": "FLOUR", "description": "Some on hand", "uom": "KG",
         "stockTracked": True, "allowNegativeStock": False},
    ],
    "stock": [
        {"sku": "EMPTY", "warehouseId": "W01", "onHand": "0"},
        {"sku": "FLOUR", "warehouseId": "W01", "onHand": "100.000"},
    ],
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> InventoryStore:
    made = InventoryStore(tmp_path / "inventory.db")
    made.seed(FIXTURES)
    return made


@pytest.fixture
def soap(store: InventoryStore) -> Client:
    application = create_inventory_application(store, ZoneInfo("Europe/Berlin"), FaultKnobs())
    return Client(WsgiApplication(application))


def reservation(quantity: str, sku: str = "EMPTY", **kw: Any) -> NewReservation:
    refno = f"RSV-{uuid.uuid4().hex[:12]}"
    return NewReservation(refno, sku, "W01", Decimal(quantity), "S", "SO", "SO-1", "PLANT-A", **kw)


def movement(quantity: str, sku: str = "EMPTY") -> NewTransaction:
    return NewTransaction(
        refno=f"TRN-{uuid.uuid4().hex[:12]}", sku=sku, warehouse="W01",
        quantity=Decimal(quantity), type="ADJ", transaction_date="2026-01-01T00:00:00+00:00",
    )  # fmt: skip


def balance(store: InventoryStore, sku: str = "EMPTY") -> tuple[Decimal, Decimal]:
    row = store.balance(sku, "W01")
    return Decimal(row["on_hand"]), Decimal(row["reserved"])


def legacy_number(error: pytest.ExceptionInfo[LegacyError]) -> int:
    return error.value.number


@pytest.mark.parametrize("quantity", UNHOLDABLE)
def test_a_reserve_the_column_cannot_hold_is_fault_240_and_reserves_nothing(
    store: InventoryStore, quantity: str
) -> None:
    before = balance(store)
    with pytest.raises(LegacyError) as error:
        store.reserve(reservation(quantity, override=True))
    assert legacy_number(error) == INVALID_QUANTITY
    assert balance(store) == before
    assert store.reservations_by_item("EMPTY", None) == []


@pytest.mark.parametrize("quantity", UNHOLDABLE)
def test_a_transaction_the_column_cannot_hold_is_fault_240_and_moves_nothing(
    store: InventoryStore, quantity: str
) -> None:
    before = balance(store)
    with pytest.raises(LegacyError) as error:
        store.post_transaction(movement(quantity))
    assert legacy_number(error) == INVALID_QUANTITY
    assert balance(store) == before
    assert store.transactions() == []


def test_the_largest_quantity_the_column_holds_is_reserved_and_posted(
    store: InventoryStore,
) -> None:
    reserved = store.reserve(reservation(LARGEST))  # the item allows negative stock
    assert Decimal(reserved["quantity"]) == Decimal(LARGEST)
    posted = store.post_transaction(movement(LARGEST))
    assert Decimal(posted["new_on_hand"]) == Decimal(LARGEST)
    assert balance(store) == (Decimal(LARGEST), Decimal(LARGEST))


def test_trailing_zeros_are_no_fraction_digits(store: InventoryStore) -> None:
    assert fits_quantity_column(Decimal("1.5000000"))
    store.reserve(reservation("1.5000000"))
    assert balance(store) == (Decimal(0), Decimal("1.5"))


def test_a_reserve_that_would_take_the_reserved_total_past_the_column_is_fault_240(
    store: InventoryStore,
) -> None:
    store.reserve(reservation(LARGEST))
    before = balance(store)
    with pytest.raises(LegacyError) as error:
        store.reserve(reservation("0.001"))
    assert legacy_number(error) == INVALID_QUANTITY
    assert balance(store) == before


def test_a_transaction_that_would_take_on_hand_past_the_column_is_fault_240(
    store: InventoryStore,
) -> None:
    with pytest.raises(LegacyError) as error:
        store.post_transaction(movement(LARGEST, sku="FLOUR"))
    assert legacy_number(error) == INVALID_QUANTITY
    assert balance(store, "FLOUR") == (Decimal("100.000"), Decimal(0))


# --- over SOAP ---------------------------------------------------------------


def envelope(operation: str, record: str, fields: dict[str, str]) -> bytes:
    children = "".join(f"<t:{name}>{value}</t:{name}>" for name, value in fields.items())
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:t="{NS}"><soapenv:Body>'
        f"<t:{operation}><t:{record}>{children}</t:{record}></t:{operation}>"
        "</soapenv:Body></soapenv:Envelope>"
    ).encode()


def reserve_envelope(quantity: str) -> bytes:
    return envelope("Reserve", "RSVREQ", {
        "REFNO": f"RSV-{uuid.uuid4().hex[:12]}", "ITEMNO": "EMPTY", "WHSE": "W01",
        "QTY": quantity, "RSVTYP": "S", "SRCTYP": "SO", "SRCID": "SO-1", "OWNER": "PLANT-A",
    })  # fmt: skip


def transaction_envelope(quantity: str) -> bytes:
    return envelope("PostTransaction", "TRN", {
        "REFNO": f"TRN-{uuid.uuid4().hex[:12]}", "ITEMNO": "EMPTY", "WHSE": "W01",
        "QTY": quantity, "TRNTYP": "ADJ", "TRNDTM": "20260101120000",
    })  # fmt: skip


def post(soap: Client, operation: str, body: bytes) -> etree._Element:
    answer = soap.post(
        "/", data=body, headers={"Content-Type": "text/xml", "SOAPAction": operation}
    )
    return etree.fromstring(answer.get_data())


def fault_of(document: etree._Element) -> tuple[str, str | None]:
    fault = document.find(f".//{{{SOAP_ENV}}}Fault")
    assert fault is not None, etree.tostring(document)
    return fault.findtext("faultcode") or "", fault.findtext("detail/LEGACYERR/ERRNO")


@pytest.mark.parametrize("quantity", [*UNHOLDABLE, "INF", " 12345678901 "])
@pytest.mark.parametrize(
    ("operation", "build"),
    [("Reserve", reserve_envelope), ("PostTransaction", transaction_envelope)],
)
def test_over_soap_a_quantity_the_column_cannot_hold_is_the_legacy_fault_not_a_schema_fault(
    soap: Client, store: InventoryStore, operation: str, build: Any, quantity: str
) -> None:
    before = balance(store)
    code, number = fault_of(post(soap, operation, build(quantity)))
    assert (code.split(":")[-1], number) == ("Client", str(INVALID_QUANTITY))
    assert balance(store) == before


@pytest.mark.parametrize(
    ("operation", "build"),
    [("Reserve", reserve_envelope), ("PostTransaction", transaction_envelope)],
)
def test_over_soap_the_largest_quantity_passes_the_schema_and_is_written(
    soap: Client, store: InventoryStore, operation: str, build: Any
) -> None:
    answer = post(soap, operation, build(LARGEST))
    assert answer.find(f".//{{{SOAP_ENV}}}Fault") is None, etree.tostring(answer)
    assert answer.findtext(f".//{{{NS}}}QTY") == LARGEST


def test_over_soap_text_that_is_no_number_is_still_a_schema_fault(soap: Client) -> None:
    code, number = fault_of(post(soap, "Reserve", reserve_envelope("twelve")))
    assert code.endswith("Client.SchemaValidationError") and number is None
