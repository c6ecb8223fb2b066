"""The gateway's WSDL, generated from the spyne service and cleaned for foreign toolkits.

spyne's document is post-processed (decision 110), not forked: only the namespaces it uses are
declared (gSOAP's wsdl2h makes a SOAP 1.2 client when it sees ``xmlns:wsdlsoap12``), the
``service`` comes after ``portType`` and ``binding``, optional elements are ``minOccurs="0"``
without ``nillable`` (nil means nothing here that absence does not), and schema types are sorted
into a stable order. ``python -m gateway.soap > wsdl/gateway.wsdl`` (``make wsdl``) regenerates
the checked-in contract; a test fails when it and the served ``?wsdl`` drift apart.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

from lxml import etree
from spyne.interface.wsdl import Wsdl11

from gateway.soap.service import create_gateway_application

PLACEHOLDER_ADDRESS = "http://localhost:8080/soap/gateway"
SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSD = "http://www.w3.org/2001/XMLSchema"
XS = f"{{{XSD}}}schema"
QNAME_ATTRIBUTES = ("type", "element", "base", "ref", "message", "binding", "itemType")
"""Attributes whose values are QNames: their prefixes count as used."""
NIL_MEANS_SOMETHING: frozenset[str] = frozenset()
"""``complexType/element`` names kept nillable; none: an absent element already says "none"."""


def gateway_wsdl(address: str = PLACEHOLDER_ADDRESS) -> bytes:
    """The WSDL with ``address`` as the service's location, cleaned, pretty-printed, sorted."""
    application = create_gateway_application()
    application.transport = SOAP_OVER_HTTP  # what spyne's WSGI server would declare
    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(address)
    tree = etree.fromstring(wsdl.get_interface_document())
    for schema in tree.iter(XS):
        # spyne emits types in an order that changes between runs; sort for a stable file
        schema[:] = sorted(
            schema, key=lambda node: (etree.QName(node).localname, node.get("name", ""))
        )
    _drop_meaningless_nils(tree)
    _put_service_last(tree)
    tree = _with_used_namespaces_only(tree)
    return etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def schema_of(wsdl: bytes) -> bytes:
    """The WSDL's schema as a document of its own (``?xsd``), with the namespaces it uses."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    root = etree.fromstring(wsdl, parser)
    schema = root.find(f"{{{WSDL}}}types/{XS}")
    if schema is None:
        raise ValueError("the WSDL has no schema")
    standalone = etree.Element(XS, dict(schema.attrib), nsmap=_used(schema, schema.nsmap))
    standalone.extend(schema)
    return etree.tostring(standalone, pretty_print=True, xml_declaration=True, encoding="UTF-8")


def _drop_meaningless_nils(tree: etree._Element) -> None:
    """spyne marks every optional element nillable; JAX-WS then wraps each in a JAXBElement.
    Its output omits an optional element that is None, so nothing it sends is nil."""
    for element in tree.iter(f"{{{XSD}}}element"):
        if element.get("minOccurs") == "0" and element.get("name") not in NIL_MEANS_SOMETHING:
            element.attrib.pop("nillable", None)


def _put_service_last(tree: etree._Element) -> None:
    """WSDL 1.1 toolkits read top-down; a few look for a service's binding before it is read."""
    for service in tree.findall(f"{{{WSDL}}}service"):
        tree.append(service)  # moves it


def _with_used_namespaces_only(tree: etree._Element) -> etree._Element:
    """The same document with only the namespace declarations its names and QNames use."""
    used = _used(tree, tree.nsmap)
    root = etree.Element(tree.tag, dict(tree.attrib), nsmap=used)
    root.text = tree.text
    root.extend(tree)
    etree.cleanup_namespaces(root, keep_ns_prefixes=[prefix for prefix in used if prefix])
    return root


def _used(tree: etree._Element, declared: dict[str | None, str]) -> dict[str | None, str]:
    prefixes = set()
    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        prefixes.add(node.prefix)
        for name in node.attrib:
            if name.startswith("{"):
                prefixes.add(_prefix_of(node, etree.QName(name).namespace))
        for name in QNAME_ATTRIBUTES:
            value = node.get(name)
            if value and ":" in value:
                prefixes.add(value.split(":", 1)[0])
    return {prefix: uri for prefix, uri in declared.items() if prefix in prefixes}


def _prefix_of(node: etree._Element, namespace: str | None) -> str | None:
    return next((p for p, uri in node.nsmap.items() if uri == namespace), None)


@dataclass(frozen=True)
class Served:
    """A document as served: its bytes and a strong ETag made from them."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> Served:
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


class WsdlDocuments:
    """The served WSDL and schema for an address (the configured public URL or the bind
    address, never a request header); the few addresses a process serves are kept."""

    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._documents: dict[str, tuple[Served, Served]] = {}
        self._lock = threading.Lock()

    def wsdl(self, address: str) -> Served:
        """The WSDL whose service is at ``address``."""
        return self._both(address)[0]

    def schema(self, address: str) -> Served:
        """The WSDL's schema alone (``?xsd``)."""
        return self._both(address)[1]

    def _both(self, address: str) -> tuple[Served, Served]:
        with self._lock:
            if address in self._documents:
                return self._documents[address]
        document = gateway_wsdl(address)
        both = (Served.of(document), Served.of(schema_of(document)))
        with self._lock:
            if len(self._documents) >= self._keep:  # bounded, whatever the settings change to
                self._documents.clear()
            self._documents[address] = both
        return both
