"""A WSDL's contract in comparable form: operations, SOAP actions, types, bindings."""

from __future__ import annotations

from typing import Any

from lxml import etree

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
