"""An unknown name costs the same work as a known one with a wrong secret, on every legacy
auth path (issue 16.8): the same hash, open and digest calls, counted, not timed."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from gateway.auth import legacy_clients, passwords
from gateway.auth.legacy_clients import LegacyAuthenticator, UsernameToken, new_client
from gateway.auth.passwords import VerifiedPasswords
from gateway.domain.errors import Unauthenticated
from gateway.store.keyring import MasterKeys
from tests.unit.test_legacy_auth import MemoryClients

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery"
STAMP = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


class CountingBox:
    """The master keys, with every open recorded."""

    def __init__(self, work: list[str]) -> None:
        self._keys = MasterKeys([Fernet.generate_key().decode()])
        self._work = work

    def seal(self, secret: str) -> str:
        return self._keys.seal(secret)

    def open(self, sealed: str) -> str | None:
        self._work.append("open")
        return self._keys.open(sealed)


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    done: list[str] = []
    matches, digest = passwords.password_matches, legacy_clients.password_digest
    monkeypatch.setattr(passwords, "password_matches", _recorded(done, "argon2", matches))
    monkeypatch.setattr(legacy_clients, "password_digest", _recorded(done, "sha1", digest))
    yield done


def _recorded(work: list[str], name: str, real: Callable[..., object]) -> Callable[..., object]:
    def call(*args: object) -> object:
        work.append(name)
        return real(*args)

    return call


def gateway_of(work: list[str]) -> LegacyAuthenticator:
    box = CountingBox(work)
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    clients = MemoryClients(
        new_client("mes-digest", roles, owners, PASSWORD, box, True, NOW),
        new_client("mes-text", roles, owners, PASSWORD, None, False, NOW),
    )
    return LegacyAuthenticator(clients, VerifiedPasswords(ttl=0), box, clock=lambda: NOW)


def work_of(work: list[str], attempt: Callable[[], object]) -> list[str]:
    work.clear()
    with pytest.raises(Unauthenticated) as refused:
        attempt()
    assert str(refused.value) == legacy_clients.REFUSED  # one answer for all of them
    return list(work)


def digest(name: str) -> UsernameToken:
    return UsernameToken(name, "bm90IHRoZSBkaWdlc3Q=", True, os.urandom(16), STAMP)


def test_basic_does_one_argon2_check_for_an_unknown_name_as_for_a_wrong_password(
    work: list[str],
) -> None:
    gateway = gateway_of(work)
    unknown = work_of(work, lambda: gateway.by_basic("mes-nobody", "wrong-password-1"))
    known = work_of(work, lambda: gateway.by_basic("mes-text", "wrong-password-1"))
    assert unknown == known == ["argon2"]


def test_password_text_does_the_same_work_for_unknown_and_known_names(work: list[str]) -> None:
    gateway = gateway_of(work)
    text = lambda name: UsernameToken(name, "wrong-password-1")  # noqa: E731
    unknown = work_of(work, lambda: gateway.by_username_token(text("mes-nobody")))
    known = work_of(work, lambda: gateway.by_username_token(text("mes-digest")))
    assert unknown == known == ["argon2"]


def test_password_digest_opens_and_digests_a_dummy_secret_for_an_unknown_name(
    work: list[str],
) -> None:
    gateway = gateway_of(work)
    unknown = work_of(work, lambda: gateway.by_username_token(digest("mes-nobody")))
    known = work_of(work, lambda: gateway.by_username_token(digest("mes-digest")))
    no_digest = work_of(work, lambda: gateway.by_username_token(digest("mes-text")))
    assert unknown == known == no_digest == ["open", "sha1"]  # no argon2: 278 ms vs 8 ms before


def test_a_name_that_can_never_exist_costs_the_same_too(work: list[str]) -> None:
    gateway = gateway_of(work)
    assert work_of(work, lambda: gateway.by_basic("no such name!", "x" * 12)) == ["argon2"]


def test_the_right_secrets_still_get_in(work: list[str]) -> None:
    gateway = gateway_of(work)
    assert gateway.by_basic("mes-text", PASSWORD).subject == "legacy:mes-text"
    nonce = os.urandom(16)
    right = passwords.password_digest(nonce, STAMP, PASSWORD)
    token = UsernameToken("mes-digest", right, True, nonce, STAMP)
    assert gateway.by_username_token(token).subject == "legacy:mes-digest"
