"""The WSGI gate in front of spyne: size, hostile XML, SOAPAction and authentication first.

Nothing reaches spyne that is over the size limit, has a DOCTYPE, nests too deep, names another
operation in SOAPAction than in its body, or comes from an unauthenticated caller. The gate's
own refusals are the same SOAP faults spyne's are (HTTP 500), except an oversized body (413), a
throttled login (429, with Retry-After) and a call with no credentials at all (401, with a Basic
challenge: clients such as Perl's LWP send Basic credentials only when challenged). A SOAP 1.2
envelope gets a ``VersionMismatch`` fault. ``GET`` and ``HEAD`` of ``?wsdl`` (and ``?xsd``, the
schema alone) are served to anyone, with a strong ETag (decision 110).
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from flask import Flask
from lxml import etree

from gateway import xml_guard
from gateway.auth.legacy_clients import LegacyAuthenticator
from gateway.auth.throttle import LoginThrottle
from gateway.bootstrap import gateway_of
from gateway.domain.errors import GatewayError, RequestInvalid, Throttled, Unauthenticated
from gateway.domain.principal import Principal
from gateway.observability import correlation, tracing
from gateway.observability.correlation import taken_or_new
from gateway.soap.context import CONTEXT_KEY, SoapCall
from gateway.soap.envelope import (
    NotAnEnvelope,
    OtherSoapVersion,
    operation_of,
    username_token,
    without_security,
)
from gateway.soap.faults import fault_document, fault_for, internal_fault, new_fault
from gateway.soap.types import NAMESPACE
from gateway.soap.wsdl import Served, WsdlDocuments

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
XML = "text/xml; charset=utf-8"
DISCARD_LIMIT = 64 * 1024 * 1024
"""An oversized body is read and dropped in small chunks up to this much, so the client sees
the 413 rather than a reset connection; past it the server just closes the connection."""
CHALLENGE = ("WWW-Authenticate", 'Basic realm="reservation-gateway"')


class NoCredentials(Unauthenticated):
    """Neither a UsernameToken nor HTTP Basic: answered 401 with a challenge, not counted as a
    failed login (nothing was tried)."""


class SoapGate:
    """A WSGI app: checks and authenticates a call, then hands it to the spyne application."""

    def __init__(
        self,
        soap: WsgiApp,
        app: Flask,
        authenticator: LegacyAuthenticator,
        throttle: LoginThrottle,
        wsdl: WsdlDocuments,
    ) -> None:
        self._soap = soap
        self._app = app
        self._authenticator = authenticator
        self._throttle = throttle
        self._wsdl = wsdl
        settings = gateway_of(app).config.soap
        self._max_bytes = settings.max_body_bytes
        self._limits = settings.xml_limits
        self._public_url = settings.public_url

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The call with its correlation id and trace context set for everything it does
        (spyne runs the operation before it returns, so both are still set for the upstreams)."""
        correlation_id = _correlation_id(environ)
        correlation_token = correlation.current.set(correlation_id)
        trace_token = tracing.begin(tracing.environ_headers(environ))
        try:
            return self._serve(environ, start_response, correlation_id)
        finally:
            tracing.end(trace_token)
            correlation.current.reset(correlation_token)

    def _serve(
        self, environ: dict[str, Any], start_response: StartResponse, correlation_id: str
    ) -> Iterable[bytes]:
        answer = _with_request_id(start_response, correlation_id)
        method = environ.get("REQUEST_METHOD", "GET")
        served = self._document(environ) if method in ("GET", "HEAD") else None
        if served is not None:
            return _serve_document(answer, environ, served)
        if method != "POST":
            allow = [("Allow", "GET, HEAD, POST")]
            body = b"POST a SOAP 1.1 envelope"
            return _respond(answer, "405 Method Not Allowed", body, "text/plain", allow)
        try:
            call = self._admit(environ, correlation_id)
        except Exception as error:
            return _refusal(answer, environ, error, correlation_id)
        environ[CONTEXT_KEY] = call
        return self._soap(environ, answer)

    def _document(self, environ: dict[str, Any]) -> Served | None:
        """The WSDL for ``?wsdl`` (any spelling: ``?WSDL``, ``?singleWsdl``), the schema for
        ``?xsd``, else None."""
        asked = {key.lower() for key in parse_qs(environ.get("QUERY_STRING", ""), True)}
        if any("wsdl" in key for key in asked):
            return self._wsdl.wsdl(self._address(environ))
        if "xsd" in asked:
            return self._wsdl.schema(self._address(environ))
        return None

    def _address(self, environ: dict[str, Any]) -> str:
        """Where the WSDL sends callers: the configured public URL, else the server's own bind
        address (never the Host header, which is the caller's to choose)."""
        if self._public_url:
            return f"{self._public_url.rstrip('/')}{environ.get('SCRIPT_NAME', '')}"
        return f"http://{_bind_address(environ)}{environ.get('SCRIPT_NAME', '')}"

    def _admit(self, environ: dict[str, Any], correlation_id: str) -> SoapCall:
        """The checked call, with the envelope (credentials removed) put back for spyne."""
        root = self._envelope(environ)
        principal = self._authenticate(environ, root)
        cleaned = without_security(root)
        environ["wsgi.input"] = io.BytesIO(cleaned)
        environ["CONTENT_LENGTH"] = str(len(cleaned))
        return SoapCall(correlation_id, gateway_of(self._app), principal)

    def _envelope(self, environ: dict[str, Any]) -> etree._Element:
        length = _content_length(environ)
        if length is not None and length > self._max_bytes:
            raise xml_guard.TooLarge(self._max_bytes)  # refused before a byte is read
        chunks = xml_guard.stream_chunks(environ["wsgi.input"], length, self._max_bytes)
        body = xml_guard.read_bounded(chunks, self._max_bytes)
        try:
            root = xml_guard.parse(body, limits=self._limits)
            operation = operation_of(root)
        except OtherSoapVersion:
            raise
        except (xml_guard.UnsafeXml, etree.XMLSyntaxError, NotAnEnvelope) as error:
            raise RequestInvalid({"body": [_first_line(error)]}, "The XML is refused") from None
        _check_action(environ.get("HTTP_SOAPACTION"), operation)
        return root

    def _authenticate(self, environ: dict[str, Any], root: etree._Element) -> Principal:
        address = environ.get("REMOTE_ADDR", "")
        token = username_token(root)
        if token is not None:
            by_token = self._authenticator.by_username_token
            return self._throttle.attempt(token.username, address, lambda: by_token(token))
        scheme, _, encoded = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "basic":
            name, password = _basic_credentials(encoded)
            by_basic = self._authenticator.by_basic
            return self._throttle.attempt(name, address, lambda: by_basic(name, password))
        raise NoCredentials("Send a WS-Security UsernameToken or HTTP Basic credentials")


