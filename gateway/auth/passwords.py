"""Legacy client secrets: argon2id hashes, WS-Security digests, and what seals digest secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.domain.errors import Throttled


@dataclass(frozen=True)
class HashCost:
    """argon2id's parameters, and how many hashes one process runs at once.

    Each hash holds ``memory_kib`` while it runs, so a process holds at most
    ``max_concurrent × memory_kib`` for passwords, however many logins arrive together; a login
    that finds every slot taken for ``wait_seconds`` is refused as throttled. The defaults are
    RFC 9106's second recommendation (64 MiB, 3 passes, 4 lanes). A stored hash keeps the
    parameters it was made with: new ones apply to passwords set from then on.
    """

    memory_kib: int = 64 * 1024
    time_cost: int = 3
    parallelism: int = 4
    max_concurrent: int = 2
    wait_seconds: float = 10.0


class PasswordHashing:
    """argon2id under a concurrency cap (a semaphore): hashing memory is bounded per process."""

    def __init__(self, cost: HashCost) -> None:
        self.cost = cost
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism
        )
        self._slots = threading.BoundedSemaphore(cost.max_concurrent)

    def hash(self, password: str) -> str:
        with self._slot():
            return self._hasher.hash(password)

    def matches(self, stored_hash: str, password: str) -> bool:
        with self._slot():
            try:
                return self._hasher.verify(stored_hash, password)
            except (VerificationError, InvalidHashError):
                return False

    @contextmanager
    def _slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.cost.wait_seconds):
            raise Throttled(retry_after=1, detail="Too many logins at once; try again shortly")
        try:
            yield
        finally:
            self._slots.release()


_hashing = PasswordHashing(HashCost())


def configure_hashing(cost: HashCost) -> None:
    """Use ``cost`` from now on in this process (one cap per process: memory is per process)."""
    global _hashing
    if cost != _hashing.cost:
        _hashing = PasswordHashing(cost)


def hash_password(password: str) -> str:
    """The argon2id hash stored for ``password`` (salted; the parameters travel with it)."""
    return _hashing.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    """True if ``password`` is the one ``stored_hash`` was made from."""
    return _hashing.matches(stored_hash, password)


def new_password() -> str:
    """A generated client password: 32 URL-safe characters, 192 bits."""
    return secrets.token_urlsafe(24)


def password_digest(nonce: bytes, created: str, password: str) -> str:
    """WS-Security UsernameToken PasswordDigest: Base64(SHA-1(nonce + created + password))."""
    raw = nonce + created.encode() + password.encode()
    return base64.b64encode(hashlib.sha1(raw).digest()).decode()  # noqa: S324 (the standard's)


def digests_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


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


class Argon2Passwords:
    """The password tools the credential use cases are given (services/credentials/rotation.py)."""

    @staticmethod
    def hash_password(password: str) -> str:
        return hash_password(password)

    @staticmethod
    def new_password() -> str:
        return new_password()
