"""Every error becomes a SOAP 1.1 fault whose detail carries the §6 code, in one place.

``soap:Client`` for codes answered below 500 over REST, ``soap:Server`` for the rest, and
``soap:VersionMismatch`` for an envelope of another SOAP version (SOAP 1.1 §4.4.1); the detail is
one ``GatewayFault`` element (code, message, correlationId, field errors). No fault carries a
``faultactor``: the gateway is the call's ultimate destination, for which SOAP 1.1 §4.4 makes it
optional, and spyne's and the gate's faults read alike (decision 111). No stack trace ever
leaves: unexpected errors are logged and answered as ``internal.error``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from lxml import etree
from lxml.builder import E
from spyne import Fault
from spyne.protocol.soap import Soap11

from gateway.domain.errors import STATUS_BY_CODE, GatewayError, RequestInvalid
from gateway.soap.context import CONTEXT_KEY
from gateway.soap.types import NAMESPACE, GatewayFault

log = logging.getLogger(__name__)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
INTERNAL = ("internal.error", "Something went wrong on our side")
_SCHEMA_ERROR = re.compile(r"Element '(?:\{[^}]*\})?([^']+)': (.*)", re.S)


def fault_for(error: GatewayError, correlation_id: str | None) -> GatewayFault:
    """The fault for a domain or port error; unknown codes are internal errors."""
    if error.code not in STATUS_BY_CODE or error.code == "internal.error":
        log.error("unhandled error (correlation id %s)", correlation_id, exc_info=error)
        return new_fault(*INTERNAL, correlation_id)
    errors = error.errors if isinstance(error, RequestInvalid) else None
    return new_fault(error.code, error.detail, correlation_id, errors)


def internal_fault(error: BaseException, correlation_id: str | None) -> GatewayFault:
    """A bug on our side: the trace goes to the log, the caller gets the correlation id."""
    log.error("unhandled error (correlation id %s)", correlation_id, exc_info=error)
    return new_fault(*INTERNAL, correlation_id)


def new_fault(
    code: str,
    message: str,
    correlation_id: str | None,
    errors: dict[str, Any] | None = None,
    faultcode: str | None = None,
) -> GatewayFault:
    """A fault for a §6 code; ``faultcode`` only where SOAP names the failure itself."""
    side = faultcode or ("Client" if STATUS_BY_CODE[code] < 500 else "Server")
    detail = _detail(code, message, correlation_id, errors or {})
    return GatewayFault(faultcode=side, faultstring=message, detail=detail)


def fault_document(fault: GatewayFault) -> bytes:
    """A whole SOAP 1.1 fault envelope, for answers made before spyne is involved."""
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap11env": SOAP_ENV})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body")
    element = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap11env:{fault.faultcode}"
    etree.SubElement(element, "faultstring").text = fault.faultstring
    etree.SubElement(element, "detail").append(fault.detail)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _detail(
    code: str, message: str, correlation_id: str | None, errors: dict[str, Any]
) -> etree._Element:
    root = etree.Element(f"{{{NAMESPACE}}}GatewayFault", nsmap={"tns": NAMESPACE})
    _child(root, "code", code)
    _child(root, "message", message)
    _child(root, "correlationId", correlation_id or "")
    if errors:
        listing = _child(root, "errors", None)
        for field, messages in errors.items():
            for text in messages if isinstance(messages, list) else [messages]:
                entry = _child(listing, "FieldError", None)
                _child(entry, "field", str(field))
                _child(entry, "message", str(text))
    return root


def _child(parent: etree._Element, name: str, text: str | None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    element.text = text
    return element


def _from_spyne(fault: Fault, correlation_id: str | None) -> GatewayFault:
    """spyne's own faults (schema validation, unknown operation, bad XML) with a §6 code."""
    if not str(fault.faultcode).startswith("Client"):
        return internal_fault(fault, correlation_id)
    text = (
        fault.faultstring.decode()
        if isinstance(fault.faultstring, bytes)
        else str(fault.faultstring)
    )
    found = _SCHEMA_ERROR.search(text)
    if found:
        field, problem = found.group(1), " ".join(found.group(2).split())
        return new_fault(
            "request.invalid", "The request is not valid", correlation_id, {field: [problem]}
        )
    return new_fault("request.invalid", text.strip() or "The request is not valid", correlation_id)


class GatewaySoap11(Soap11):
    """spyne's SOAP 1.1 output, with every fault a GatewayFault and nothing else in it."""

    def serialize(self, ctx: Any, message: Any) -> Any:
        error = ctx.out_error
        if error is not None and not isinstance(error, GatewayFault):
            call = ctx.transport.req_env.get(CONTEXT_KEY)
            correlation_id = call.correlation_id if call else None
            ctx.out_error = (
                _from_spyne(error, correlation_id)
                if isinstance(error, Fault)
                else internal_fault(error, correlation_id)
            )
        return super().serialize(ctx, message)

    def fault_to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: Any, *a: Any, **kw: Any
    ) -> Any:
        # spyne's own writes an empty <faultactor/>; the gate's faults have none (module doc).
        # GatewayFault's members describe its detail in the WSDL; they are not Fault children.
        children = [
            E("faultcode", f"{self.soap_env}:{inst.faultcode}"),
            E("faultstring", inst.faultstring),
        ]
        return self._fault_to_parent_impl(ctx, Fault, inst, parent, ns, children)
