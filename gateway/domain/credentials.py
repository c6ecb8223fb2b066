"""Credentials the gateway holds: what they are and where they stand, never what they contain."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

UPSTREAMS = ("inventory", "workorders")
"""Each upstream is called with its own Azure client credential, named after it."""
MASTER_KEY = "master-key"
LEGACY_PREFIX = "legacy:"


class Secret:
    """A secret value that does not show itself: reprs, str() and f-strings print ``***``."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value itself, for the one place that must send or seal it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


class CredentialKind(StrEnum):
    AZURE_SECRET = "azure-secret"  # noqa: S105 (a kind, not a secret)
    AZURE_CERTIFICATE = "azure-certificate"
    LEGACY_PASSWORD = "legacy-password"  # noqa: S105
    MASTER_KEY = "master-key"


class CredentialState(StrEnum):
    CURRENT = "current"  # in use
    PREVIOUS = "previous"  # replaced, still valid at the provider until retired
    RETIRED = "retired"  # forgotten: its value is deleted
    GRACE = "grace"  # an old legacy password, accepted until its expiry
    EXPIRED = "expired"  # an old legacy password past its grace
    PRIMARY = "primary"  # the master key that seals
    SECONDARY = "secondary"  # a master key that only opens


@dataclass(frozen=True)
class ClientCredential:
    """An Azure client credential, unsealed: a secret, or a PEM with private key and certificate."""

    client_id: str
    kind: CredentialKind
    material: Secret
    fingerprint: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class UpstreamCredential:
    """One stored version of an upstream's credential (the value stays sealed in the store)."""

    name: str
    version: int
    kind: CredentialKind
    client_id: str
    fingerprint: str
    state: CredentialState
    created_at: datetime
    created_by: str
    expires_at: datetime | None = None
    retired_at: datetime | None = None


@dataclass(frozen=True)
class CredentialInfo:
    """One line of ``credentials list``: everything about a credential but its value."""

    name: str
    kind: CredentialKind
    state: CredentialState
    fingerprint: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    client_id: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class ProcessReport:
    """What one gateway process last said it uses: credential versions and master keys."""

    process_id: str
    versions: dict[str, int]
    key_ids: tuple[str, ...]
    seen_at: datetime


def secret_fingerprint(value: str) -> str:
    """Identifies a high-entropy secret without revealing it: ``sha256:`` and 16 hex digits."""
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:16]


def stored_hash_fingerprint(password_hash: str) -> str:
    """Identifies a stored (salted) password hash; says nothing about the password."""
    return "hash:" + hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def secret_credential(
    client_id: str, secret: Secret, expires_at: datetime | None = None
) -> ClientCredential:
    """An Azure client secret as a credential."""
    fingerprint = secret_fingerprint(secret.reveal())
    return ClientCredential(client_id, CredentialKind.AZURE_SECRET, secret, fingerprint, expires_at)


@dataclass(frozen=True)
class RotationRequest:
    """What an admin hands over: a secret (or password) or a certificate, never both."""

    secret: Secret | None = None
    certificate: Secret | None = None
    client_id: str | None = None
    expires_at: datetime | None = None
    grace: timedelta | None = None


@dataclass(frozen=True)
class RotationResult:
    credential: CredentialInfo
    password: Secret | None = None
    """A generated legacy password: shown to the admin once, kept nowhere."""
    detail: str = ""
