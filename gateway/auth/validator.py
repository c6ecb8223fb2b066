"""Inbound bearer tokens (SPEC §7): RS256 only, JWKS with key rollover, iss, aud, exp."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jwt
import requests

from gateway.auth.token_cache import ValidatedToken, ValidatedTokens, token_digest
from gateway.domain.errors import (
    Unauthenticated,
)
from gateway.domain.principal import Principal

log = logging.getLogger(__name__)

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
TimeoutSpec = float | tuple[float, float]


class JwksCache:
    """An IdP's signing keys, refetched on an unknown ``kid`` or when stale, never too often.

    Unlike PyJWKClient it keeps the last good key set when a fetch fails, and it refetches
    at most once per ``min_refetch_interval``, so tokens with made-up ``kid``s cannot turn
    the gateway into a load generator against the IdP. The set is refreshed after ``max_age``
    (15 min), so retired keys stop working. Requests arriving while the very first fetch is in
    flight wait for it rather than answer "unknown key".
    """

    def __init__(
        self,
        jwks_uri: str,
        session: requests.Session,
        timeout: TimeoutSpec = (3.05, 5.0),
        min_refetch_interval: float = 30.0,
        max_age: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.jwks_uri = jwks_uri
        self._session = session
        self._timeout = timeout
        self._min_interval = min_refetch_interval
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._fetch_lock = threading.Lock()

    def key_for(self, kid: str) -> jwt.PyJWK:
        """The published key ``kid``; Unauthenticated if the IdP does not publish it."""
        if self._needs_fetch(kid):
            self._fetch_for(kid)
        elif kid not in self._keys and self._fetch_lock.locked():
            with self._fetch_lock:  # a fetch is under way (the first, say): its keys may do
                pass
        key = self._keys.get(kid)
        if key is None:
            raise Unauthenticated("token signed with an unknown key")
        return key

    def _needs_fetch(self, kid: str) -> bool:
        now = self._clock()
        if self._attempted_at is None:
            return True
        if now - self._attempted_at < self._min_interval:
            return False
        stale = self._fetched_at is None or now - self._fetched_at >= self._max_age
        return kid not in self._keys or stale

    def _fetch_for(self, kid: str) -> None:
        # A caller whose key is known only wants a fresher set; it need not wait for one.
        if not self._fetch_lock.acquire(blocking=kid not in self._keys):
            return
        try:
            if self._needs_fetch(kid):
                self._refresh()
        finally:
            self._fetch_lock.release()

    def _refresh(self) -> None:
        self._attempted_at = self._clock()
        keys = self._download()
        if keys:
            self._keys = {kid: self._same_or_new(kid, key) for kid, key in keys.items()}
            self._fetched_at = self._attempted_at

    def _same_or_new(self, kid: str, key: jwt.PyJWK) -> jwt.PyJWK:
        # An unchanged key keeps its object, so tokens validated with it stay cached; a kid
        # republished with other material is a new object, and its cached tokens are dropped.
        known = self._keys.get(kid)
        if known is not None and _public_numbers(known) == _public_numbers(key):
            return known
        return key

    def _download(self) -> dict[str, jwt.PyJWK]:
        try:
            response = self._session.get(self.jwks_uri, timeout=self._timeout)
            response.raise_for_status()
            keys = parse_jwks(response.json())
        except (requests.RequestException, ValueError) as exc:
            log.warning(
                "JWKS fetch from %s failed (%s); keeping %d known keys",
                self.jwks_uri,
                type(exc).__name__,
                len(self._keys),
            )
            return {}
        if not keys:
            log.warning("JWKS at %s has no usable RS256 keys; keeping the last set", self.jwks_uri)
        return keys


def _public_numbers(key: jwt.PyJWK) -> Any:
    return key.key.public_numbers()


def parse_jwks(document: Any) -> dict[str, jwt.PyJWK]:
    """The usable RSA signing keys of a JWKS document, by ``kid``; others are skipped."""
    entries = document.get("keys") if isinstance(document, Mapping) else None
    keys: dict[str, jwt.PyJWK] = {}
    for entry in entries if isinstance(entries, list) else []:
        if not _is_rsa_signing_key(entry):
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK.from_dict(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            log.warning("skipping unreadable JWKS key %s", entry["kid"])
    return keys


def _is_rsa_signing_key(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and entry.get("kty") == "RSA"
        and entry.get("use", "sig") == "sig"
        and isinstance(entry.get("kid"), str)
    )


class TokenValidator:
    """Turns a bearer token into a Principal, or raises Unauthenticated with a short reason.

    A token that passed is remembered (by its hash, at most ``cache_size``) and accepted again
    without signature work while its ``exp`` has not come and the JWKS still publishes the
    very key it was verified with; each reuse asks the JWKS for that key, so the key set is
    still refreshed on schedule and a removed or replaced key ends its tokens' reuse within
    the refresh interval (decision 151).
    """

    def __init__(
        self,
        issuer: str | Sequence[str],
        audience: str | Sequence[str],
        jwks: JwksCache,
        owner_claim: str = "owners",
        leeway: float = 30.0,
        clock: Callable[[], float] = time.time,
        cache_size: int = 4096,
    ) -> None:
        self._validated = ValidatedTokens(cache_size)
        self._issuer = issuer
        self._audience = audience
        self._jwks = jwks
        self._owner_claim = owner_claim
        self._leeway = leeway
        self._clock = clock

    def validate(self, token: str) -> Principal:
        """The caller the token vouches for; Unauthenticated on any doubt."""
        digest = token_digest(token)
        known = self._validated.get(digest)
        if known is not None:
            if self._still_valid(known):
                return known.principal
            self._validated.discard(digest)  # and validated in full: the same refusal as ever
        kid = _pinned_kid(token)
        key = self._jwks.key_for(kid)
        claims = self._decode(token, key)
        self._check_lifetime(claims)
        principal = self._principal(claims)
        self._remember(
            digest, ValidatedToken(principal, kid, key, _not_before(claims), claims["exp"])
        )
        return principal

    def _still_valid(self, known: ValidatedToken) -> bool:
        now = self._clock()
        if not known.not_before - self._leeway <= now < known.expires:
            return False
        try:
            return self._jwks.key_for(known.kid) is known.key
        except Unauthenticated:  # the kid left the JWKS
            return False

    def _remember(self, digest: bytes, validated: ValidatedToken) -> None:
        if self._clock() < validated.expires:  # accepted within the leeway only: not kept
            self._validated.put(digest, validated)

    def _decode(self, token: str, key: jwt.PyJWK) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked against the injected clock in _check_lifetime.
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
        except jwt.InvalidSignatureError:
            raise Unauthenticated("token signature is invalid") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("token is for another audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("token is from another issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"token lacks the '{exc.claim}' claim") from None
        except jwt.PyJWTError:
            raise Unauthenticated("token is invalid") from None

    def _check_lifetime(self, claims: Mapping[str, Any]) -> None:
        now = self._clock()
        exp, iat, nbf = claims["exp"], claims["iat"], claims.get("nbf", 0)
        if not all(_is_number(v) for v in (exp, iat, nbf)):
            raise Unauthenticated("token times are not numbers")
        if now > exp + self._leeway:
            raise Unauthenticated("token has expired")
        if now + self._leeway < max(nbf, iat):
            raise Unauthenticated("token is not valid yet")

    def _principal(self, claims: Mapping[str, Any]) -> Principal:
        subject = claims["sub"]
        if not isinstance(subject, str) or not subject:
            raise Unauthenticated("token subject is malformed")
        return Principal.from_owner_claim(
            subject,
            roles=_string_set(claims, "roles"),
            owners=_string_set(claims, self._owner_claim),
        )


def _pinned_kid(token: str) -> str:
    # Refuse every algorithm but RS256 before any key is looked up: "none" and the
    # HS256-with-the-public-key trick never reach a verifier.
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthenticated("token is malformed") from None
    if header.get("alg") != ALGORITHM:
        raise Unauthenticated("token algorithm is not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Unauthenticated("token has no key id")
    return kid


def _not_before(claims: Mapping[str, Any]) -> float:
    return float(max(claims.get("nbf", 0), claims["iat"]))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _string_set(claims: Mapping[str, Any], name: str) -> frozenset[str]:
    value = claims.get(name, [])
    if isinstance(value, str):
        return frozenset({value})
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unauthenticated(f"token claim '{name}' is malformed")
    return frozenset(value)
