"""A legacy SOAP client's password rotation: the new one at once, the old one for a grace
period (default 24 h), then refused — authentication already accepts any live secret."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.domain.credentials import LEGACY_PREFIX, CredentialInfo, RotationResult, Secret
from gateway.domain.errors import CredentialInvalid, CredentialNotFound, NothingToRetire
from gateway.domain.legacy_clients import MIN_PASSWORD_LENGTH, LegacyClient, new_secret
from gateway.services.credentials import listing
from gateway.services.ports import AuditLog

if TYPE_CHECKING:  # for annotations only: credentials.py runs these
    from gateway.domain.credentials import RotationRequest
    from gateway.services.credentials.rotation import Credentials

TARGET = "credential"


def rotate(
    credentials: Credentials, name: str, request: RotationRequest, actor: str, audit: AuditLog
) -> RotationResult:
    """The given or a generated password; the generated one is returned to be shown once."""
    client = _client(credentials, name)
    password = request.secret or Secret(credentials.passwords.new_password())
    if len(password.reveal()) < MIN_PASSWORD_LENGTH:
        raise CredentialInvalid(f"The password needs {MIN_PASSWORD_LENGTH} characters")
    digest = client.allows_digest  # PasswordDigest needs the new password sealed too
    sealer = credentials.require_keys() if digest else None
    secret = new_secret(password.reveal(), sealer, digest, credentials.passwords.hash_password)
    now = credentials.clock()
    grace = credentials.policy.legacy_grace if request.grace is None else request.grace
    credentials.legacy.rotate_secret(client.name, secret, now + grace)
    after = {"graceUntil": now + grace, "digest": digest}
    audit.record(actor, "credential.rotate", TARGET, name, None, after)
    info = listing.legacy_info(name, secret.password_hash, digest, now)
    detail = f"the old password works until {now + grace:%Y-%m-%d %H:%M} UTC (or retire)"
    return RotationResult(info, None if request.secret else password, detail)


def end_grace(credentials: Credentials, name: str, actor: str, audit: AuditLog) -> CredentialInfo:
    """Refuse the old password(s) from now on, before their grace period is over."""
    client = _client(credentials, name)
    now = credentials.clock()
    if not credentials.legacy.end_grace(client.name, now):
        raise NothingToRetire(f"{name} has no older password in its grace period")
    audit.record(actor, "credential.retire", TARGET, name, None, {"graceEnded": now})
    newest = client.secrets[0]
    digest = newest.digest_secret is not None
    return listing.legacy_info(name, newest.password_hash, digest, None)


def _client(credentials: Credentials, name: str) -> LegacyClient:
    bare = name.removeprefix(LEGACY_PREFIX)
    client = credentials.legacy.find(bare)
    if client is None:
        raise CredentialNotFound(f"No legacy client named {bare!r}")
    return client
