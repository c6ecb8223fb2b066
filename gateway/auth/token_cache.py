"""Tokens already validated, by a hash of the token: bounded, least recently used out first."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from gateway.domain.principal import Principal


@dataclass(frozen=True)
class ValidatedToken:
    """What a full validation established, and what must still hold for it to be reused."""

    principal: Principal
    kid: str
    key: Any
    """The JWKS key object it was verified with; reused only while the JWKS still has it."""
    not_before: float
    expires: float
    """The token's ``exp``: never reused at or after it, whatever the leeway."""


def token_digest(token: str) -> bytes:
    """The cache key: a token is never kept, and a token differing in any byte misses."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class ValidatedTokens:
    """At most ``max_entries`` validated tokens (0: none kept); safe across threads."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[bytes, ValidatedToken] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> ValidatedToken | None:
        """The entry for ``digest``, now the most recently used; None if absent."""
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None:
                self._entries.move_to_end(digest)
            return entry

    def put(self, digest: bytes, entry: ValidatedToken) -> None:
        """Keep ``entry``, evicting the least recently used beyond the bound."""
        if self._max_entries <= 0:
            return
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def discard(self, digest: bytes) -> None:
        """Forget ``digest`` (expired, or its key left the JWKS)."""
        with self._lock:
            self._entries.pop(digest, None)

    def __len__(self) -> int:
        return len(self._entries)
