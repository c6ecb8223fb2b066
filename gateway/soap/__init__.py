"""The gateway's SOAP endpoint for legacy systems, mounted at /soap/gateway (SPEC §5.4)."""

from __future__ import annotations

import logging

from flask import Flask
from limits.storage import Storage, storage_from_string
from spyne import Fault
from spyne.server.wsgi import WsgiApplication
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from gateway.auth.legacy_clients import LegacyAuthenticator
from gateway.auth.passwords import VerifiedPasswords, configure_hashing
from gateway.auth.throttle import LoginThrottle
from gateway.bootstrap import credentials_of, gateway_of
from gateway.soap.gate import SoapGate
from gateway.soap.service import create_gateway_application
from gateway.soap.types import GatewayFault
from gateway.soap.wsdl import WsdlDocuments
from gateway.store.login_throttle import DatabaseThrottleStorage

SOAP_PATH = "/soap/gateway"
SPYNE_LOGGERS = (
    "spyne.application",
    "spyne.application.client",
    "spyne.server.wsgi",
    "spyne.server._base",
)


class _AnsweredFaults(logging.Filter):
    """spyne logs every fault it sends with a stack trace; ours are answers, not incidents
    (faults.py logs the real incidents, with their correlation id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        answered = isinstance(record.msg, GatewayFault) or (
            isinstance(record.msg, Fault) and str(record.msg.faultcode).startswith("Client")
        )
        return not answered


def mount_soap(app: Flask) -> None:
    """Serve the SOAP service at SOAP_PATH, beside the Flask app (after its adapters and store)."""
    gateway = gateway_of(app)
    settings = gateway.config.soap
    configure_hashing(gateway.config.credentials.password_hashing)
    authenticator = LegacyAuthenticator(
        clients=gateway.store.legacy_clients,
        passwords=VerifiedPasswords(settings.verified_password_cache_seconds),
        box=credentials_of(gateway).keys,  # re-read when the key file changes
        max_age=settings.token_max_age,
    )
    soap = WsgiApplication(create_gateway_application())
    throttle = LoginThrottle(_throttle_storage(app), settings.login_throttle)
    gate = SoapGate(soap, app, authenticator, throttle, WsdlDocuments())
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {SOAP_PATH: gate})  # type: ignore[method-assign]
    for name in SPYNE_LOGGERS:
        spyne_log = logging.getLogger(name)
        if not any(isinstance(f, _AnsweredFaults) for f in spyne_log.filters):
            spyne_log.addFilter(_AnsweredFaults())


def _throttle_storage(app: Flask) -> Storage:
    """Redis when RATE_LIMIT_URL names one (both timeouts set), else the gateway's database."""
    url = gateway_of(app).config.soap.rate_limit_url
    if url:
        storage = storage_from_string(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        if not isinstance(storage, Storage):
            raise ValueError("GATEWAY_RATE_LIMIT_URL names an asyncio storage; use redis://…")
        return storage
    return DatabaseThrottleStorage(gateway_of(app).store.engine)
