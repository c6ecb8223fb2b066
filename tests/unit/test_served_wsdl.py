"""The served WSDL as foreign toolkits read it (issue 12.1, 12.5): a WS-I Basic Profile style
check of our own, the types they map, and GET/HEAD with a strong ETag."""

from __future__ import annotations

from collections import Counter

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from spyne.interface.wsdl import Wsdl11

from gateway.app import create_app
from gateway.soap.service import create_gateway_application
from gateway.soap.wsdl import QNAME_ATTRIBUTES, SOAP_OVER_HTTP
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders
from tests.soap_helpers import GW, PATH

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP11 = "http://schemas.xmlsoap.org/wsdl/soap/"
XSD = "http://www.w3.org/2001/XMLSchema"
NS = {"wsdl": WSDL, "soap": SOAP11, "xs": XSD}
ORDER = ["types", "message", "portType", "binding", "service"]
"""WSDL 1.1 §2.1's order of a definitions' children (WS-I BP R2023 for the first four)."""
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def wsdl_problems(document: bytes) -> list[str]:
    """What a WS-I Basic Profile 1.1 style check finds wrong; empty when nothing is."""
    root = etree.fromstring(document, PARSER)
    return [
        *_parts_are_elements(root),
        *_one_part_per_body(root),
        *_unique_soap_actions(root),
        *_unused_namespaces(root),
        *_children_in_order(root),
        *_soap11_document_literal_only(root),
    ]


def _parts_are_elements(root: etree._Element) -> list[str]:  # R2204: document/literal
    return [
        f"part {part.get('name')} of message {message.get('name')} is not an element"
        for message in root.iterfind("wsdl:message", NS)
        for part in message.iterfind("wsdl:part", NS)
        if part.get("element") is None or part.get("type") is not None
    ]


def _one_part_per_body(root: etree._Element) -> list[str]:  # R2201
    return [
        f"message {message.get('name')} has {len(parts)} parts"
        for message in root.iterfind("wsdl:message", NS)
        if len(parts := message.findall("wsdl:part", NS)) != 1
    ]


def _unique_soap_actions(root: etree._Element) -> list[str]:  # R2710: operations tell apart
    actions = Counter(op.get("soapAction") for op in root.iterfind(".//soap:operation", NS))
    return [f"soapAction {action!r} used {n} times" for action, n in actions.items() if n > 1]


def _unused_namespaces(root: etree._Element) -> list[str]:
    used: set[str | None] = set()
    for node in root.iter(etree.Element):
        used.add(node.prefix)
        for name in QNAME_ATTRIBUTES:
            if ":" in (node.get(name) or ""):
                used.add(node.get(name).split(":", 1)[0])
    declared = {prefix for node in root.iter(etree.Element) for prefix in _declared_on(node)}
    return [f"namespace prefix {prefix!r} declared, never used" for prefix in declared - used]


def _declared_on(node: etree._Element) -> dict[str | None, str]:
    parent = node.getparent()
    inherited = parent.nsmap if parent is not None else {}
    return {p: uri for p, uri in node.nsmap.items() if inherited.get(p) != uri}


def _children_in_order(root: etree._Element) -> list[str]:
    names = [etree.QName(child).localname for child in root.iterchildren(etree.Element)]
    ranks = [ORDER.index(name) for name in names if name in ORDER]
    return [] if ranks == sorted(ranks) else [f"definitions' children out of order: {names}"]


def _soap11_document_literal_only(root: etree._Element) -> list[str]:
    problems = [
        f"binding {binding.get('name')} is not SOAP 1.1 document over HTTP"
        for binding in root.iterfind("wsdl:binding", NS)
        if binding.find("soap:binding", NS) is None
        or binding.find("soap:binding", NS).get("transport") != SOAP_OVER_HTTP
        or binding.find("soap:binding", NS).get("style") != "document"
    ]
    uses = {body.get("use") for body in root.iterfind(".//soap:body", NS)}
    return problems + ([] if uses == {"literal"} else [f"soap:body uses {uses}"])


def spyne_as_is() -> bytes:
    """What spyne itself serves, before gateway/soap/wsdl.py cleans it."""
    application = create_gateway_application()
    application.transport = SOAP_OVER_HTTP
    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document("http://localhost/soap/gateway")
    return bytes(wsdl.get_interface_document())


def soap_app(**settings: str) -> Flask:
    adapters = Adapters(FakeInventory(), FakeWorkOrders(), FakeTokenValidator())
    return create_app({"TESTING": True, "DATABASE_URL": "sqlite://", **settings}, adapters=adapters)


@pytest.fixture(scope="module")
def app() -> Flask:
    return soap_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="module")
def served(app: Flask) -> bytes:
    response = app.test_client().get(PATH + "?wsdl")
    assert response.status_code == 200
    return response.data


def test_the_served_wsdl_passes_the_checker(served: bytes) -> None:
    assert wsdl_problems(served) == []


def test_the_checker_finds_what_spyne_alone_serves_wrong() -> None:
    problems = wsdl_problems(spyne_as_is())
    assert "namespace prefix 'wsdlsoap12' declared, never used" in problems
    assert any(problem.startswith("definitions' children out of order") for problem in problems)


