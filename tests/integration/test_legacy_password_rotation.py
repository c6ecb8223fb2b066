"""A legacy client's password rotation: the old password inside and after its grace period,
with time set by the test (on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gateway.auth.legacy_clients import LegacyAuthenticator, UsernameToken, new_client
from gateway.auth.passwords import VerifiedPasswords, password_digest
from gateway.domain.credentials import RotationRequest, Secret
from gateway.domain.errors import Unauthenticated
from gateway.domain.roles import ADMIN, STAFF
from gateway.services.credentials.rotation import Credentials
from gateway.store.unit_of_work import BufferedAuditLog
from tests.secret_scan import SecretScan

OLD_PASSWORD = "old-password-of-the-line"
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def client_name(gateway_app: Flask, secret_scan: SecretScan) -> str:
    """A legacy client that may use PasswordDigest (so its password is sealed as well)."""
    secret_scan.watch(OLD_PASSWORD)
    name = f"mes-{uuid.uuid4().hex[:10]}"
    keys = gateway_app.extensions["gateway"].credentials.keys
    client = new_client(name, frozenset({STAFF}), frozenset({"PLANT-A"}), OLD_PASSWORD, keys,
                        True, NOW)  # fmt: skip
    gateway_app.extensions["gateway"].store.legacy_clients.add(client)
    return name


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def credentials(gateway_app: Flask, clock: Clock) -> Credentials:
    service: Credentials = gateway_app.extensions["gateway"].credentials
    return replace(service, clock=clock)


@pytest.fixture
def authenticator(gateway_app: Flask, clock: Clock) -> LegacyAuthenticator:
    store = gateway_app.extensions["gateway"].store
    keys = gateway_app.extensions["gateway"].credentials.keys
    return LegacyAuthenticator(store.legacy_clients, VerifiedPasswords(ttl=0), keys, clock=clock)


def digest_token(name: str, password: str, at: datetime) -> UsernameToken:
    nonce, created = uuid.uuid4().bytes, at.strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = password_digest(nonce, created, password)
    return UsernameToken(name, digest, digest=True, nonce=nonce, created=created)


def test_the_old_password_works_through_its_grace_period_and_is_refused_after(
    credentials: Credentials,
    authenticator: LegacyAuthenticator,
    client_name: str,
    clock: Clock,
    secret_scan: SecretScan,
) -> None:
    rotated = credentials.rotate(
        f"legacy:{client_name}", RotationRequest(), "admin", BufferedAuditLog()
    )
    assert rotated.password is not None
    new = rotated.password.reveal()
    secret_scan.watch(new)

    clock.now = NOW + timedelta(hours=23, minutes=59)
    inside = [
        authenticator.by_basic(client_name, OLD_PASSWORD),
        authenticator.by_username_token(digest_token(client_name, OLD_PASSWORD, clock.now)),
        authenticator.by_basic(client_name, new),
    ]
    clock.now = NOW + timedelta(hours=24, seconds=1)
    with pytest.raises(Unauthenticated):
        authenticator.by_basic(client_name, OLD_PASSWORD)
    with pytest.raises(Unauthenticated):
        authenticator.by_username_token(digest_token(client_name, OLD_PASSWORD, clock.now))
    after = authenticator.by_username_token(digest_token(client_name, new, clock.now))

    assert {p.subject for p in inside} == {f"legacy:{client_name}"}
    assert after.subject == f"legacy:{client_name}"
    assert len(new) >= 32 and rotated.detail.startswith("the old password works until")


def test_a_configured_grace_and_retire_cut_the_old_password_short(
    credentials: Credentials,
    authenticator: LegacyAuthenticator,
    client_name: str,
    clock: Clock,
    secret_scan: SecretScan,
) -> None:
    given = "the-new-password-of-the-line"
    secret_scan.watch(given)
    name = f"legacy:{client_name}"
    request = RotationRequest(secret=Secret(given), grace=timedelta(hours=2))
    rotated = credentials.rotate(name, request, "admin", BufferedAuditLog())

    clock.now = NOW + timedelta(hours=1)
    still = authenticator.by_basic(client_name, OLD_PASSWORD)
    credentials.retire(name, "admin", BufferedAuditLog())

    assert rotated.password is None  # the admin chose it: nothing to show
    assert still.subject == name
    with pytest.raises(Unauthenticated):
        authenticator.by_basic(client_name, OLD_PASSWORD)
    assert authenticator.by_basic(client_name, given).subject == name


def test_rest_rotation_shows_a_generated_password_once_and_lists_the_grace(
    gateway_app: Flask,
    client_name: str,
    mint: Callable[..., str],
    secret_scan: SecretScan,
) -> None:
    admin = {"Authorization": f"Bearer {mint(roles=(ADMIN,))}"}
    http = gateway_app.test_client()
    path = f"/admin/credentials/legacy:{client_name}"

    rotated = http.post(f"{path}/rotate", json={"graceSeconds": 3600}, headers=admin)
    secret_scan.shown_once(rotated.json["password"])
    listed = http.get("/admin/credentials", headers=admin).json["credentials"]
    retired = http.post(f"{path}/retire", headers=admin)
    again = http.post(f"{path}/retire", headers=admin)

    assert rotated.status_code == 200
    assert rotated.headers["Cache-Control"] == "no-store"
    mine = [c for c in listed if c["name"] == f"legacy:{client_name}"]
    assert [c["state"] for c in mine] == ["current", "grace"]
    grace_ends = datetime.fromisoformat(mine[1]["expiresAt"])
    assert timedelta(minutes=59) < grace_ends - datetime.now(UTC) <= timedelta(hours=1)
    assert all(c["fingerprint"].startswith("hash:") for c in mine)
    assert retired.status_code == 200
    assert again.status_code == 409 and again.json["code"] == "credential.nothing_to_retire"


def test_rotating_an_unknown_client_is_a_404(gateway_app: Flask, mint: Callable[..., str]) -> None:
    admin = {"Authorization": f"Bearer {mint(roles=(ADMIN,))}"}
    answer = gateway_app.test_client().post(
        "/admin/credentials/legacy:nobody-here/rotate", json={}, headers=admin
    )
    assert answer.status_code == 404
    assert answer.json["code"] == "credential.not_found"
