"""create_app: settings, error handling, the REST API, OpenAPI and docs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, request
from flask_swagger_ui import get_swaggerui_blueprint

from gateway.api import backorders as backorders_api
from gateway.api import credentials as credentials_api
from gateway.api import feeds, health, inventory, reservations, workorders, workorders_v2
from gateway.api import subscriptions as subscriptions_api
from gateway.api.asyncapi import register_asyncapi
from gateway.api.body_limit import BodyLimit, refuse_oversized_body
from gateway.api.idempotency import commit_unit_of_work
from gateway.api.json import DecimalJSONProvider
from gateway.api.openapi import GatewayApi, register_path_ids
from gateway.api.problems import register_problem_handlers
from gateway.api.text import NOT_XML_TEXT
from gateway.bootstrap import EXTENSION, build_gateway, gateway_of, webhooks_of
from gateway.config import load_settings
from gateway.credential_wiring import wire_credentials
from gateway.domain.errors import RequestInvalid
from gateway.observability.metrics import count_outbox_with, measure_webhook_lag_with
from gateway.observability.request_hooks import install_request_hooks
from gateway.soap import mount_soap
from gateway.wiring import Adapters

API_DOC_SETTINGS = {
    "API_TITLE": "Reservation gateway",
    "API_VERSION": "1.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "Reservations and work orders of the legacy ERP. The events pushed to "
            "subscribers (webhooks, AMQP, MQTT) are described in the "
            "[AsyncAPI document](/asyncapi.json)."
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
        "security": [{"bearerAuth": []}],
    },
}


def create_app(config: Mapping[str, Any] | None = None, adapters: Adapters | None = None) -> Flask:
    """The gateway. ``adapters`` replaces the real upstream adapters (unit tests only)."""
    app = Flask("gateway")
    app.json = DecimalJSONProvider(app)
    app.config.update(API_DOC_SETTINGS)
    load_settings(app, config)
    install_request_hooks(app)
    app.before_request(refuse_oversized_body)
    app.before_request(_refuse_control_characters)
    app.extensions[EXTENSION] = build_gateway(app.config, adapters)
    wire_credentials(app)
    api = GatewayApi(app)
    register_path_ids(app, api)
    api.register_blueprint(workorders.blp)
    api.register_blueprint(workorders_v2.blp)
    api.register_blueprint(inventory.blp)
    api.register_blueprint(reservations.blp)
    api.register_blueprint(backorders_api.blp)
    api.register_blueprint(feeds.events_blp)
    api.register_blueprint(feeds.admin_blp)
    api.register_blueprint(credentials_api.blp)
    api.register_blueprint(subscriptions_api.blp)
    app.register_blueprint(health.bp)
    app.register_blueprint(get_swaggerui_blueprint("/docs", "/openapi.json"), url_prefix="/docs")
    register_asyncapi(app, api.spec, gateway_of(app).config.brokers, app.config["API_VERSION"])
    count_outbox_with(gateway_of(app).store.outbox.pending_count)
    measure_webhook_lag_with(webhooks_of(gateway_of(app)).lag)
    register_problem_handlers(app)  # after Api(), which installs handlers of its own
    app.after_request(commit_unit_of_work)
    body_limit = gateway_of(app).config.max_request_bytes
    app.wsgi_app = BodyLimit(app.wsgi_app, body_limit)  # type: ignore[method-assign]
    mount_soap(app)
    return app


def _refuse_control_characters() -> None:
    """Paths and query strings that XML (hence the legacy upstream) cannot carry are refused."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if any(NOT_XML_TEXT.search(text) for text in texts):
        raise RequestInvalid({"url": ["contains control characters"]})
