"""The inventory service on the wire: bearer auth, fault knobs, call log, SOAP endpoint."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from lxml import etree
from spyne.server.wsgi import WsgiApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from sandbox.faults import (
    DROP_CONNECTION_KEY,
    CallLog,
    FaultKnobs,
    admin_blueprint,
    drop_connection,
)
from sandbox.inventory.erp_users import erp_users_blueprint
from sandbox.inventory.service import WRITES, create_inventory_application
from sandbox.inventory.store import InventoryStore

SOAP_PATH = "/soap/inventory"
AUDIENCE = "api://sandbox-inventory"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def create_inventory_app(
    store: InventoryStore,
    verify_token: Callable[[str], dict[str, Any]],
    knobs: FaultKnobs,
    calls: CallLog,
    zone: ZoneInfo,
) -> Flask:
    """A Flask app with the admin blueprint; the spyne service is mounted at SOAP_PATH."""
    app = Flask("sandbox.inventory")
    app.register_blueprint(admin_blueprint(knobs, calls))
    app.register_blueprint(erp_users_blueprint(store))
    soap = WsgiApplication(create_inventory_application(store, zone, knobs))
    guarded = _SoapGate(soap, verify_token, knobs, calls)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {SOAP_PATH: guarded})  # type: ignore[method-assign]
    app.extensions["inventory_store"] = store
    return app


class _SoapGate:
    """Authenticates, counts, delays or fails a call before spyne sees it."""

    def __init__(
        self,
        soap: WsgiApp,
        verify_token: Callable[[str], dict[str, Any]],
        knobs: FaultKnobs,
        calls: CallLog,
    ) -> None:
        self._soap = soap
        self._verify_token = verify_token
        self._knobs = knobs
        self._calls = calls

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET":  # ?wsdl needs no token, as usual
            return self._soap(environ, start_response)
        operation = environ.get("HTTP_SOAPACTION", "").strip('"') or "unknown"
        self._calls.record(
            operation,
            http_header=environ.get("HTTP_X_REQUEST_ID"),
            soap_header=_soap_correlation_id(environ),
        )
        self._calls.record_trace(operation, environ.get("HTTP_TRACEPARENT"))
        if not self._authenticated(environ):
            return _plain(start_response, "401 Unauthorized", b"invalid or missing bearer token")
        self._knobs.delay(operation)
        if self._knobs.should_error(operation):
            return _plain(start_response, "503 Service Unavailable", b"inventory system busy")
        raw = self._knobs.raw_answer_for(operation) or self._knobs.canned_answer_for(operation)
        if raw is not None:
            return _plain(start_response, "200 OK", raw, "text/xml; charset=utf-8")
        if operation in WRITES and self._knobs.take_write_failure(operation):
            return _plain(start_response, "503 Service Unavailable", b"write refused, nothing done")
        body = b"".join(self._soap(environ, start_response))
        if environ.get(DROP_CONNECTION_KEY):
            drop_connection(environ)
            return []
        return [body]

    def _authenticated(self, environ: dict[str, Any]) -> bool:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        try:
            self._verify_token(token)
        except Exception:  # any rejection, whatever the verifier raises, is a 401
            return False
        return True


def _plain(
    start_response: StartResponse, status: str, body: bytes, content_type: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


CORRELATION = "{urn:reservation-gateway:correlation}CorrelationId"


def _soap_correlation_id(environ: dict[str, Any]) -> str | None:
    """The CorrelationId SOAP header of the request, read without consuming the body."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    found = root.find(f".//{{http://schemas.xmlsoap.org/soap/envelope/}}Header/{CORRELATION}")
    return None if found is None else found.text
