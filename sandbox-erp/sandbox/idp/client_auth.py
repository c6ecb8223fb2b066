"""Client authentication at the token endpoint: a client secret (form or HTTP Basic) or a
signed JWT assertion made with a registered certificate (RFC 7523), as MSAL sends them."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

import jwt
from flask import request

from sandbox.idp.clients import ClientRegistry
from sandbox.idp.errors import AzureError

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGORITHMS = ["RS256", "PS256"]


def authenticate_client(registry: ClientRegistry, token_endpoint: str) -> str:
    """The client id the request proves it is; AzureError as Azure would answer otherwise."""
    assertion = request.form.get("client_assertion", "")
    client_id, secret = _presented_secret()
    client_id = client_id or _unverified_subject(assertion)
    if not client_id:
        raise AzureError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    if not registry.has_client(client_id):
        raise AzureError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    if assertion:
        _check_assertion(registry, client_id, assertion, token_endpoint)
    elif not secret:
        raise AzureError(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' "
            "or 'client_secret'.",
        )
    elif not registry.check_secret(client_id, secret):
        raise AzureError(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is "
            "the client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        )
    return client_id


def _presented_secret() -> tuple[str, str]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        # RFC 6749 §2.3.1: both halves are form-urlencoded before going into Basic.
        return unquote_plus(auth.username or ""), unquote_plus(auth.password or "")
    return request.form.get("client_id", ""), request.form.get("client_secret", "")


def _unverified_subject(assertion: str) -> str:
    if not assertion:
        return ""
    try:
        subject = jwt.decode(assertion, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return ""
    return subject if isinstance(subject, str) else ""


def _check_assertion(
    registry: ClientRegistry, client_id: str, assertion: str, token_endpoint: str
) -> None:
    if request.form.get("client_assertion_type") != JWT_BEARER:
        raise _assertion_refused("The client_assertion_type is not supported.")
    header = _header(assertion)
    entry = registry.certificate(client_id, header.get("x5t#S256"), header.get("x5t"))
    if entry is None:
        raise _assertion_refused(
            "The certificate with identifier used to sign the client assertion is not "
            f"registered on application '{client_id}'."
        )
    try:
        claims = jwt.decode(
            assertion,
            entry.public_key(),
            algorithms=ASSERTION_ALGORITHMS,
            audience=token_endpoint,
            issuer=client_id,
            options={"require": ["exp", "aud", "iss", "sub"]},
        )
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
        raise AzureError(
            401, "invalid_client", 700024, "Client assertion is not within its valid time range."
        ) from exc
    except jwt.PyJWTError as exc:
        raise _assertion_refused(f"Client assertion failed validation: {exc}.") from exc
    if claims["sub"] != client_id:
        raise _assertion_refused("The client assertion's subject is not the client.")


def _header(assertion: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise _assertion_refused("The client assertion is not a JWT.") from exc


def _assertion_refused(description: str) -> AzureError:
    return AzureError(401, "invalid_client", 700027, description)
