"""The inventory's answers read with lxml (adapters/inventory_answers.py, decision 154): the same
records zeep's reading gave, the same refusals, the hostile-XML checks on the one tree."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import responses
import zeep
import zeep.exceptions
from zeep.helpers import serialize_object
from zeep.wsdl.utils import etree_to_string

from adapters import legacy_inventory as legacy
from adapters.inventory_answers import (
    FailedStatus,
    LegacyFault,
    UnreadableAnswer,
    UnsafeAnswer,
)
from adapters.inventory_soap import (
    BINDING,
    HARDENED,
    InventorySoapClient,
    _answer_readers,
    parsed_wsdl,
)
from adapters.legacy_inventory import LegacyDataError, PlantClock
from gateway.domain.model import ReleaseReason
from tests.fakes import FakeTokens

ROOT = Path(__file__).parents[2]
WSDL = str(ROOT / "wsdl" / "inventory.wsdl")
RELEASE_ANSWER = (ROOT / "tests" / "legacy_messages" / "release_answer.xml").read_text()
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?><e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/'
    'envelope/" xmlns:t="urn:legacy-erp:inventory:v1" xmlns:xsi="http://www.w3.org/2001/'
    'XMLSchema-instance"><e:Body>{}</e:Body></e:Envelope>'
)
RSV = (
    "<t:RSVNO>7</t:RSVNO><t:ITEMNO>RM-1002           </t:ITEMNO><t:WHSE>W02</t:WHSE><t:LOC/>"
    "<t:QTY>1.500</t:QTY><t:RSVTYP>S</t:RSVTYP><t:SRCTYP>SO</t:SRCTYP><t:SRCID>SO-7</t:SRCID>"
    "<t:PRIO>50</t:PRIO><t:RSVSTS>O</t:RSVSTS><t:OWNER>PLANT-A</t:OWNER>"
    "<t:CRTDTM>20261102090000</t:CRTDTM>"
)
WHSBAL = (
    "<t:WHSE>W02</t:WHSE><t:QTYOH>100.000</t:QTYOH><t:QTYRSV>2.5</t:QTYRSV>"
    "<t:MINSTK>0.000</t:MINSTK><t:OWNER>PLANT-A</t:OWNER>"
)
ITEMBAL = (
    "<t:ITEMNO>RM-1002</t:ITEMNO><t:STKTRK>Y</t:STKTRK>"
    f"<t:BALANCES><t:WHSBAL>{WHSBAL}</t:WHSBAL></t:BALANCES>"
)
DOUBLE = '<t:QTY xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:double">'
STRING = DOUBLE.replace("xs:double", "xs:string")
TRN = "<t:TRN><t:QTY>-2</t:QTY></t:TRN>"
WHOLE_TRN = (
    "<t:TRN><t:TRNNO>9</t:TRNNO><t:REFNO>CN-1</t:REFNO><t:ITEMNO>RM-1002</t:ITEMNO>"
    "<t:WHSE>W02</t:WHSE><t:QTY>-1.5</t:QTY><t:TRNTYP>CNS</t:TRNTYP>"
    "<t:TRNDTM>20261102091000</t:TRNDTM><t:SRCTYP>SO</t:SRCTYP><t:SRCID>SO-7</t:SRCID>"
    "<t:QTYPRV>10</t:QTYPRV><t:QTYNEW>8.5</t:QTYNEW></t:TRN>"
)


def answer(operation: str, result: str) -> str:
    wrapped = f"<t:{operation}Result>{result}</t:{operation}Result>"
    return ENVELOPE.format(f"<t:{operation}Response>{wrapped}</t:{operation}Response>")


def reservation_with(old: str, new: str) -> str:
    """A GetReservation answer, ``old`` replaced by ``new`` in its record."""
    return answer("GetReservation", RSV.replace(old, new))


READABLE = {
    "a release (the legacy sample)": ("Release", RELEASE_ANSWER),
    "a reservation": ("GetReservation", answer("GetReservation", RSV)),
    "a listing": ("ListReservations", answer("ListReservations", f"<t:RSV>{RSV}</t:RSV>" * 3)),
    "an empty listing": ("ListReservations", answer("ListReservations", "")),
    "a page": ("SearchReservations", answer(
        "SearchReservations", f"<t:TOTAL>9</t:TOTAL><t:ROWS><t:RSV>{RSV}</t:RSV></t:ROWS>")),
    "a balance": ("GetBalance", answer("GetBalance", ITEMBAL)),
    "balances": ("GetBalances", answer("GetBalances", f"<t:ITEMBAL>{ITEMBAL}</t:ITEMBAL>")),
    "a consumption": ("Consume", answer("Consume", f"<t:RSV>{RSV}</t:RSV>{TRN}")),
    "an expiry change": ("ChangeExpiry", answer("ChangeExpiry", RSV)),
    "unqualified fields": ("GetReservation", reservation_with("t:", "")),
    "comments": ("GetReservation", answer("GetReservation", f"<!-- a -->{RSV}<!-- b -->")),
    "nil fields": ("GetReservation", reservation_with("<t:LOC/>", '<t:LOC xsi:nil="true"/>')),
    "a padded decimal": ("GetReservation", reservation_with("1.500", " 1.500\n")),
    "an integer zeep could not read": ("GetReservation", reservation_with(">50<", ">5.0<")),
    "a quantity typed xs:double": ("GetReservation", reservation_with("<t:QTY>", DOUBLE)),
    "a quantity typed xs:string": ("GetReservation", reservation_with("<t:QTY>", STRING)),
    "a record without fields": ("GetReservation", answer("GetReservation", "")),
}  # fmt: skip
UNEXPECTED = {
    "an extra element": RSV + "<t:EXTRA>1</t:EXTRA>",
    "an element twice": RSV.replace("<t:WHSE>", "<t:WHSE>W01</t:WHSE><t:WHSE>", 1),
    "elements out of order": RSV.replace("<t:RSVNO>7</t:RSVNO>", "") + "<t:RSVNO>7</t:RSVNO>",
    "an element of another namespace": RSV.replace("<t:LOC/>", '<LOC xmlns="urn:other"/>'),
    "a processing instruction": RSV + "<?pi here?>",
}


@pytest.fixture(scope="module")
def zeep_client() -> zeep.Client:
    return zeep.Client(parsed_wsdl(WSDL), settings=HARDENED)


def zeep_records(client: zeep.Client, operation: str, body: str) -> Any:
    """The records zeep's own reading of the answer gave (before decision 154)."""
    binding: Any = client.wsdl.bindings[BINDING]  # a Soap11Binding: it has process_reply
    reply = SimpleNamespace(status_code=200, content=body.encode(), headers={}, encoding="utf-8")
    return serialize_object(binding.process_reply(client, binding.get(operation), reply), dict)