def test_the_checker_finds_a_part_by_type_a_second_part_and_a_repeated_action(
    served: bytes,
) -> None:
    tampered = served.replace(
        b'<wsdl:part name="GetStockLevel" element="tns:GetStockLevel"/>',
        b'<wsdl:part name="GetStockLevel" type="tns:GetStockLevel"/><wsdl:part name="x" '
        b'element="tns:Source"/>',
    ).replace(b'soapAction="ReleaseReservation"', b'soapAction="GetStockLevel"')
    problems = wsdl_problems(tampered)
    assert "part GetStockLevel of message GetStockLevel is not an element" in problems
    assert "message GetStockLevel has 2 parts" in problems
    assert "soapAction 'GetStockLevel' used 2 times" in problems


def test_only_the_soap_11_binding_is_declared(served: bytes) -> None:
    assert b"soap12" not in served and b"2003/05/soap-envelope" not in served
    root = etree.fromstring(served, PARSER)
    assert set(root.nsmap) == {"wsdl", "wsdlsoap11", "xs", "tns"}
    assert etree.QName(root[-1]).localname == "service"


def test_optional_elements_are_not_nillable(served: bytes) -> None:
    root = etree.fromstring(served, PARSER)
    elements = list(root.iterfind(".//xs:complexType//xs:element", NS))
    optional = [element for element in elements if element.get("minOccurs") == "0"]
    assert len(optional) > 90  # what JAX-WS wrapped in JAXBElement before
    assert [e.get("name") for e in elements if e.get("nillable") is not None] == []


def test_counts_and_priorities_are_ints_and_quantities_stay_decimals(served: bytes) -> None:
    root = etree.fromstring(served, PARSER)
    assert b"xs:integer" not in served
    fields = {
        (complex_type.get("name"), element.get("name")): element.get("type")
        for complex_type in root.iterfind(".//xs:complexType", NS)
        for element in complex_type.iterfind("xs:sequence/xs:element", NS)
    }
    assert fields[("Reservation", "priority")] == "xs:int"
    assert fields[("ReservationPage", "total")] == "xs:long"
    assert fields[("MaterialReservations", "operation")] == "xs:int"
    assert fields[("Reservation", "quantity")] == "xs:decimal"
    assert fields[("StockLevel", "onHand")] == "xs:decimal"
    bases = {
        simple.get("name"): simple.find("xs:restriction", NS).get("base")
        for simple in root.iterfind(".//xs:simpleType", NS)
    }
    assert (bases["Priority"], bases["Limit"], bases["Offset"]) == ("xs:int", "xs:int", "xs:long")


def test_head_and_get_carry_the_same_strong_etag_and_head_no_body(client: FlaskClient) -> None:
    got, head = client.get(PATH + "?wsdl"), client.head(PATH + "?wsdl")
    assert (got.status_code, head.status_code) == (200, 200)
    etag = got.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 10  # strong: no W/
    assert head.headers["ETag"] == etag
    assert head.data == b""
    assert head.headers["Content-Length"] == str(len(got.data))
    assert head.headers["Content-Type"].startswith("text/xml")


def test_the_etag_is_the_same_from_a_fresh_app_and_changes_with_the_document(
    client: FlaskClient,
) -> None:
    etag = client.get(PATH + "?wsdl").headers["ETag"]
    assert soap_app().test_client().head(PATH + "?wsdl").headers["ETag"] == etag
    other = soap_app(PUBLIC_URL="https://gateway.plant-b.example")
    assert other.test_client().head(PATH + "?wsdl").headers["ETag"] != etag


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_if_none_match_with_the_etag_is_304_without_a_body(
    client: FlaskClient, method: str
) -> None:
    etag = client.get(PATH + "?wsdl").headers["ETag"]
    for held in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        answer = client.open(PATH + "?wsdl", method=method, headers={"If-None-Match": held})
        assert (answer.status_code, answer.data) == (304, b""), held
        assert answer.headers["ETag"] == etag


def test_if_none_match_with_another_etag_gets_the_document(client: FlaskClient) -> None:
    answer = client.get(PATH + "?wsdl", headers={"If-None-Match": '"an-older-wsdl"'})
    assert answer.status_code == 200 and b"<wsdl:definitions" in answer.data


def test_xsd_serves_the_schema_alone_and_it_validates_a_request(
    client: FlaskClient, served: bytes
) -> None:
    answer = client.get(PATH + "?xsd")
    assert answer.status_code == 200
    assert answer.headers["ETag"] != client.head(PATH + "?wsdl").headers["ETag"]
    schema = etree.XMLSchema(etree.fromstring(answer.data, PARSER))
    good = f'<GetStockLevel xmlns="{GW}"><itemSkuId>RM-1</itemSkuId><warehouseId>W01</warehouseId>'
    assert schema.validate(etree.fromstring(good + "</GetStockLevel>"))
    assert not schema.validate(etree.fromstring(f'<GetStockLevel xmlns="{GW}"/>'))


def test_other_methods_and_paths_are_still_refused(client: FlaskClient) -> None:
    assert client.head(PATH).status_code == 405
    refused = client.put(PATH + "?wsdl")
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD, POST"
