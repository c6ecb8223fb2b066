"""REST: credential rotation for admins (SPEC §5.5), under /admin/credentials.

No answer carries a stored value; the one value ever sent is a legacy password the gateway
generated in ``rotate``, shown that once (``Cache-Control: no-store`` on every answer).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, current_app

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.context import unit_of_work
from gateway.api.credential_schemas import (
    CredentialListSchema,
    CredentialSchema,
    RotationAnswerSchema,
    RotationSchema,
)
from gateway.api.parser import Blueprint
from gateway.bootstrap import credentials_of, gateway_of
from gateway.domain.credentials import RotationRequest, Secret
from gateway.domain.roles import ADMIN
from gateway.services.credentials.rotation import Credentials

blp = Blueprint(
    "admin-credentials",
    __name__,
    url_prefix="/admin/credentials",
    description="Credential rotation (Gateway.Admin)",
)
blp.before_request(authenticate)


@blp.after_request
def _never_cached(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def credentials() -> Credentials:
    found: Credentials = credentials_of(gateway_of(current_app))
    return found


@blp.get("")
@blp.response(200, CredentialListSchema)
@requires_any_role(ADMIN)
def list_credentials() -> Any:
    """Every credential (names, kinds, fingerprints, dates, state) and the running processes."""
    service = credentials()
    return {"credentials": service.list_all(), "processes": service.running_processes()}


@blp.post("/<name>/rotate")
@blp.arguments(RotationSchema)
@blp.response(200, RotationAnswerSchema)
@blp.problem(400, "credential.invalid, request.invalid")
@blp.problem(404, "credential.not_found")
@blp.problem(409, "credential.rotation_pending, credential.in_use, credential.no_master_key")
@blp.problem(422, "credential.rejected: the identity provider refused it (providerError)")
@blp.problem(503, "upstream.unavailable: the identity provider could not be asked")
@requires_any_role(ADMIN)
def rotate(body: dict[str, Any], name: str) -> Any:
    """Rotate `inventory`/`workorders` (proven first), `legacy:<client>` or `master-key`."""
    # A refused rotation is audited too: the request's unit of work commits whatever happens.
    return credentials().rotate(name, _request(body), _actor(), unit_of_work().audit)


@blp.post("/<name>/retire")
@blp.response(200, CredentialSchema)
@blp.problem(404, "credential.not_found")
@blp.problem(409, "credential.nothing_to_retire, credential.in_use")
@requires_any_role(ADMIN)
def retire(name: str) -> Any:
    """Forget the replaced credential (ends a legacy grace period; drops old master keys)."""
    return credentials().retire(name, _actor(), unit_of_work().audit)


def _request(body: dict[str, Any]) -> RotationRequest:
    grace = body.get("grace_seconds")
    given = body.get("secret") or body.get("password")
    certificate = body.get("certificate")
    return RotationRequest(
        secret=Secret(given) if given else None,
        certificate=Secret(certificate) if certificate else None,
        client_id=body.get("client_id"),
        expires_at=body.get("expires_at"),
        grace=None if grace is None else timedelta(seconds=grace),
    )


def _actor() -> str:
    return current_principal().subject
