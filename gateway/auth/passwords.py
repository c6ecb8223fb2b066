"""Legacy client secrets: argon2id hashes, WS-Security digests, and what seals digest secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASHER = PasswordHasher()
"""argon2id with RFC 9106's low-memory profile (64 MiB, 3 passes, 4 lanes)."""


def hash_password(password: str) -> str:
    """The argon2id hash stored for ``password`` (salted; the parameters travel with it)."""
    return HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """True if ``password`` is the one ``stored_hash`` was made from."""
    try:
        return HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_password() -> str:
    """A generated client password: 32 URL-safe characters, 192 bits."""
    return secrets.token_urlsafe(24)


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """WS-Security UsernameToken PasswordDigest: Base64(SHA-1(nonce + created + password))."""
    raw = nonce + created.encode() + password.encode()
    return base64.b64encode(hashlib.sha1(raw).digest()).decode()  # noqa: S324 (the standard's)


def digests_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class Sealer(Protocol):
    """Seals the secrets a digest check needs in clear (the master keys, MultiFernet)."""

    def seal(self, secret: str) -> str:
        """``secret`` encrypted under the primary master key."""
        ...

    def open(self, sealed: str) -> str | None:
        """The secret, or None if no master key of ours sealed it."""
        ...


class VerifiedPasswords:
    """Remembers recent successful argon2 checks, so a busy client pays for one per ``ttl``.

    Entries are keyed by the stored hash (a new password misses) and a keyed hash of the
    password (never the password itself); enabled/disabled is still read on every call.
    """

    def __init__(
        self, ttl: float, clock: Callable[[], float] = time.monotonic, size: int = 1024
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._size = size
        self._pepper = secrets.token_bytes(32)
        self._until: dict[tuple[str, bytes], float] = {}
        self._lock = threading.Lock()

    def matches(self, stored_hash: str, password: str) -> bool:
        """Like ``password_matches``, answered from memory when recently proven."""
        key = (stored_hash, hmac.new(self._pepper, password.encode(), "sha256").digest())
        with self._lock:
            if self._until.get(key, 0.0) > self._clock():
                return True
        if not password_matches(stored_hash, password):
            return False
        if self._ttl > 0:
            with self._lock:
                if len(self._until) >= self._size:
                    self._until.clear()  # crude, but bounded: the next calls just rehash
                self._until[key] = self._clock() + self._ttl
        return True