def without_absent(value: Any) -> Any:
    """zeep's dicts name every field (None when absent); the reader's only those it met."""
    if isinstance(value, dict):
        return {k: without_absent(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_absent(v) for v in value]
    return value


def read(operation: str, body: str | bytes, status: int = 200, max_depth: int = 100) -> Any:
    document = parsed_wsdl(WSDL)
    data = body.encode() if isinstance(body, str) else body
    return _answer_readers(WSDL, document, max_depth)[operation].read(status, data)


@pytest.mark.parametrize("case", READABLE)
def test_the_records_are_those_zeep_read(zeep_client: zeep.Client, case: str) -> None:
    operation, body = READABLE[case]
    expected = zeep_records(zeep_client, operation, body)
    assert without_absent(read(operation, body)) == without_absent(expected)


def test_quantities_are_exact_decimals_and_priorities_integers() -> None:
    record = read("GetReservation", answer("GetReservation", RSV))
    assert record["QTY"] == Decimal("1.500") and str(record["QTY"]) == "1.500"
    assert record["PRIO"] == 50 and record["ITEMNO"] == "RM-1002           "


def test_a_decimal_the_answer_garbles_is_left_as_text_for_the_translation_to_refuse() -> None:
    record = read("GetReservation", reservation_with("1.500", "1,5"))
    assert record["QTY"] == "1,5"


def test_a_quantity_typed_as_a_double_reads_as_the_float_the_translation_refuses() -> None:
    record = read("GetReservation", reservation_with("<t:QTY>", DOUBLE))
    assert isinstance(record["QTY"], float)  # decision 011: refused by legacy.decimal
    with pytest.raises(LegacyDataError, match="QTY is not a decimal"):
        legacy.decimal(record["QTY"], "QTY")


@pytest.mark.parametrize("case", UNEXPECTED)
def test_an_answer_zeep_refused_as_unexpected_is_refused(
    zeep_client: zeep.Client, case: str
) -> None:
    body = answer("GetReservation", UNEXPECTED[case])
    with pytest.raises((zeep.exceptions.XMLParseError, ValueError)):
        zeep_records(zeep_client, "GetReservation", body)
    with pytest.raises(UnreadableAnswer) as refused:
        read("GetReservation", body)
    assert refused.value.reason == "XMLParseError"


@pytest.mark.parametrize(
    "doctype",
    ["<!DOCTYPE e:Envelope>", '<!DOCTYPE e [<!ENTITY a "b">]>', '<!DOCTYPE e SYSTEM "x.dtd">'],
)
def test_a_doctype_is_refused_whatever_it_declares(doctype: str) -> None:
    body = answer("GetReservation", RSV).replace("?>", "?>" + doctype, 1)
    with pytest.raises(UnsafeAnswer, match="DOCTYPE"):
        read("GetReservation", body)


def nested(depth: int) -> str:
    """An answer whose deepest element is ``depth`` levels down (the envelope is level 1)."""
    inside = depth - 5  # Envelope, Body, Response, Result and LOC are the first five levels
    return reservation_with("<t:LOC/>", f"<t:LOC>{'<a>' * inside}{'</a>' * inside}</t:LOC>")


def test_nesting_to_the_depth_limit_reads_and_one_deeper_is_refused() -> None:
    assert read("GetReservation", nested(100))["RSVNO"] == "7"
    with pytest.raises(UnsafeAnswer, match="nested deeper than 100"):
        read("GetReservation", nested(101))
    with pytest.raises(UnsafeAnswer, match="nested deeper than 20"):
        read("GetReservation", nested(21), max_depth=20)


@pytest.mark.parametrize("status", [200, 500, 503])
def test_a_body_that_breaks_after_a_doctype_or_past_the_depth_is_refused_not_read_as_a_status(
    status: int,
) -> None:
    for body in ['<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</y>', "<a>" * 120 + "</b>", "<a>" * 10_000]:
        with pytest.raises(UnsafeAnswer):
            read("GetItem", body, status)


@pytest.mark.parametrize("status", [200, 404, 500, 503])
def test_a_body_that_is_not_xml_is_read_by_its_status(status: int) -> None:
    with pytest.raises(FailedStatus) as failed:
        read("GetItem", "inventory system busy", status)
    assert failed.value.status == status


def test_an_empty_body_is_nothing_when_accepted_and_a_failed_status_otherwise() -> None:
    assert read("GetItem", b"", 202) is None
    with pytest.raises(FailedStatus):
        read("GetItem", b"", 500)


def test_a_fault_carries_its_faultstring_and_detail() -> None:
    fault = (
        "<e:Fault><faultcode>e:Client</faultcode><faultstring>NO SUCH ITEM</faultstring>"
        "<detail><t:LEGACYERR><t:ERRNO>100</t:ERRNO></t:LEGACYERR></detail></e:Fault>"
    )
    with pytest.raises(LegacyFault) as raised:
        read("GetItem", ENVELOPE.format(fault), 500)
    assert raised.value.message == "NO SUCH ITEM"
    assert raised.value.detail is not None and raised.value.detail.findtext(".//{*}ERRNO") == "100"


def test_an_envelope_without_a_body_is_unreadable() -> None:
    with pytest.raises(UnreadableAnswer):
        read("GetItem", '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"/>')


def test_a_failed_status_without_a_fault_is_read_by_its_status() -> None:
    with pytest.raises(FailedStatus) as failed:
        read("GetReservation", answer("GetReservation", RSV), 503)
    assert failed.value.status == 503


@responses.activate
def test_the_request_is_the_envelope_and_headers_zeep_s_binding_sends() -> None:
    endpoint = "http://inventory.test/soap/inventory"
    responses.post(endpoint, body=RELEASE_ANSWER, content_type="text/xml")
    adapter = InventorySoapClient(
        endpoint, WSDL, requests.Session(), FakeTokens("tok"), "api://inventory/.default",
        PlantClock("Europe/Berlin"),
    )  # fmt: skip
    adapter.release("42", ReleaseReason.RELEASED, reference="RL-1")
    client = zeep.Client(parsed_wsdl(WSDL), settings=HARDENED)
    service = client.create_service(BINDING, endpoint)
    arguments = {"RSVNO": "42", "RELRSN": "R", "REFNO": "RL-1", "_soapheaders": []}
    envelope, headers = service._binding._create("Release", (), arguments, client=client)
    sent = responses.calls[0].request
    assert sent.body == etree_to_string(envelope)
    assert {name: sent.headers[name] for name in headers} == headers
    assert list(headers) == ["SOAPAction", "Content-Type"]
    assert sent.headers["User-Agent"].startswith("Zeep/")


@responses.activate
@pytest.mark.parametrize(
    ("call", "operation", "arguments"),
    [
        (lambda a: a.consume("42", "CN-1"), "Consume",
         {"RSVNO": "42", "REFNO": "CN-1", "QTY": None, "RELREM": "N"}),
        (lambda a: a.consume("42", "CN-2", Decimal("2.5"), release_remainder=True), "Consume",
         {"RSVNO": "42", "REFNO": "CN-2", "QTY": Decimal("2.5"), "RELREM": "Y"}),
        (lambda a: a.change_expiry("42", None, "EX-1"), "ChangeExpiry",
         {"RSVNO": "42", "EXPDT": "", "REFNO": "EX-1"}),
    ],
    ids=["whole-consume", "partial-consume", "expiry-cleared"],
)  # fmt: skip
def test_the_new_writes_send_the_envelope_zeep_s_binding_builds(
    call: Any, operation: str, arguments: dict[str, Any]
) -> None:
    endpoint = "http://inventory.test/soap/inventory"
    answers = {"Consume": f"<t:RSV>{RSV}</t:RSV>{WHOLE_TRN}", "ChangeExpiry": RSV}
    responses.post(endpoint, body=answer(operation, answers[operation]), content_type="text/xml")
    adapter = InventorySoapClient(
        endpoint, WSDL, requests.Session(), FakeTokens("tok"), "api://inventory/.default",
        PlantClock("Europe/Berlin"),
    )  # fmt: skip
    answered = call(adapter)
    assert getattr(answered, "reservation", answered).id == "7"
    client = zeep.Client(parsed_wsdl(WSDL), settings=HARDENED)
    service = client.create_service(BINDING, endpoint)
    expected, _ = service._binding._create(
        operation, (), {**arguments, "_soapheaders": []}, client=client
    )
    sent = responses.calls[0].request
    assert sent.body == etree_to_string(expected)
    assert sent.headers["SOAPAction"] == f'"{operation}"'
