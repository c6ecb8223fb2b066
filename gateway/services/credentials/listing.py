"""``credentials list``: every credential the gateway holds, described without its value."""

from __future__ import annotations

from datetime import datetime

from gateway.domain.credentials import (
    LEGACY_PREFIX,
    MASTER_KEY,
    CredentialInfo,
    CredentialKind,
    CredentialState,
    UpstreamCredential,
    stored_hash_fingerprint,
)
from gateway.services.credentials.ports import (
    CredentialRepository,
    LegacySecretRow,
    MasterKeyRing,
)


def everything(
    store: CredentialRepository, keys: MasterKeyRing | None, now: datetime
) -> list[CredentialInfo]:
    """Upstream credentials (every version), legacy passwords, then the master keys."""
    upstream = [upstream_info(credential) for credential in store.history()]
    return upstream + _legacy(store.legacy_secrets(), now) + _master_keys(keys)


def upstream_info(credential: UpstreamCredential) -> CredentialInfo:
    return CredentialInfo(
        name=credential.name,
        kind=credential.kind,
        state=credential.state,
        fingerprint=credential.fingerprint,
        created_at=credential.created_at,
        expires_at=credential.expires_at,
        client_id=credential.client_id,
        version=credential.version,
    )


def legacy_info(
    name: str,
    password_hash: str,
    digest: bool,
    created_at: datetime | None,
    expires_at: datetime | None = None,
    state: CredentialState = CredentialState.CURRENT,
) -> CredentialInfo:
    """A legacy client's password, identified by its stored (salted) hash."""
    fingerprint = stored_hash_fingerprint(password_hash) + (" +digest" if digest else "")
    kind = CredentialKind.LEGACY_PASSWORD
    return CredentialInfo(name, kind, state, fingerprint, created_at, expires_at)


def _legacy(rows: list[LegacySecretRow], now: datetime) -> list[CredentialInfo]:
    listed: list[CredentialInfo] = []
    newest_seen: set[str] = set()
    for row in rows:  # newest first per client
        state = _legacy_state(row, now, row.client_name in newest_seen)
        newest_seen.add(row.client_name)
        name = LEGACY_PREFIX + row.client_name
        listed.append(
            legacy_info(name, row.password_hash, row.digest, row.created_at, row.not_after, state)
        )
    return listed


def _legacy_state(row: LegacySecretRow, now: datetime, older: bool) -> CredentialState:
    if row.not_after is not None and row.not_after <= now:
        return CredentialState.EXPIRED
    return CredentialState.GRACE if older else CredentialState.CURRENT


def _master_keys(keys: MasterKeyRing | None) -> list[CredentialInfo]:
    if keys is None:
        return []
    return [
        CredentialInfo(
            MASTER_KEY,
            CredentialKind.MASTER_KEY,
            CredentialState.PRIMARY if index == 0 else CredentialState.SECONDARY,
            key_id,
        )
        for index, key_id in enumerate(keys.key_ids)
    ]
