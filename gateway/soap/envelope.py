"""Reading a SOAP 1.1 envelope before spyne does: its operation and its WS-Security header."""

from __future__ import annotations

import base64
import binascii

from lxml import etree

from gateway.auth.legacy_clients import UsernameToken
from gateway.domain.errors import Unauthenticated

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DIGEST = "#PasswordDigest"
NS = {"env": SOAP_ENV, "wsse": WSSE, "wsu": WSU}


class NotAnEnvelope(ValueError):
    """The document is not a SOAP 1.1 envelope with a body."""


class OtherSoapVersion(NotAnEnvelope):
    """An ``Envelope`` in another namespace than SOAP 1.1's: a SOAP 1.1 ``VersionMismatch``."""


def operation_of(root: etree._Element) -> str:
    """The local name of the body's first element: the operation a wrapped call asks for."""
    if root.tag != f"{{{SOAP_ENV}}}Envelope":
        name = etree.QName(root)
        if name.localname == "Envelope":
            raise OtherSoapVersion(
                f"the envelope's namespace is {name.namespace or 'none'!r}; "
                f"this endpoint speaks SOAP 1.1 ({SOAP_ENV})"
            )
        raise NotAnEnvelope("the document is not a SOAP 1.1 envelope")
    body = root.find("env:Body", NS)
    payload = (
        next((child for child in body if isinstance(child.tag, str)), None)
        if body is not None
        else None
    )
    if payload is None:
        raise NotAnEnvelope("the envelope has no body element")
    return etree.QName(payload).localname


def username_token(root: etree._Element) -> UsernameToken | None:
    """The UsernameToken of the envelope's Security header, if it has one."""
    token = root.find("env:Header/wsse:Security/wsse:UsernameToken", NS)
    if token is None:
        return None
    password = token.find("wsse:Password", NS)
    nonce = token.findtext("wsse:Nonce", namespaces=NS)
    return UsernameToken(
        username=(token.findtext("wsse:Username", namespaces=NS) or "").strip(),
        password=(password.text or "") if password is not None else "",
        digest=password is not None and (password.get("Type") or "").endswith(DIGEST),
        nonce=_decoded(nonce) if nonce is not None else None,
        created=token.findtext("wsu:Created", namespaces=NS),
    )


def without_security(root: etree._Element) -> bytes:
    """The envelope with its Security headers removed: credentials go no further than here."""
    for header in root.findall("env:Header/wsse:Security", NS):
        header.getparent().remove(header)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _decoded(nonce: str) -> bytes:
    try:
        return base64.b64decode(nonce.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Unauthenticated("The Nonce is not Base64") from None
