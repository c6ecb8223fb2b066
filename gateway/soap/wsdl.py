"""The gateway's WSDL, generated from the spyne service and sorted into a stable document.

``python -m gateway.soap > wsdl/gateway.wsdl`` (``make wsdl``) regenerates the checked-in
contract; a test fails when it and the served ``?wsdl`` drift apart.
"""

from __future__ import annotations

import threading

from lxml import etree
from spyne.interface.wsdl import Wsdl11

from gateway.soap.service import create_gateway_application

PLACEHOLDER_ADDRESS = "http://localhost:8080/soap/gateway"
SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"
XS = "{http://www.w3.org/2001/XMLSchema}schema"


def gateway_wsdl(address: str = PLACEHOLDER_ADDRESS) -> bytes:
    """The WSDL with ``address`` as the service's location, pretty-printed and sorted."""
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
    return etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8")


class WsdlDocuments:
    """The served WSDL for an address (the configured public URL or the bind address, never a
    request header); the few addresses a process serves are kept."""

    def __init__(self, keep: int = 8) -> None:
        self._keep = keep
        self._documents: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def for_address(self, address: str) -> bytes:
        with self._lock:
            if address in self._documents:
                return self._documents[address]
        document = gateway_wsdl(address)
        with self._lock:
            if len(self._documents) >= self._keep:  # bounded, whatever the settings change to
                self._documents.clear()
            self._documents[address] = document
        return document
