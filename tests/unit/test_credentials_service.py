"""The credential use cases over a real (in-memory) store and a fake identity provider."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from gateway.auth.passwords import Argon2Passwords
from gateway.domain.credentials import (
    ClientCredential,
    CredentialState,
    RotationRequest,
    Secret,
    secret_credential,
)
from gateway.domain.errors import (
    CredentialInUse,
    CredentialNotFound,
    CredentialRejected,
    MasterKeyMissing,
    NothingToRetire,
    RotationPending,
)
from gateway.services.credentials.rotation import CredentialPolicy, Credentials
from gateway.store.credentials import CredentialStore
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys, ensure_key_file, read_key_file
from gateway.store.unit_of_work import BufferedAuditLog

NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


@dataclass
class FakeProvider:
    """Accepts the secrets it knows, like an app registration."""

    known: set[str] = field(default_factory=set)
    proven: list[str] = field(default_factory=list)

    def prove(self, name: str, credential: ClientCredential) -> None:
        self.proven.append(credential.fingerprint)
        if credential.material.reveal() not in self.known:
            raise CredentialRejected("invalid_client", "AADSTS7000215")


def not_a_certificate(client_id: str, pem: Secret) -> ClientCredential:
    raise AssertionError("no certificate in these tests")


@pytest.fixture
def store() -> GatewayStore:
    return GatewayStore.open("sqlite://")


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider({"first-secret-value", "second-secret-value"})


def service(store: GatewayStore, provider: FakeProvider, keys: MasterKeys | None) -> Credentials:
    return Credentials(
        CredentialStore(store.engine), store.legacy_clients, keys, provider, not_a_certificate,
        clock=lambda: NOW, passwords=Argon2Passwords(), policy=CredentialPolicy(wait_seconds=0),
        sleep=lambda _: None,
    )  # fmt: skip


@pytest.fixture
def credentials(store: GatewayStore, provider: FakeProvider) -> Credentials:
    made = service(store, provider, MasterKeys([Fernet.generate_key().decode()]))
    made.seed("inventory", "app-1", Secret("first-secret-value"), False, BufferedAuditLog())
    return made


def rotate(credentials: Credentials, secret: str) -> None:
    request = RotationRequest(secret=Secret(secret))
    credentials.rotate("inventory", request, "admin", BufferedAuditLog())


def states(credentials: Credentials) -> list[tuple[int, CredentialState]]:
    return [(c.version, c.state) for c in credentials.store.history("inventory")]


def test_a_secret_never_shows_itself() -> None:
    credential = secret_credential("app-1", Secret("do-not-print-me"))

    assert "do-not-print-me" not in repr(credential)
    assert "do-not-print-me" not in f"{credential.material}"


def test_rotation_keeps_the_previous_credential_until_retired(credentials: Credentials) -> None:
    rotate(credentials, "second-secret-value")
    rotated = states(credentials)
    credentials.retire("inventory", "admin", BufferedAuditLog())

    assert rotated == [(2, CredentialState.CURRENT), (1, CredentialState.PREVIOUS)]
    assert states(credentials) == [(2, CredentialState.CURRENT), (1, CredentialState.RETIRED)]
    assert credentials.unseal_current("inventory") is not None


def test_a_second_rotation_before_retiring_is_refused(credentials: Credentials) -> None:
    rotate(credentials, "second-secret-value")

    with pytest.raises(RotationPending):
        rotate(credentials, "first-secret-value")


def test_a_rejected_credential_changes_nothing_and_is_audited(credentials: Credentials) -> None:
    audit = BufferedAuditLog()

    with pytest.raises(CredentialRejected) as refused:
        credentials.rotate("inventory", RotationRequest(secret=Secret("wrong")), "admin", audit)

    assert refused.value.provider_error == "invalid_client"
    assert states(credentials) == [(1, CredentialState.CURRENT)]
    assert [row["action"] for row in audit.rows] == ["credential.rotate_refused"]
    assert "wrong" not in str(audit.rows)


def test_retire_with_nothing_replaced_is_refused(credentials: Credentials) -> None:
    with pytest.raises(NothingToRetire):
        credentials.retire("inventory", "admin", BufferedAuditLog())


def test_retire_waits_for_a_running_process_on_the_previous_version(
    credentials: Credentials,
) -> None:
    rotate(credentials, "second-secret-value")
    credentials.store.report("slow-process", {"inventory": 1}, [], NOW)

    with pytest.raises(CredentialInUse, match="slow-process"):
        credentials.retire("inventory", "admin", BufferedAuditLog())
    credentials.store.report("slow-process", {"inventory": 2}, [], NOW)
    credentials.retire("inventory", "admin", BufferedAuditLog())

    assert states(credentials)[1] == (1, CredentialState.RETIRED)


def test_seeding_stores_once_unless_told_to_replace(credentials: Credentials) -> None:
    kept = credentials.seed(
        "inventory", "app-1", Secret("second-secret-value"), False, BufferedAuditLog()
    )
    replaced = credentials.seed(
        "inventory", "app-1", Secret("second-secret-value"), True, BufferedAuditLog()
    )

    assert kept is None and replaced is not None
    assert states(credentials) == [(2, CredentialState.CURRENT), (1, CredentialState.RETIRED)]


def test_without_a_master_key_nothing_can_be_stored(
    store: GatewayStore, provider: FakeProvider
) -> None:
    credentials = service(store, provider, None)

    with pytest.raises(MasterKeyMissing):
        rotate(credentials, "second-secret-value")


def test_a_master_key_nobody_loaded_is_taken_back_out(
    store: GatewayStore, provider: FakeProvider, tmp_path: Path
) -> None:
    path = tmp_path / "keys"
    ensure_key_file(path)
    credentials = service(store, provider, MasterKeys(read_key_file(path), path))
    before = read_key_file(path)
    credentials.store.report("stuck-process", {}, [credentials.require_keys().primary_id], NOW)

    with pytest.raises(CredentialInUse, match="stuck-process"):
        credentials.rotate("master-key", RotationRequest(), "admin", BufferedAuditLog())

    assert read_key_file(path) == before


def test_a_process_silent_for_longer_than_the_window_does_not_count(
    credentials: Credentials,
) -> None:
    rotate(credentials, "second-secret-value")
    gone = NOW - timedelta(minutes=5)
    credentials.store.report("gone-process", {"inventory": 1}, [], gone)

    credentials.retire("inventory", "admin", BufferedAuditLog())

    assert states(credentials)[1] == (1, CredentialState.RETIRED)


def test_two_processes_seeding_at_once_leave_one_current_credential(
    store: GatewayStore, provider: FakeProvider
) -> None:
    keys = MasterKeys([Fernet.generate_key().decode()])
    first, second = service(store, provider, keys), service(store, provider, keys)
    racing = CredentialStore(store.engine)
    stale = racing.store_current  # the second one read "nothing stored" before the first wrote

    def after_the_first(new: Any, sealed: str, demote_to: CredentialState) -> Any:
        first.seed("inventory", "app-1", Secret("first-secret-value"), False, BufferedAuditLog())
        return stale(new, sealed, demote_to)

    second.store = racing
    racing.store_current = after_the_first  # type: ignore[method-assign]
    seeded = second.seed(
        "inventory", "app-1", Secret("first-secret-value"), False, BufferedAuditLog()
    )

    assert seeded is None
    assert states(first) == [(1, CredentialState.CURRENT)]


def test_an_unknown_name_is_not_found_whatever_else_is_missing(
    store: GatewayStore, provider: FakeProvider
) -> None:
    credentials = service(store, provider, None)

    with pytest.raises(CredentialNotFound):
        rotate_named(credentials, "billing")
    with pytest.raises(CredentialNotFound):
        credentials.retire("billing", "admin", BufferedAuditLog())


def rotate_named(credentials: Credentials, name: str) -> None:
    request = RotationRequest(secret=Secret("second-secret-value"))
    credentials.rotate(name, request, "admin", BufferedAuditLog())
