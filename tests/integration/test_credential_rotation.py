"""Rotating an upstream's Azure credential under load, against the real sandbox IdP (SPEC §5.5)."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from gateway.app import create_app
from gateway.cli import main
from gateway.domain.credentials import secret_fingerprint
from gateway.domain.roles import ADMIN
from gateway.store.tables import audit_entries
from tests.integration.credential_helpers import certificate_pem, running, stock_traffic
from tests.secret_scan import SecretScan

ROTATE = "/admin/credentials/inventory/rotate"
RETIRE = "/admin/credentials/inventory/retire"


@pytest.fixture
def identity(sandbox: Any) -> Iterator[Any]:
    """The sandbox IdP issuing tokens of 6 s, which the gateway replaces after 3 s (half their
    lifetime, decision 151), so every few seconds bring a new token request."""
    provider = sandbox.idp.provider
    lifetime, provider.token_lifetime = provider.token_lifetime, 6
    yield provider
    provider.token_lifetime = lifetime


@pytest.fixture
def inventory_client(identity: Any, secret_scan: SecretScan) -> tuple[str, str]:
    """An app registration of its own for the inventory credential: (client id, secret)."""
    client_id, secret = f"rotation-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(30)
    identity.add_client_secret(client_id, secret)
    secret_scan.watch(secret)
    return client_id, secret


@pytest.fixture
def make_app(
    gateway_settings: dict[str, Any], tmp_path: Path, inventory_client: tuple[str, str]
) -> Callable[..., Flask]:
    """Gateway processes sharing one fresh database (``url``), each with its own watcher."""

    def make(url: str | None = None, **settings: Any) -> Flask:
        client_id, secret = inventory_client
        return create_app(
            {
                **gateway_settings,
                "DATABASE_URL": url or f"sqlite:///{tmp_path / 'gateway.db'}",
                "INVENTORY_CLIENT_ID": client_id,
                "INVENTORY_CLIENT_SECRET": secret,
                "CREDENTIALS_SEED": "if-missing",
                "CREDENTIAL_CHECK_SECONDS": 0.2,
                "CREDENTIAL_REPORT_SECONDS": 5,
                "CREDENTIAL_WAIT_SECONDS": 10,
                **settings,
            }
        )

    return make


@pytest.fixture(scope="module")
def admin(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(roles=(ADMIN,), subject='admin-alice')}"}


@pytest.fixture(scope="module")
def staff_token(mint: Callable[..., str]) -> str:
    return mint()


def new_secret(identity: Any, client_id: str, scan: SecretScan) -> str:
    """What an admin does in Azure first: add a second secret to the app registration."""
    secret = secrets.token_urlsafe(30)
    identity.add_client_secret(client_id, secret)
    scan.watch(secret)
    return secret


def inventory_versions(app: Flask) -> dict[str, int]:
    return app.extensions["gateway"].credential_watcher.applied


def test_eight_threads_see_no_failed_request_while_the_secret_is_rotated_and_the_old_removed(
    make_app: Callable[..., Flask],
    identity: Any,
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    staff_token: str,
    secret_scan: SecretScan,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id, old = inventory_client
    app = make_app()
    http = app.test_client()
    with running(stock_traffic(app, staff_token, threads=8)) as traffic:
        traffic.wait_until(lambda: traffic.sent >= 300)
        fresh = new_secret(identity, client_id, secret_scan)

        rotated = http.post(ROTATE, json={"secret": fresh}, headers=admin)
        retired = http.post(RETIRE, headers=admin)
        identity.remove_client_secret(client_id, old)  # the old one is gone at the provider
        removed_at, issued_at = traffic.sent, identity.tokens_issued[client_id]
        traffic.wait_until(  # requests go on, with tokens fetched after the old secret left
            lambda: (
                traffic.sent >= removed_at + 300
                and identity.tokens_issued[client_id] >= issued_at + 3
            ),
            timeout=180,
        )

    assert rotated.status_code == 200, rotated.json
    assert rotated.json["credential"]["version"] == 2
    assert rotated.json["credential"]["fingerprint"] == secret_fingerprint(fresh)
    assert retired.status_code == 200, retired.json
    assert traffic.failures == []
    assert inventory_versions(app) == {"inventory": 2, "workorders": 1}


def test_a_wrong_new_secret_is_refused_with_the_providers_error_and_traffic_goes_on(
    make_app: Callable[..., Flask],
    identity: Any,
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    staff_token: str,
) -> None:
    client_id, _ = inventory_client
    app = make_app()
    http = app.test_client()
    with running(stock_traffic(app, staff_token, threads=4)) as traffic:
        traffic.wait_until(lambda: traffic.sent >= 100)
        refused = http.post(ROTATE, json={"secret": "not-the-secret-at-all"}, headers=admin)
        issued_at = identity.tokens_issued[client_id]
        traffic.wait_until(lambda: identity.tokens_issued[client_id] >= issued_at + 2)

    assert refused.status_code == 422, refused.json
    assert refused.json["code"] == "credential.rejected"
    assert refused.json["providerError"] == "invalid_client"
    assert traffic.failures == []
    listed = http.get("/admin/credentials", headers=admin).json["credentials"]
    inventory = [c for c in listed if c["name"] == "inventory"]
    assert [(c["version"], c["state"]) for c in inventory] == [(1, "current")]
    assert audit_actions(app, "inventory") == ["credential.seed", "credential.rotate_refused"]


def test_a_certificate_replaces_the_secret_and_tokens_come_from_signed_assertions(
    make_app: Callable[..., Flask],
    identity: Any,
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    staff_token: str,
    secret_scan: SecretScan,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id, old = inventory_client
    key_pem, certificate = certificate_pem(client_id)
    secret_scan.watch(key_pem)
    uploaded = identity.clients.add_certificate(client_id, certificate.encode())
    app = make_app()
    http = app.test_client()

    rotated = http.post(ROTATE, json={"certificate": key_pem + certificate}, headers=admin)
    assert http.post(RETIRE, headers=admin).status_code == 200
    identity.remove_client_secret(client_id, old)  # from now on, the certificate or nothing
    with running(stock_traffic(app, staff_token, threads=2)) as traffic:
        issued_at = identity.tokens_issued[client_id]
        traffic.wait_until(lambda: identity.tokens_issued[client_id] >= issued_at + 2)

    assert rotated.status_code == 200, rotated.json
    assert rotated.json["credential"]["kind"] == "azure-certificate"
    assert rotated.json["credential"]["fingerprint"] == "sha1:" + uploaded.describe()["thumbprint"]
    assert rotated.json["credential"]["expiresAt"]
    assert traffic.failures == []


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database for several gateway processes: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    from tests.postgres import fresh_database, server_answers

    if not server_answers():
        pytest.skip("PostgreSQL on 127.0.0.1:5432 does not answer")
    with fresh_database() as url:
        yield url


def test_another_process_follows_a_rotation_within_seconds_and_retire_waits_for_it(
    shared_database: str,
    make_app: Callable[..., Flask],
    identity: Any,
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    staff_token: str,
    secret_scan: SecretScan,
) -> None:
    client_id, old = inventory_client
    first, second = make_app(shared_database), make_app(shared_database)
    fresh = new_secret(identity, client_id, secret_scan)
    with running(stock_traffic(second, staff_token, threads=2)) as traffic:
        rotated = first.test_client().post(ROTATE, json={"secret": fresh}, headers=admin)
        traffic.wait_until(lambda: inventory_versions(second).get("inventory") == 2, timeout=60)
        retired = first.test_client().post(RETIRE, headers=admin)
        identity.remove_client_secret(client_id, old)
        issued_at = identity.tokens_issued[client_id]
        traffic.wait_until(lambda: identity.tokens_issued[client_id] >= issued_at + 2)

    assert rotated.status_code == 200
    assert retired.status_code == 200, retired.json
    assert traffic.failures == []


def test_retire_is_refused_while_a_running_process_still_uses_the_previous_credential(
    shared_database: str,
    make_app: Callable[..., Flask],
    identity: Any,
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    secret_scan: SecretScan,
) -> None:
    client_id, _ = inventory_client
    first = make_app(shared_database)
    idle = make_app(shared_database, CREDENTIAL_WAIT_SECONDS=0.5)  # reported v1, then silence
    fresh = new_secret(identity, client_id, secret_scan)
    assert (
        first.test_client().post(ROTATE, json={"secret": fresh}, headers=admin).status_code == 200
    )

    refused = idle.test_client().post(RETIRE, headers=admin)
    idle.extensions["gateway"].credential_watcher.check()  # it catches up (its next request)
    retired = idle.test_client().post(RETIRE, headers=admin)

    assert refused.status_code == 409
    assert refused.json["code"] == "credential.in_use"
    assert retired.status_code == 200


def test_listing_shows_names_kinds_fingerprints_and_dates_and_staff_may_not_see_it(
    make_app: Callable[..., Flask],
    inventory_client: tuple[str, str],
    admin: dict[str, str],
    staff_token: str,
) -> None:
    client_id, secret = inventory_client
    http = make_app().test_client()

    listed = http.get("/admin/credentials", headers=admin)
    forbidden = http.get("/admin/credentials", headers={"Authorization": f"Bearer {staff_token}"})

    assert listed.status_code == 200
    assert listed.headers["Cache-Control"] == "no-store"
    inventory = next(c for c in listed.json["credentials"] if c["name"] == "inventory")
    assert inventory["kind"] == "azure-secret"
    assert inventory["clientId"] == client_id
    assert inventory["fingerprint"] == secret_fingerprint(secret)
    assert inventory["createdAt"] and inventory["state"] == "current"
    assert {c["name"] for c in listed.json["credentials"]} >= {"inventory", "workorders"}
    assert forbidden.status_code == 403


def audit_actions(app: Flask, target: str) -> list[str]:
    query = select(audit_entries.c.action).where(audit_entries.c.target_id == target)
    with app.extensions["gateway"].store.engine.connect() as connection:
        return list(connection.execute(query.order_by(audit_entries.c.id)).scalars())


def test_the_cli_rotates_and_retires_while_a_running_gateway_follows(
    make_app: Callable[..., Flask],
    gateway_settings: dict[str, Any],
    identity: Any,
    inventory_client: tuple[str, str],
    staff_token: str,
    secret_scan: SecretScan,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client_id, old = inventory_client
    app = make_app()
    for name in ("AZURE_AUTHORITY", "AZURE_CA_BUNDLE", "INVENTORY_SCOPE", "MASTER_KEYS"):
        monkeypatch.setenv(f"GATEWAY_{name}", str(gateway_settings[name]))
    monkeypatch.setenv("GATEWAY_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("GATEWAY_CONFIG_FILE", str(tmp_path / "absent.toml"))
    fresh = new_secret(identity, client_id, secret_scan)
    cli = CliRunner()
    with running(stock_traffic(app, staff_token, threads=2)) as traffic:
        rotated = cli.invoke(main, ["credentials", "rotate", "inventory", "--secret-stdin"],
                             input=fresh + "\n")  # fmt: skip
        traffic.wait_until(lambda: inventory_versions(app).get("inventory") == 2, timeout=60)
        retired = cli.invoke(main, ["credentials", "retire", "inventory"])
        identity.remove_client_secret(client_id, old)
        issued_at = identity.tokens_issued[client_id]
        traffic.wait_until(lambda: identity.tokens_issued[client_id] >= issued_at + 2)
    listed = cli.invoke(main, ["credentials", "list"])

    assert rotated.exit_code == 0, rotated.output
    assert "version 2" in rotated.output and fresh not in rotated.output
    assert retired.exit_code == 0, retired.output
    assert traffic.failures == []
    assert "1 running gateway process(es)" in listed.output and "inventory v2" in listed.output
