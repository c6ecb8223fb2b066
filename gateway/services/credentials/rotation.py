"""Credential use cases (SPEC §5.5): list, rotate, retire — upstream Azure credentials, legacy
client passwords and the master key — each audited, none ever showing a stored value.

Beside this module: legacy_passwords.py, master_key.py, listing.py and
watch.py; the ports in ports.py. Elsewhere: the SQL store in
gateway/store/credentials.py, the master keys in gateway/store/keyring.py, MSAL's side in
adapters/azure_credentials.py and adapters/azure_tokens.py, the wiring in
gateway/credential_wiring.py, the interfaces in gateway/cli/credentials.py and
gateway/api/credentials.py. The admin's step-by-step is docs/runbook-credentials.md; the
choices are docs/decisions/066–075.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from gateway.domain.credentials import (
    LEGACY_PREFIX,
    MASTER_KEY,
    UPSTREAMS,
    ClientCredential,
    CredentialInfo,
    CredentialState,
    ProcessReport,
    RotationRequest,
    RotationResult,
    Secret,
    UpstreamCredential,
    secret_credential,
)
from gateway.domain.errors import (
    CredentialInUse,
    CredentialInvalid,
    CredentialNotFound,
    CredentialRejected,
    MasterKeyMissing,
    NothingToRetire,
    RotationPending,
    UpstreamError,
)
from gateway.services.credentials import legacy_passwords, listing, master_key
from gateway.services.credentials.ports import (
    ConcurrentChange,
    CredentialProver,
    CredentialRepository,
    LegacySecretRepository,
    MasterKeyRing,
    PasswordTools,
    ReadCertificate,
)
from gateway.services.ports import AuditLog

TARGET = "credential"


@dataclass(frozen=True)
class CredentialPolicy:
    legacy_grace: timedelta = timedelta(hours=24)
    live_window: timedelta = timedelta(seconds=30)
    """A process that reported within this window counts as running."""
    wait_seconds: float = 15.0
    """How long retire waits for every running process to move to the new credential."""


@dataclass
class Credentials:
    """The credential use cases over their ports; ``on_change`` lets this process catch up."""

    store: CredentialRepository
    legacy: LegacySecretRepository
    keys: MasterKeyRing | None
    prover: CredentialProver
    read_certificate: ReadCertificate
    clock: Callable[[], datetime]
    passwords: PasswordTools
    policy: CredentialPolicy = field(default_factory=CredentialPolicy)
    on_change: Callable[[], None] = lambda: None
    sleep: Callable[[float], None] = time.sleep

    def list_all(self) -> list[CredentialInfo]:
        """Every credential: names, kinds, fingerprints, dates and state; never a value."""
        return listing.everything(self.store, self.keys, self.clock())

    def running_processes(self) -> list[ProcessReport]:
        """Gateway processes that reported recently, with what they use."""
        return self.store.reports(self.clock() - self.policy.live_window)

    def rotate(
        self, name: str, request: RotationRequest, actor: str, audit: AuditLog
    ) -> RotationResult:
        """Replace ``name``'s credential; the old one keeps working until retired."""
        if name == MASTER_KEY:
            return master_key.rotate(self, actor, audit)
        if name.startswith(LEGACY_PREFIX):
            return legacy_passwords.rotate(self, name, request, actor, audit)
        return self._rotate_upstream(name, request, actor, audit)

    def retire(self, name: str, actor: str, audit: AuditLog) -> CredentialInfo:
        """Forget the credential that ``rotate`` replaced (once nothing uses it any more)."""
        if name == MASTER_KEY:
            return master_key.retire(self, actor, audit)
        if name.startswith(LEGACY_PREFIX):
            return legacy_passwords.end_grace(self, name, actor, audit)
        return self._retire_upstream(name, actor, audit)

    def seed(
        self, name: str, client_id: str, secret: Secret, replace_stored: bool, audit: AuditLog
    ) -> UpstreamCredential | None:
        """Store the configured credential when none is stored (or, for the demo, when it
        differs: its identity provider is new on every start)."""
        if self.keys is None or not secret:
            return None
        stored = self.store.current(name)
        credential = secret_credential(client_id, secret)
        if stored and (not replace_stored or _same(stored[0], credential)):
            return None
        self.store.retire(name, CredentialState.PREVIOUS, self.clock())
        try:
            new = self._store(name, credential, "settings", CredentialState.RETIRED)
        except RotationPending:  # another process, starting at the same moment, seeded it
            return None
        audit.record("settings", "credential.seed", TARGET, name, None, _described(new))
        return new

    def unseal_current(self, name: str) -> tuple[int, ClientCredential] | None:
        """The version in use for ``name`` and its credential, opened; None if none is stored."""
        stored = self.store.current(name)
        if stored is None:
            return None
        record, sealed = stored
        material = self.require_keys().open(sealed)
        if material is None:
            raise MasterKeyMissing(f"No configured master key opens the {name} credential")
        credential = ClientCredential(
            record.client_id, record.kind, Secret(material), record.fingerprint, record.expires_at
        )
        return record.version, credential

    def processes_behind(self, name: str, version: int) -> list[str]:
        """Running processes that still use an older version of ``name``."""
        running = self.running_processes()
        return [p.process_id for p in running if p.versions.get(name, version) < version]

    def wait_until_none(self, pending: Callable[[], list[str]]) -> list[str]:
        """Poll ``pending`` until it is empty or the policy's wait is over; the last answer."""
        deadline = time.monotonic() + self.policy.wait_seconds
        left = pending()
        while left and time.monotonic() < deadline:
            self.sleep(0.5)
            left = pending()
        return left

    # -- upstream credentials ---------------------------------------------------------

    def _rotate_upstream(
        self, name: str, request: RotationRequest, actor: str, audit: AuditLog
    ) -> RotationResult:
        current = self._current(name)
        self.require_keys()
        if any(c.state is CredentialState.PREVIOUS for c in self.store.history(name)):
            raise RotationPending(f"Retire the previous {name} credential first")
        credential = self._new_credential(request, current)
        try:
            self.prover.prove(name, credential)
        except (CredentialRejected, UpstreamError) as refused:
            # No fingerprint: a refused value may be a typo of a real secret.
            after = {"kind": credential.kind.value, "clientId": credential.client_id,
                     "refusedWith": refused.code,
                     "providerError": refused.extra.get("providerError")}  # fmt: skip
            audit.record(actor, "credential.rotate_refused", TARGET, name, None, after)
            raise
        new = self._store(name, credential, actor, CredentialState.PREVIOUS)
        before = _described(current) if current else None
        audit.record(actor, "credential.rotate", TARGET, name, before, _described(new))
        self.on_change()
        detail = f"version {current.version} stays usable until it is retired" if current else ""
        return RotationResult(listing.upstream_info(new), detail=detail)

    def _retire_upstream(self, name: str, actor: str, audit: AuditLog) -> CredentialInfo:
        current = self._current(name)
        previous = [c for c in self.store.history(name) if c.state is CredentialState.PREVIOUS]
        if not previous:
            raise NothingToRetire(f"{name} has no previous credential")
        assert current is not None  # a previous one exists only beside a current one
        behind = self.wait_until_none(lambda: self.processes_behind(name, current.version))
        if behind:
            raise CredentialInUse(
                f"Still using the previous {name} credential: {', '.join(behind)}"
            )
        self.store.retire(name, CredentialState.PREVIOUS, self.clock())
        retired = replace(previous[0], state=CredentialState.RETIRED, retired_at=self.clock())
        audit.record(actor, "credential.retire", TARGET, name, _described(previous[0]), None)
        return listing.upstream_info(retired)

    def _new_credential(
        self, request: RotationRequest, current: UpstreamCredential | None
    ) -> ClientCredential:
        client_id = request.client_id or (current.client_id if current else None)
        if not client_id:
            raise CredentialInvalid("A client id is needed: no credential is stored yet")
        if (request.secret is None) == (request.certificate is None):
            raise CredentialInvalid("Give either a client secret or a certificate")
        if request.certificate is not None:
            return self.read_certificate(client_id, request.certificate)
        assert request.secret is not None
        if request.expires_at is not None and request.expires_at <= self.clock():
            raise CredentialInvalid("The new secret's expiry lies in the past")
        credential = secret_credential(client_id, request.secret, request.expires_at)
        if current and _same(current, credential):
            raise CredentialInvalid("That is the credential in use already")
        return credential

    def _store(
        self,
        name: str,
        credential: ClientCredential,
        actor: str,
        demote_to: CredentialState,
    ) -> UpstreamCredential:
        versions = [c.version for c in self.store.history(name)]
        new = UpstreamCredential(
            name,
            max(versions, default=0) + 1,
            credential.kind,
            credential.client_id,
            credential.fingerprint,
            CredentialState.CURRENT,
            self.clock(),
            actor,
            credential.expires_at,
        )
        sealed = self.require_keys().seal(credential.material.reveal())
        try:
            return self.store.store_current(new, sealed, demote_to)
        except ConcurrentChange:
            raise RotationPending(f"Another change to {name} was made at the same time") from None

    def _current(self, name: str) -> UpstreamCredential | None:
        if name not in UPSTREAMS:
            raise CredentialNotFound(f"No credential named {name!r}")
        stored = self.store.current(name)
        return stored[0] if stored else None

    def require_keys(self) -> MasterKeyRing:
        """The master keys; MasterKeyMissing if none are configured."""
        if self.keys is None:
            raise MasterKeyMissing("Set GATEWAY_MASTER_KEYS or MASTER_KEY_FILE first")
        return self.keys


def _same(stored: UpstreamCredential, credential: ClientCredential) -> bool:
    return (stored.client_id, stored.fingerprint) == (credential.client_id, credential.fingerprint)


def _described(credential: UpstreamCredential) -> dict[str, object]:
    return {
        "version": credential.version,
        "kind": credential.kind.value,
        "clientId": credential.client_id,
        "fingerprint": credential.fingerprint,
        "expiresAt": credential.expires_at,
    }
