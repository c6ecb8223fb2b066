"""Legacy clients prove who they are: UsernameToken (text, digest, nonce) and HTTP Basic."""

from __future__ import annotations

import base64
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from gateway.auth import passwords
from gateway.auth.legacy_clients import (
    LegacyAuthenticator,
    LegacyClient,
    UsernameToken,
    new_client,
)
from gateway.auth.passwords import VerifiedPasswords, password_digest
from gateway.domain.errors import Unauthenticated
from gateway.store.keyring import MasterKeys

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
BOX = MasterKeys([Fernet.generate_key().decode()])


class MemoryClients:
    def __init__(self, *clients: LegacyClient) -> None:
        self.clients = {client.name: client for client in clients}
        self.nonces: dict[tuple[str, str], datetime] = {}

    def find(self, name: str) -> LegacyClient | None:
        return self.clients.get(name)

    def remember_nonce(self, name: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        if (name, nonce) in self.nonces:
            return False
        self.nonces[(name, nonce)] = expires_at
        return True


@pytest.fixture(scope="module")
def mes() -> LegacyClient:
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    return new_client("mes-a", roles, owners, PASSWORD, BOX, True, NOW)  # argon2: once per module


def authenticator(*clients: LegacyClient, now: datetime = NOW) -> LegacyAuthenticator:
    return LegacyAuthenticator(
        MemoryClients(*clients), VerifiedPasswords(ttl=60), BOX, timedelta(minutes=5), lambda: now
    )


def digest_token(password: str = PASSWORD, created: datetime = NOW, nonce: bytes | None = None):
    nonce = nonce or os.urandom(16)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    return UsernameToken("mes-a", password_digest(nonce, stamp, password), True, nonce, stamp)


def test_password_text_gives_the_clients_principal(mes: LegacyClient) -> None:
    principal = authenticator(mes).by_username_token(UsernameToken("mes-a", PASSWORD))
    assert principal.subject == "legacy:mes-a"
    assert principal.roles == {"Reservations.Staff"} and principal.owner_ids == {"PLANT-A"}
    assert not principal.all_owners


def test_http_basic_uses_the_same_secret(mes: LegacyClient) -> None:
    assert authenticator(mes).by_basic("mes-a", PASSWORD).subject == "legacy:mes-a"
    with pytest.raises(Unauthenticated):
        authenticator(mes).by_basic("mes-a", PASSWORD + "x")


def test_password_digest_with_nonce_and_created_is_accepted(mes: LegacyClient) -> None:
    assert authenticator(mes).by_username_token(digest_token()).subject == "legacy:mes-a"


def test_a_digest_of_another_password_is_refused(mes: LegacyClient) -> None:
    with pytest.raises(Unauthenticated):
        authenticator(mes).by_username_token(digest_token(password="guess-guess-guess"))


def test_a_replayed_nonce_is_refused(mes: LegacyClient) -> None:
    gate, token = authenticator(mes), digest_token()
    gate.by_username_token(token)
    with pytest.raises(Unauthenticated, match="used before"):
        gate.by_username_token(token)


def test_a_stale_or_future_created_time_is_refused(mes: LegacyClient) -> None:
    for created in (NOW - timedelta(minutes=6), NOW + timedelta(minutes=2)):
        with pytest.raises(Unauthenticated, match="Created"):
            authenticator(mes).by_username_token(digest_token(created=created))


def test_a_digest_without_nonce_is_refused(mes: LegacyClient) -> None:
    token = replace(digest_token(), nonce=None)
    with pytest.raises(Unauthenticated):
        authenticator(mes).by_username_token(token)


def test_a_disabled_client_is_refused_even_with_the_right_password(mes: LegacyClient) -> None:
    disabled = replace(mes, enabled=False)
    with pytest.raises(Unauthenticated):
        authenticator(disabled).by_username_token(UsernameToken("mes-a", PASSWORD))


def test_an_unknown_client_is_refused_like_a_wrong_password(mes: LegacyClient) -> None:
    with pytest.raises(Unauthenticated) as unknown:
        authenticator(mes).by_basic("nobody", PASSWORD)
    with pytest.raises(Unauthenticated) as wrong:
        authenticator(mes).by_basic("mes-a", "wrong-wrong-wrong")
    assert unknown.value.detail == wrong.value.detail


def test_a_secret_past_its_not_after_is_refused(mes: LegacyClient) -> None:
    retired = replace(mes, secrets=(replace(mes.secrets[0], not_after=NOW),))
    with pytest.raises(Unauthenticated):
        authenticator(retired).by_basic("mes-a", PASSWORD)


def test_the_stored_secret_is_a_salted_argon2id_hash_never_the_password(
    mes: LegacyClient,
) -> None:
    secret = mes.secrets[0]
    assert secret.password_hash.startswith("$argon2id$") and PASSWORD not in secret.password_hash
    assert secret.digest_secret and PASSWORD not in secret.digest_secret
    again = new_client("mes-b", mes.roles, mes.owners, PASSWORD, None, False, NOW)
    assert again.secrets[0].password_hash != secret.password_hash
    assert again.secrets[0].digest_secret is None


def test_a_proven_password_is_remembered_until_its_time_is_up(
    mes: LegacyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, checks = [0.0], []
    real = passwords.password_matches
    monkeypatch.setattr(passwords, "password_matches", lambda h, p: checks.append(p) or real(h, p))
    cache = VerifiedPasswords(ttl=60, clock=lambda: clock[0])
    stored = mes.secrets[0].password_hash
    assert cache.matches(stored, PASSWORD) and cache.matches(stored, PASSWORD)
    assert len(checks) == 1  # the second answer came from memory
    assert not cache.matches(stored, "wrong-wrong-wrong")
    clock[0] = 61.0
    assert cache.matches(stored, PASSWORD)
    assert len(checks) == 3


@pytest.mark.parametrize(
    ("name", "roles", "owners", "password", "digest", "message"),
    [
        ("bad name", {"Reservations.Staff"}, {"A"}, PASSWORD, False, "name"),
        ("ok", {"Gateway.Admin"}, {"A"}, PASSWORD, False, "roles"),
        ("ok", {"Reservations.Staff"}, {"*", "A"}, PASSWORD, False, "owners"),
        ("ok", {"Reservations.Staff"}, {"A"}, "short", False, "at least"),
    ],
)
def test_new_client_refuses_what_it_cannot_store(
    name: str, roles: set[str], owners: set[str], password: str, digest: bool, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        new_client(name, frozenset(roles), frozenset(owners), password, None, digest, NOW)


def test_digest_needs_a_master_key() -> None:
    with pytest.raises(ValueError, match="MASTER_KEYS"):
        new_client(
            "ok", frozenset({"Reservations.Staff"}), frozenset({"A"}), PASSWORD, None, True, NOW
        )


def test_password_digest_matches_the_ws_security_example() -> None:
    # OASIS UsernameToken Profile 1.0: Base64(SHA-1(nonce + created + password))
    nonce = base64.b64decode("LKqI6G/AikKCQrN0zqZFlg==")
    digest = password_digest(nonce, "2010-09-16T07:50:45Z", "userpassword")
    assert digest == "tuOSpGlFlIXsozq4HFNeeGeFLEI="