def _refusal(
    start_response: StartResponse, environ: dict[str, Any], error: Exception, correlation_id: str
) -> list[bytes]:
    """The answer to a call the gate refused: a SOAP fault, with the status its kind has."""
    if isinstance(error, OtherSoapVersion):
        errors = {"Envelope": [str(error)]}
        text = "This endpoint speaks SOAP 1.1"
        fault = new_fault("request.invalid", text, correlation_id, errors, "VersionMismatch")
        return _fault(start_response, fault)
    if isinstance(error, NoCredentials):
        document = fault_document(fault_for(error, correlation_id))
        return _respond(start_response, "401 Unauthorized", document, headers=[CHALLENGE])
    if isinstance(error, xml_guard.TooLarge):
        _discard(environ)
        document = fault_document(new_fault("request.too_large", str(error), correlation_id))
        return _respond(start_response, "413 Request Entity Too Large", document)
    if isinstance(error, Throttled):
        retry = [("Retry-After", str(error.retry_after))]
        document = fault_document(fault_for(error, correlation_id))
        return _respond(start_response, "429 Too Many Requests", document, headers=retry)
    if isinstance(error, GatewayError):
        return _fault(start_response, fault_for(error, correlation_id))
    # a bug, or the database down: logged, answered without detail
    return _fault(start_response, internal_fault(error, correlation_id))


def _bind_address(environ: dict[str, Any]) -> str:
    host, port = environ.get("SERVER_NAME", "127.0.0.1"), environ.get("SERVER_PORT", "80")
    return host if port == "80" else f"{host}:{port}"


def _check_action(header: str | None, operation: str) -> None:
    """An empty or absent SOAPAction is allowed (SOAP 1.1: "the request URI"), and the
    operation's name bare or after the service's namespace and ``#`` (SOAP::Lite) or ``/``;
    anything else is not: a proxy may have routed or authorised the call by it."""
    action = (header or "").strip().strip('"').strip()
    if action and _operation_named(action) != operation:
        raise RequestInvalid(
            {"SOAPAction": [f"names {action!r} but the body calls {operation!r}"]},
            "SOAPAction and body disagree",
        )


def _operation_named(action: str) -> str:
    for separator in ("#", "/"):
        if action.startswith(NAMESPACE + separator):
            return action[len(NAMESPACE) + 1 :]
    return action


def _serve_document(
    start_response: StartResponse, environ: dict[str, Any], document: Served
) -> list[bytes]:
    """The document, or 304 when the caller holds it already; HEAD gets the headers alone."""
    tags = {_opaque(tag) for tag in environ.get("HTTP_IF_NONE_MATCH", "").split(",")}
    validators = [("ETag", document.etag), ("Cache-Control", "no-cache")]
    if "*" in tags or document.etag in tags:
        start_response("304 Not Modified", validators)
        return []
    body = _respond(start_response, "200 OK", document.body, headers=validators)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else body


def _opaque(tag: str) -> str:
    """If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x"."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def _basic_credentials(encoded: str) -> tuple[str, str]:
    try:
        name, colon, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unauthenticated("Malformed HTTP Basic credentials") from None
    if not colon:
        raise Unauthenticated("Malformed HTTP Basic credentials")
    return name, password


def _discard(environ: dict[str, Any]) -> None:
    length = min(_content_length(environ) or DISCARD_LIMIT, DISCARD_LIMIT)
    for _ in xml_guard.stream_chunks(environ["wsgi.input"], length, DISCARD_LIMIT):
        pass  # constant memory, whatever the WSGI server would do with an unread body


def _content_length(environ: dict[str, Any]) -> int | None:
    """The declared length; None for a chunked body (read to its end), 0 for no body at all."""
    given = (environ.get("CONTENT_LENGTH") or "").strip()
    if not given:
        return None if environ.get("wsgi.input_terminated") else 0
    if not given.isdigit():
        raise RequestInvalid({"Content-Length": ["must be a number"]})
    return int(given)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__


def _correlation_id(environ: dict[str, Any]) -> str:
    return taken_or_new(environ.get("HTTP_X_REQUEST_ID"))


def _with_request_id(start_response: StartResponse, correlation_id: str) -> StartResponse:
    def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
        return start_response(status, [*headers, ("X-Request-ID", correlation_id)], *rest)

    return start


def _fault(start_response: StartResponse, fault: Any) -> list[bytes]:
    return _respond(start_response, "500 Internal Server Error", fault_document(fault))


def _respond(
    start_response: StartResponse,
    status: str,
    body: bytes,
    content_type: str = XML,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    length = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(status, length + (headers or []))
    return [body]
