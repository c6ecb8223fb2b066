"""Envelopes for the gateway's SOAP endpoint, and reading its answers, for tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
GW = "urn:reservation-gateway:soap:v1"
NS = {"soap": SOAP_ENV, "g": GW}
PATH = "/soap/gateway"


def envelope(operation: str, inner: str = "", header: str = "") -> bytes:
    """A SOAP 1.1 request; ``inner`` uses the prefix ``g:`` for the gateway's namespace."""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_ENV}" xmlns:g="{GW}">'
        f"<soapenv:Header>{header}</soapenv:Header>"
        f"<soapenv:Body><g:{operation}>{inner}</g:{operation}></soapenv:Body></soapenv:Envelope>"
    ).encode()


def basic(name: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def headers(operation: str, **extra: str) -> dict[str, str]:
    return {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation}"', **extra}


@dataclass(frozen=True)
class SoapFault:
    faultcode: str
    faultstring: str
    code: str
    message: str
    correlation_id: str
    errors: dict[str, str]


def fault_of(body: bytes) -> SoapFault:
    """The fault in a response body; fails the test if there is none."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    fault = root.find("soap:Body/soap:Fault", NS)
    assert fault is not None, body[:500]
    detail = fault.find("detail/g:GatewayFault", NS)
    assert detail is not None, body[:500]
    errors = {
        entry.findtext("g:field", namespaces=NS): entry.findtext("g:message", namespaces=NS)
        for entry in detail.iterfind("g:errors/g:FieldError", NS)
    }
    return SoapFault(
        faultcode=fault.findtext("faultcode") or "",
        faultstring=fault.findtext("faultstring") or "",
        code=detail.findtext("g:code", namespaces=NS) or "",
        message=detail.findtext("g:message", namespaces=NS) or "",
        correlation_id=detail.findtext("g:correlationId", namespaces=NS) or "",
        errors=errors,  # type: ignore[arg-type]
    )


def result_of(body: bytes, operation: str) -> Any:
    """The ``<operation>Result`` element of a successful answer."""
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    result = root.find(f"soap:Body/g:{operation}Response/g:{operation}Result", NS)
    assert result is not None, body[:500]
    return result


WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"


def security_header(
    name: str,
    password: str,
    digest: bool = False,
    nonce: bytes | None = None,
    created: str | None = None,
) -> str:
    """A WS-Security header with a UsernameToken (PasswordText or PasswordDigest)."""
    from gateway.auth.passwords import password_digest

    kind = "PasswordDigest" if digest else "PasswordText"
    value = password_digest(nonce or b"", created or "", password) if digest else password
    parts = [
        f"<wsse:Username>{name}</wsse:Username>",
        f'<wsse:Password Type="{PROFILE}#{kind}">{value}</wsse:Password>',
    ]
    if nonce is not None:
        parts.append(f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>")
    if created is not None:
        parts.append(f"<wsu:Created>{created}</wsu:Created>")
    return (
        f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}" soapenv:mustUnderstand="1">'
        f"<wsse:UsernameToken>{''.join(parts)}</wsse:UsernameToken></wsse:Security>"
    )
