"""Legacy SOAP clients as the gateway keeps them: a name, roles, an owner scope and secrets.

Hashing and sealing are passed in (gateway/auth/passwords.py does both), so the model knows
what a stored secret is without knowing how one is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gateway.domain.principal import ALL_OWNERS, Principal
from gateway.domain.roles import RESERVATION_ROLES

SUBJECT_PREFIX = "legacy:"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD_LENGTH = 12

Hasher = Callable[[str], str]
"""A password → its stored hash (argon2id)."""


class Sealing(Protocol):
    """Seals a secret a digest check needs in clear (the master keys)."""

    def seal(self, secret: str) -> str: ...


@dataclass(frozen=True)
class StoredSecret:
    password_hash: str
    digest_secret: str | None = None
    """Sealed with the master key; only for clients allowed PasswordDigest."""
    not_after: datetime | None = None


@dataclass(frozen=True)
class LegacyClient:
    name: str
    roles: frozenset[str]
    owners: frozenset[str]
    enabled: bool
    created_at: datetime
    disabled_at: datetime | None = None
    secrets: tuple[StoredSecret, ...] = ()

    def principal(self) -> Principal:
        """The caller the use cases see: ``legacy:<name>`` with the client's roles and owners."""
        return Principal.from_owner_claim(SUBJECT_PREFIX + self.name, self.roles, self.owners)

    def live_secrets(self, now: datetime) -> list[StoredSecret]:
        return [s for s in self.secrets if s.not_after is None or now < s.not_after]

    @property
    def allows_digest(self) -> bool:
        return any(s.digest_secret for s in self.secrets)


def new_client(
    name: str,
    roles: frozenset[str],
    owners: frozenset[str],
    password: str,
    box: Sealing | None,
    allow_digest: bool,
    now: datetime,
    hash_password: Hasher,
) -> LegacyClient:
    """A client ready to store, or ValueError saying what is wrong with the request."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError("name: 1 to 64 letters, digits, '.', '_' or '-', starting alphanumeric")
    if not roles or not roles <= RESERVATION_ROLES:
        raise ValueError("roles: one or more of " + ", ".join(sorted(RESERVATION_ROLES)))
    if not owners or (ALL_OWNERS in owners and len(owners) > 1):
        raise ValueError("owners: one or more owner ids, or '*' alone for every owner")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    secret = new_secret(password, box, allow_digest, hash_password)
    return LegacyClient(name, roles, owners, True, now, secrets=(secret,))


def new_secret(
    password: str, box: Sealing | None, allow_digest: bool, hash_password: Hasher
) -> StoredSecret:
    """The stored form of a password: its hash, and sealed in clear if digests are allowed."""
    if allow_digest and box is None:
        raise ValueError(
            "PasswordDigest needs a master key to seal the secret "
            "(GATEWAY_MASTER_KEYS or GATEWAY_MASTER_KEY_FILE)"
        )
    sealed = box.seal(password) if allow_digest and box else None
    return StoredSecret(hash_password(password), sealed)
