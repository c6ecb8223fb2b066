"""Upstream idempotency references (the legacy REFNO, at most 40 characters)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

from gateway.domain.model import ReleaseReason, Reservation


def upstream_reference(prefix: str, subject: str, key: str | None) -> str:
    """``<prefix>-<32 hex>``: derived from caller and key, so a retry sends the same one;
    a fresh random one when the caller gave no key."""
    if key is None:
        return f"{prefix}-{uuid.uuid4().hex[:32]}"
    seed = f"{subject}\n{key}".encode()
    return f"{prefix}-{hashlib.sha256(seed).hexdigest()[:32]}"


def backorder_id_of(reference: str) -> str:
    """The backorder id a create on a caller's own reference uses: a retry finds the first's."""
    return hashlib.sha256(reference.encode()).hexdigest()[:16]


def made_on(
    prefix: str, reservations: Sequence[Reservation], sku: str | None = None
) -> list[Reservation]:
    """The reservations (of ``sku``, if given) whose legacy reference starts with ``prefix``
    (an earlier call's), but those of an attempt undone after a stock race (cancelled), in
    reference order."""
    return sorted(
        (r for r in reservations if (r.reference or "").startswith(prefix)
         and sku in (None, r.item_sku_id) and r.release_reason is not ReleaseReason.CANCELLED),
        key=lambda r: r.reference or "",
    )  # fmt: skip
