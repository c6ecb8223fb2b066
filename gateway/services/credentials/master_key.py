"""Master key rotation: add a key, re-seal every stored secret under it, retire the old key —
with every gateway process able to open every value at every moment."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from gateway.domain.credentials import (
    MASTER_KEY,
    CredentialInfo,
    CredentialKind,
    CredentialState,
    RotationResult,
)
from gateway.domain.errors import CredentialInUse, NothingToRetire, RotationPending
from gateway.services.credentials.ports import MasterKeyRing
from gateway.services.ports import AuditLog

if TYPE_CHECKING:  # for annotations only: credentials.py runs these
    from gateway.services.credentials.rotation import Credentials

log = logging.getLogger(__name__)
TARGET = "credential"


def rotate(credentials: Credentials, actor: str, audit: AuditLog) -> RotationResult:
    """From a key file: a new key, loaded by every running process before it seals anything.
    From GATEWAY_MASTER_KEYS: re-seal under its first key (which the admin just put there)."""
    keys = credentials.require_keys()
    keys.reload_if_changed(force=True)  # the key file as it is now, not as last looked at
    before = keys.primary_id
    if keys.editable:
        if len(keys.key_ids) > 1:
            raise RotationPending("Retire the old master key first (credentials retire master-key)")
        _add_and_promote(credentials, keys)
    resealed = reseal_all(credentials, keys)
    after = {"primary": keys.primary_id, "resealed": resealed}
    audit.record(actor, "credential.rotate", TARGET, MASTER_KEY, {"primary": before}, after)
    detail = f"re-sealed {resealed} stored value(s) under {keys.primary_id}"
    return RotationResult(_info(keys.primary_id, CredentialState.PRIMARY), detail=detail)


def retire(credentials: Credentials, actor: str, audit: AuditLog) -> CredentialInfo:
    """Drop every key but the primary, once no running process seals with another and every
    stored value opens with the primary alone."""
    keys = credentials.require_keys()
    keys.reload_if_changed(force=True)
    old = list(keys.key_ids[1:])
    if not old:
        raise NothingToRetire("There is one master key only")
    primary = keys.primary_id
    behind = credentials.wait_until_none(lambda: _not_sealing_with(credentials, primary))
    if behind:
        raise CredentialInUse(f"Still sealing with an old master key: {', '.join(behind)}")
    reseal_all(credentials, keys)  # values a lagging process sealed meanwhile
    stuck = [value for value in credentials.store.sealed_values() if not _opens(keys, value)]
    if stuck:
        raise CredentialInUse(f"{len(stuck)} stored value(s) do not open with {primary} alone")
    if keys.editable:
        keys.drop_all_but_primary()
        credentials.on_change()
    audit.record(
        actor, "credential.retire", TARGET, MASTER_KEY, {"keys": old}, {"primary": primary}
    )
    return _info(primary, CredentialState.PRIMARY)


def reseal_all(credentials: Credentials, keys: MasterKeyRing) -> int:
    """Re-seal every stored value that the primary key alone does not open; returns how many."""
    resealed = 0
    for value in credentials.store.sealed_values():
        if keys.opens_with_primary_alone(value.sealed):
            continue
        try:
            fresh = keys.reseal(value.sealed)
        except Exception:  # no key opens it: reported by retire, never fatal here
            log.error("a stored value opens with no master key: %s", value)
            continue
        resealed += int(credentials.store.replace_sealed(value, fresh))
    return resealed


def _add_and_promote(credentials: Credentials, keys: MasterKeyRing) -> None:
    new = keys.add_new_key()  # opening only: nothing is sealed under it before all can open it
    credentials.on_change()
    lacking = credentials.wait_until_none(lambda: _lacking(credentials, new))
    if lacking:
        keys.remove(new)
        credentials.on_change()
        raise CredentialInUse(
            f"Not loaded the new master key in time: {', '.join(lacking)}; nothing changed"
        )
    keys.promote(new)
    credentials.on_change()


def _lacking(credentials: Credentials, key: str) -> list[str]:
    return [p.process_id for p in credentials.running_processes() if key not in p.key_ids]


def _not_sealing_with(credentials: Credentials, primary: str) -> list[str]:
    running = credentials.running_processes()
    return [p.process_id for p in running if p.key_ids[:1] != (primary,)]


def _opens(keys: MasterKeyRing, value: object) -> bool:
    sealed = getattr(value, "sealed", "")
    return bool(sealed) and keys.opens_with_primary_alone(sealed)


def _info(key: str, state: CredentialState) -> CredentialInfo:
    return CredentialInfo(MASTER_KEY, CredentialKind.MASTER_KEY, state, key)
