"""The sandbox IdP's HTTP face: Azure AD v2 discovery, JWKS and token endpoints, plus admin."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request

from sandbox.faults import admin_blueprint
from sandbox.idp.client_auth import authenticate_client
from sandbox.idp.clients import CertificateRefused
from sandbox.idp.errors import AzureError
from sandbox.idp.provider import IdentityProvider

_DEFAULT_SUFFIX = "/.default"


def create_idp_app(provider: IdentityProvider) -> Flask:
    """The Flask app serving ``provider``; set ``provider.base_url`` before the first call."""
    app = Flask("sandbox.idp")
    app.register_blueprint(_azure_blueprint(provider))
    app.register_blueprint(admin_blueprint(provider.faults, provider.calls))
    app.register_blueprint(_idp_admin_blueprint(provider))
    return app


def _azure_blueprint(provider: IdentityProvider) -> Blueprint:
    bp = Blueprint("idp_azure", __name__)

    @bp.errorhandler(AzureError)
    def azure_error(exc: AzureError) -> tuple[Response, int]:
        return exc.response()

    @bp.get("/<tenant>/v2.0/.well-known/openid-configuration")
    def openid_configuration(tenant: str) -> Any:
        _enter(provider, tenant, "discovery")
        return jsonify(_discovery_document(provider))

    @bp.get("/<tenant>/discovery/v2.0/keys")
    def keys(tenant: str) -> Any:
        _enter(provider, tenant, "keys")
        return jsonify(provider.jwks())

    @bp.post("/<tenant>/oauth2/v2.0/token")
    def token(tenant: str) -> Any:
        _enter(provider, tenant, "token")
        return jsonify(_client_credentials_grant(provider))

    return bp


def _enter(provider: IdentityProvider, tenant: str, operation: str) -> None:
    provider.calls.record(operation)
    provider.faults.delay(operation)
    if provider.faults.should_error(operation):
        raise AzureError(503, "temporarily_unavailable", 90033, "A transient error occurred.")
    if tenant != provider.tenant:
        raise AzureError(400, "invalid_tenant", 90002, f"Tenant '{tenant}' not found.")


def _discovery_document(provider: IdentityProvider) -> dict[str, Any]:
    base = f"{provider.base_url}/{provider.tenant}"
    return {
        "issuer": provider.issuer,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
            "private_key_jwt",
        ],
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "roles"],
        "request_uri_parameter_supported": False,
        "tenant_region_scope": None,
        "cloud_instance_name": "sandbox",
    }


def _client_credentials_grant(provider: IdentityProvider) -> dict[str, Any]:
    form = request.form
    if form.get("grant_type") != "client_credentials":
        raise AzureError(
            400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
        )
    client_id = authenticate_client(provider.clients, _token_endpoint(provider))
    audience = _audience_for_scope(form.get("scope", ""))
    token = provider.mint(subject=client_id, audience=audience, client_id=client_id)
    provider.tokens_issued[client_id] += 1
    lifetime = provider.token_lifetime
    return {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }


def _token_endpoint(provider: IdentityProvider) -> str:
    return f"{provider.base_url}/{provider.tenant}/oauth2/v2.0/token"


def _audience_for_scope(scope: str) -> str:
    scopes = scope.split()
    if len(scopes) != 1 or not scopes[0].endswith(_DEFAULT_SUFFIX):
        raise AzureError(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        )
    return scopes[0].removesuffix(_DEFAULT_SUFFIX)


def _idp_admin_blueprint(provider: IdentityProvider) -> Blueprint:
    bp = Blueprint("idp_admin", __name__, url_prefix="/_sandbox")

    @bp.post("/tokens")
    def mint_token() -> Any:
        body = _json_body()
        token = provider.mint(
            subject=_text(body, "subject", "sandbox-user"),
            audience=_text(body, "audience"),
            roles=_texts(body, "roles"),
            owners=_texts(body, "owners"),
            lifetime=_lifetime(body),
        )
        return jsonify({"access_token": token, "token_type": "Bearer"})

    @bp.get("/clients/<client_id>")
    def describe_client(client_id: str) -> Any:
        described = provider.clients.describe(client_id)
        if described is None:
            return jsonify({"error": "no such client"}), 404
        return jsonify(described)

    @bp.post("/clients/<client_id>/secrets")
    def add_secret(client_id: str) -> Any:
        # Like Azure's addPassword: the secret is made here and shown once, unless given.
        given = _json_body().get("secret")
        value = given if isinstance(given, str) and given else secrets.token_urlsafe(30)
        added = provider.clients.add_secret(client_id, value)
        shown = {} if given else {"secretText": value}
        return jsonify({"clientId": client_id, **added.describe(), **shown}), 201

    @bp.delete("/clients/<client_id>/secrets")
    def remove_secret(client_id: str) -> Any:
        if not provider.remove_client_secret(client_id, _text(_json_body(), "secret")):
            return jsonify({"error": "no such secret for this client"}), 404
        return "", 204

    @bp.post("/clients/<client_id>/certificates")
    def add_certificate(client_id: str) -> Any:
        try:
            added = provider.clients.add_certificate(client_id, request.get_data())
        except CertificateRefused as refused:
            return jsonify({"error": str(refused)}), 400
        return jsonify({"clientId": client_id, **added.describe()}), 201

    @bp.delete("/clients/<client_id>/keys/<key_id>")
    def remove_key(client_id: str, key_id: str) -> Any:
        if not provider.clients.remove_key(client_id, key_id):
            return jsonify({"error": "no such secret or certificate for this client"}), 404
        return "", 204

    @bp.post("/signing-keys/rotate")
    def rotate() -> Any:
        return jsonify({"kid": provider.rotate_signing_key()})

    @bp.post("/signing-keys/retire")
    def retire() -> Any:
        return jsonify({"retired": provider.retire_old_keys()})

    return bp


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "a JSON object body is required")
    return body


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or not value:
        abort(400, f"'{name}' must be a non-empty string")
    return value


def _texts(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        abort(400, f"'{name}' must be a list of strings")
    return value


def _lifetime(body: dict[str, Any]) -> int | None:
    value = body.get("lifetime")
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        abort(400, "'lifetime' must be an integer number of seconds")
    return value
