"""Inbound token validation against a JWKS served by `responses` (no sockets)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
import requests
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.utils import base64url_encode

from gateway.auth.validator import JwksCache, TokenValidator
from gateway.domain import roles
from gateway.domain.errors import Unauthenticated
from gateway.domain.principal import Principal

ISSUER = "https://login.example.test/tenant-a/v2.0"
AUDIENCE = "api://reservation-gateway"
JWKS_URI = "https://login.example.test/tenant-a/discovery/v2.0/keys"


class Clock:
    """A hand-moved monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SigningKey:
    def __init__(self) -> None:
        self.kid = uuid.uuid4().hex
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "use": "sig"}

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, kid: str | None = None, drop: tuple[str, ...] = (), **claims: Any) -> str:
        payload = {**standard_claims(), **claims}
        for name in drop:
            payload.pop(name)
        return jwt.encode(
            payload, self.private, algorithm="RS256", headers={"kid": kid or self.kid}
        )


def standard_claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey()


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jwks(clock: Clock) -> JwksCache:
    return JwksCache(JWKS_URI, requests.Session(), min_refetch_interval=30, clock=clock)


@pytest.fixture
def validator(jwks: JwksCache) -> TokenValidator:
    return TokenValidator(ISSUER, AUDIENCE, jwks)


def publish(mocked: responses.RequestsMock, *keys: SigningKey) -> None:
    mocked.replace(responses.GET, JWKS_URI, json={"keys": [k.jwk() for k in keys]})


def jwks_fetches(mocked: responses.RequestsMock) -> int:
    return sum(1 for call in mocked.calls if call.request.url == JWKS_URI)


def rejection(validator: TokenValidator, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        validator.validate(token)
    return caught.value.detail


@pytest.fixture(autouse=True)
def _published(mocked: responses.RequestsMock, key: SigningKey) -> None:
    mocked.add(responses.GET, JWKS_URI, json={"keys": [key.jwk()]})


def test_valid_token_becomes_a_principal_with_roles_and_owners(
    validator: TokenValidator, key: SigningKey
) -> None:
    token = key.sign(roles=[roles.STAFF, roles.MANAGER], owners=["PLANT1", "PLANT2"])

    principal = validator.validate(token)

    assert principal == Principal(
        "user-1", frozenset({roles.STAFF, roles.MANAGER}), frozenset({"PLANT1", "PLANT2"})
    )
    assert principal.has_any_role(roles.MANAGER, roles.OWNER)
    assert not principal.has_any_role(roles.ADMIN)
    assert principal.can_see_owner("PLANT2") and not principal.can_see_owner("PLANT3")


def test_star_in_the_owner_claim_means_every_owner(jwks: JwksCache, key: SigningKey) -> None:
    validator = TokenValidator(ISSUER, AUDIENCE, jwks, owner_claim="plants")

    principal = validator.validate(key.sign(plants=["*"]))

    assert principal.all_owners and principal.can_see_owner("ANY")
    assert principal.roles == frozenset()


def test_expired_token_is_rejected(validator: TokenValidator, key: SigningKey) -> None:
    now = int(time.time())
    token = key.sign(iat=now - 3600, nbf=now - 3600, exp=now - 60)

    assert rejection(validator, token) == "token has expired"


def test_expiry_within_leeway_is_accepted(validator: TokenValidator, key: SigningKey) -> None:
    token = key.sign(exp=int(time.time()) - 5)

    assert validator.validate(token).subject == "user-1"


def test_token_from_another_issuer_is_rejected(validator: TokenValidator, key: SigningKey) -> None:
    token = key.sign(iss="https://login.example.test/tenant-b/v2.0")

    assert rejection(validator, token) == "token is from another issuer"


def test_token_for_another_audience_is_rejected(validator: TokenValidator, key: SigningKey) -> None:
    token = key.sign(aud="api://sandbox-inventory")

    assert rejection(validator, token) == "token is for another audience"


def test_token_signed_by_another_key_under_a_known_kid_is_rejected(
    validator: TokenValidator, key: SigningKey, other_key: SigningKey
) -> None:
    token = other_key.sign(kid=key.kid)

    assert rejection(validator, token) == "token signature is invalid"


def test_unsigned_token_is_rejected_before_any_key_lookup(
    validator: TokenValidator, mocked: responses.RequestsMock
) -> None:
    token = jwt.encode(standard_claims(), "", algorithm="none", headers={"kid": "k"})

    assert rejection(validator, token) == "token algorithm is not allowed"
    assert jwks_fetches(mocked) == 0


def test_hs256_signed_with_the_public_key_is_rejected(
    validator: TokenValidator, key: SigningKey, mocked: responses.RequestsMock
) -> None:
    # PyJWT refuses PEM keys as HMAC secrets, so forge the signature by hand.
    token = forge_hs256(standard_claims(), secret=key.public_pem(), kid=key.kid)

    assert rejection(validator, token) == "token algorithm is not allowed"
    assert jwks_fetches(mocked) == 0


def forge_hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    header = base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = base64url_encode(json.dumps(claims).encode())
    signing_input = header + b"." + body
    signature = base64url_encode(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub"])
def test_token_without_a_required_claim_is_rejected(
    validator: TokenValidator, key: SigningKey, claim: str
) -> None:
    token = key.sign(drop=(claim,))

    assert rejection(validator, token) == f"token lacks the '{claim}' claim"


def test_malformed_roles_claim_is_rejected(validator: TokenValidator, key: SigningKey) -> None:
    assert rejection(validator, key.sign(roles={"a": 1})) == "token claim 'roles' is malformed"


def test_garbage_is_rejected_without_echoing_it(validator: TokenValidator) -> None:
    detail = rejection(validator, "not-a-jwt-secret-looking-thing")

    assert detail == "token is malformed"
    assert "secret" not in detail


def test_unknown_kid_triggers_one_refetch_and_is_rejected(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    validator.validate(key.sign())
    clock.now += 31

    assert rejection(validator, other_key.sign()) == "token signed with an unknown key"
    assert jwks_fetches(mocked) == 2


def test_new_kid_in_the_jwks_is_accepted_after_a_refetch(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    validator.validate(key.sign())
    publish(mocked, key, other_key)
    clock.now += 31

    principal = validator.validate(other_key.sign(sub="after-rollover"))

    assert principal.subject == "after-rollover"
    assert validator.validate(key.sign()).subject == "user-1"
    assert jwks_fetches(mocked) == 2


def test_failing_jwks_endpoint_keeps_the_last_good_keys(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    validator.validate(key.sign())
    mocked.replace(responses.GET, JWKS_URI, status=503)
    clock.now += 31
    rejection(validator, other_key.sign())  # forces the failing refetch
    clock.now += 10_000  # stale as well: another refetch, failing too

    assert validator.validate(key.sign()).subject == "user-1"
    assert jwks_fetches(mocked) == 3


def test_a_flood_of_unknown_kids_causes_at_most_one_refetch_per_interval(
    validator: TokenValidator, key: SigningKey, clock: Clock, mocked: responses.RequestsMock
) -> None:
    validator.validate(key.sign())
    clock.now += 31

    for _ in range(50):
        rejection(validator, key.sign(kid=uuid.uuid4().hex))
        clock.now += 0.5

    assert jwks_fetches(mocked) == 2


def test_stale_key_set_is_refreshed_so_retired_keys_stop_working(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    validator.validate(key.sign())
    publish(mocked, other_key)
    clock.now += 901

    assert rejection(validator, key.sign()) == "token signed with an unknown key"
