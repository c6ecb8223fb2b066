"""Legacy SOAP clients: who they are, and proving it (UsernameToken or HTTP Basic)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import NoReturn, Protocol

from gateway.auth.passwords import (
    VerifiedPasswords,
    digests_equal,
    hash_password,
    password_digest,
)
from gateway.domain import legacy_clients
from gateway.domain.errors import Unauthenticated
from gateway.domain.legacy_clients import NAME_PATTERN, LegacyClient
from gateway.domain.principal import Principal
from gateway.services.credentials.ports import Sealer

log = logging.getLogger(__name__)

REFUSED = "Unknown client or wrong credentials"
CLOCK_SKEW = timedelta(minutes=1)


class LegacyClientRepository(Protocol):
    def find(self, name: str) -> LegacyClient | None:
        """The client with its secrets, or None."""
        ...

    def remember_nonce(self, name: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record a nonce; False if the client used it before (in any gateway process)."""
        ...


@dataclass(frozen=True)
class UsernameToken:
    """A WS-Security UsernameToken as sent: ``created`` is the literal text the digest covers."""

    username: str
    password: str
    digest: bool = False
    nonce: bytes | None = None
    created: str | None = None


class LegacyAuthenticator:
    """Turns a legacy client's credentials into a Principal, or raises Unauthenticated."""

    def __init__(
        self,
        clients: LegacyClientRepository,
        passwords: VerifiedPasswords,
        box: Sealer | None,
        max_age: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clients = clients
        self._passwords = passwords
        self._box = box
        self._max_age = max_age
        self._clock = clock
        self._dummy: str | None = None
        _dummy_hash()  # made now, so that the first unknown name costs no more than the next

    def by_basic(self, name: str, password: str) -> Principal:
        """HTTP Basic: the password is checked against the stored argon2id hashes."""
        client = self._proven_by_password(self._find(name), password, self._clock())
        return self._admitted(client)

    def by_username_token(self, token: UsernameToken) -> Principal:
        """PasswordText or PasswordDigest; a nonce is accepted once, a Created only while fresh."""
        now = self._clock()
        found = self._find(token.username)
        created = self._fresh(token, now)
        if token.digest:
            client = self._proven_by_digest(found, token, now)
        else:
            client = self._proven_by_password(found, token.password, now)
        principal = self._admitted(client)
        if token.nonce is not None and created is not None:
            self._spend_nonce(client.name, token.nonce, created, now)
        return principal

    def _find(self, name: str) -> LegacyClient | None:
        return self._clients.find(name) if NAME_PATTERN.fullmatch(name) else None

    # An unknown name is checked like a known one, against a dummy secret, so that neither the
    # time taken nor the work done says which names exist (issue 16.8).

    def _proven_by_password(
        self, client: LegacyClient | None, password: str, now: datetime
    ) -> LegacyClient:
        stored = [secret.password_hash for secret in client.live_secrets(now)] if client else []
        proven = any(
            self._passwords.matches(hashed, password) for hashed in stored or [_dummy_hash()]
        )
        if client is None or not (stored and proven):
            _refused(client, "wrong password")
        return client

    def _proven_by_digest(
        self, client: LegacyClient | None, token: UsernameToken, now: datetime
    ) -> LegacyClient:
        if token.nonce is None or token.created is None:
            raise Unauthenticated("PasswordDigest needs a Nonce and a Created time")
        live = client.live_secrets(now) if client else []
        sealed: list[str | None] = [secret.digest_secret for secret in live if secret.digest_secret]
        for secret in sealed or [self._dummy_sealed()]:
            clear = self._open(secret)
            expected = password_digest(token.nonce, token.created, clear or DUMMY_PASSWORD)
            if digests_equal(token.password, expected) and client and sealed and clear:
                return client
        _refused(client, "digest does not match")

    def _dummy_sealed(self) -> str | None:
        """A secret sealed like a real one, opened in place of one for an unknown name."""
        if self._box is not None and self._dummy is None:
            self._dummy = self._box.seal(DUMMY_PASSWORD)
        return self._dummy

    def _open(self, sealed: str | None) -> str | None:
        if self._box is None or sealed is None:
            return None
        return self._box.open(sealed)

    def _fresh(self, token: UsernameToken, now: datetime) -> datetime | None:
        if token.created is None:
            if token.nonce is not None:
                raise Unauthenticated("A Nonce needs a Created time")
            return None
        created = _instant(token.created)
        if created > now + CLOCK_SKEW or now - created > self._max_age:
            raise Unauthenticated("The UsernameToken's Created time is too old or in the future")
        return created

    def _spend_nonce(self, name: str, nonce: bytes, created: datetime, now: datetime) -> None:
        if not 4 <= len(nonce) <= 64:
            raise Unauthenticated("The Nonce must be 4 to 64 bytes")
        expires = created + self._max_age + CLOCK_SKEW  # a replay after that is stale anyway
        if not self._clients.remember_nonce(name, nonce.hex(), expires, now):
            log.warning("legacy client %s refused: nonce replayed", name)
            raise Unauthenticated("This Nonce was used before")

    @staticmethod
    def _admitted(client: LegacyClient) -> Principal:
        if not client.enabled:
            log.info("legacy client %s refused: disabled", client.name)
            raise Unauthenticated(REFUSED)
        return client.principal()


def _refused(client: LegacyClient | None, why: str) -> NoReturn:
    if client is None:
        log.info("legacy client refused: unknown name")
    else:
        log.info("legacy client %s refused: %s", client.name, why)
    raise Unauthenticated(REFUSED)


DUMMY_PASSWORD = secrets.token_urlsafe(24)  # per process: no one can send it


@cache
def _dummy_hash() -> str:
    return hash_password(DUMMY_PASSWORD)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Unauthenticated("The UsernameToken's Created time is not ISO 8601") from None
    if moment.tzinfo is None:
        raise Unauthenticated("The UsernameToken's Created time needs a time zone")
    return moment.astimezone(UTC)


def new_client(
    name: str,
    roles: frozenset[str],
    owners: frozenset[str],
    password: str,
    box: Sealer | None,
    allow_digest: bool,
    now: datetime,
) -> LegacyClient:
    """A client ready to store, its password hashed with argon2id (ValueError if invalid)."""
    return legacy_clients.new_client(
        name, roles, owners, password, box, allow_digest, now, hash_password
    )
