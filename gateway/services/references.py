"""Upstream idempotency references (the legacy REFNO, at most 40 characters)."""

from __future__ import annotations

import hashlib
import uuid


def upstream_reference(prefix: str, subject: str, key: str | None) -> str:
    """``<prefix>-<32 hex>``: derived from caller and key, so a retry sends the same one;
    a fresh random one when the caller gave no key."""
    if key is None:
        return f"{prefix}-{uuid.uuid4().hex[:32]}"
    seed = f"{subject}\n{key}".encode()
    return f"{prefix}-{hashlib.sha256(seed).hexdigest()[:32]}"
