"""The WSDL the sandbox serves is the checked-in contract, in operations and types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
from lxml import etree

CHECKED_IN = Path(__file__).parents[2] / "wsdl" / "inventory.wsdl"
NS = {
    "wsdl": "http://schemas.xmlsoap.org/wsdl/",
    "xs": "http://www.w3.org/2001/XMLSchema",
    "soap": "http://schemas.xmlsoap.org/wsdl/soap/",
}


def contract(document: bytes) -> dict[str, Any]:
    """Operations (with their messages and SOAP actions) and every type, order-independent."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    root = etree.fromstring(document, parser)
    operations = {
        op.get("name"): (
            op.find("wsdl:input", NS).get("message"),
            op.find("wsdl:output", NS).get("message"),
            tuple(sorted(f.get("message") for f in op.findall("wsdl:fault", NS))),
        )
        for op in root.iterfind("wsdl:portType/wsdl:operation", NS)
    }
    actions = {
        op.get("name"): op.find("soap:operation", NS).get("soapAction")
        for op in root.iterfind("wsdl:binding/wsdl:operation", NS)
    }
    types = {
        (etree.QName(node).localname, node.get("name")): etree.tostring(node, method="c14n")
        for node in root.iterfind("wsdl:types/xs:schema/*", NS)
    }
    transports = [b.get("transport") for b in root.iterfind("wsdl:binding/soap:binding", NS)]
    return {"operations": operations, "actions": actions, "types": types, "bindings": transports}


def test_served_wsdl_matches_the_checked_in_contract(sandbox: Any) -> None:
    served = requests.get(sandbox.describe()["inventoryUrl"] + "?wsdl", timeout=10)
    assert served.status_code == 200
    assert contract(served.content) == contract(CHECKED_IN.read_bytes())


def test_contract_has_the_batch_operations() -> None:
    operations = contract(CHECKED_IN.read_bytes())["operations"]
    assert {"GetBalances", "ListReservationsBySources", "Reserve", "PostTransaction"} <= set(
        operations
    )
    assert all(faults == ("tns:LEGACYFAULT",) for _, _, faults in operations.values())


def test_a_changed_type_is_detected_as_drift() -> None:
    original = CHECKED_IN.read_bytes()
    tampered = original.replace(b'name="QTYOH" type="xs:decimal"', b'name="QTYOH" type="xs:float"')
    assert tampered != original
    assert contract(tampered) != contract(original)
