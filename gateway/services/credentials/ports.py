"""The interfaces the credential use cases need; the store and adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from gateway.domain.credentials import (
    ClientCredential,
    CredentialState,
    ProcessReport,
    Secret,
    UpstreamCredential,
)
from gateway.domain.legacy_clients import LegacyClient, StoredSecret


class Sealer(Protocol):
    """Seals the secrets a digest check needs in clear (the master keys, MultiFernet)."""

    def seal(self, secret: str) -> str:
        """``secret`` encrypted under the primary master key."""
        ...

    def open(self, sealed: str) -> str | None:
        """The secret, or None if no master key of ours sealed it."""
        ...


class PasswordTools(Protocol):
    """Hashing and generating legacy passwords (argon2id: gateway/auth/passwords.py)."""

    def hash_password(self, password: str) -> str: ...
    def new_password(self) -> str: ...


class MasterKeyRing(Sealer, Protocol):
    """The master keys: which seal, which open, and (from a key file) changing them."""

    @property
    def editable(self) -> bool: ...

    @property
    def primary_id(self) -> str: ...

    @property
    def key_ids(self) -> tuple[str, ...]: ...

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the primary key."""
        ...

    def opens_with_primary_alone(self, sealed: str) -> bool: ...

    def reload_if_changed(self, force: bool = False) -> bool: ...

    def add_new_key(self) -> str:
        """Generate a key, add it as opening-only, and return its id."""
        ...

    def remove(self, wanted: str) -> None: ...

    def promote(self, wanted: str) -> None: ...

    def drop_all_but_primary(self) -> list[str]: ...


class ConcurrentChange(Exception):
    """Another change to the same credential committed first."""


class SealedValue(Protocol):
    """One value sealed under the master key, wherever it is kept."""

    @property
    def sealed(self) -> str: ...


@dataclass(frozen=True)
class LegacySecretRow:
    """A legacy client's stored secret as the credential list shows it (no value)."""

    client_name: str
    password_hash: str
    digest: bool
    created_at: datetime | None
    not_after: datetime | None


class CredentialRepository(Protocol):
    """Stored upstream credentials, process reports, legacy secrets and every sealed value."""

    def current_versions(self) -> dict[str, int]: ...

    def current(self, name: str) -> tuple[UpstreamCredential, str] | None: ...

    def history(self, name: str | None = None) -> list[UpstreamCredential]: ...

    def store_current(
        self, new: UpstreamCredential, sealed: str, demote_to: CredentialState
    ) -> UpstreamCredential: ...

    def retire(self, name: str, state: CredentialState, now: datetime) -> int: ...

    def report(
        self, process_id: str, versions: dict[str, int], key_ids: list[str], now: datetime
    ) -> None: ...

    def reports(self, seen_since: datetime) -> list[ProcessReport]: ...

    def forget_process(self, process_id: str) -> None: ...

    def legacy_secrets(self) -> list[LegacySecretRow]: ...

    def sealed_values(self) -> Sequence[SealedValue]: ...

    def replace_sealed(self, value: Any, resealed: str) -> bool: ...


class LegacySecretRepository(Protocol):
    """Legacy SOAP clients and their secrets."""

    def find(self, name: str) -> LegacyClient | None: ...

    def rotate_secret(self, name: str, new: StoredSecret, old_until: datetime) -> bool: ...

    def end_grace(self, name: str, now: datetime) -> int: ...


class CredentialProver(Protocol):
    """Proves a credential with the identity provider before it is used."""

    def prove(self, name: str, credential: ClientCredential) -> None:
        """Nothing if a token was issued; CredentialRejected (with the provider's error) if not."""
        ...


class ReadCertificate(Protocol):
    def __call__(self, client_id: str, pem: Secret) -> ClientCredential:
        """A certificate credential from PEM text (private key and certificate)."""
        ...
