"""Validated inbound tokens are reused without signature work, and never past exp or their key.

The JWKS is served by `responses` (no sockets); signature checks are counted on PyJWT's RSA
verifier.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from jwt.algorithms import RSAAlgorithm

from gateway.auth.validator import JwksCache, TokenValidator
from gateway.domain.errors import Unauthenticated
from tests.unit.test_token_validator import (
    AUDIENCE,
    ISSUER,
    JWKS_URI,
    Clock,
    SigningKey,
    jwks_fetches,
    publish,
)

LEEWAY = 30


@pytest.fixture(scope="module")
def key() -> SigningKey:
    return SigningKey()


@pytest.fixture(scope="module")
def other_key() -> SigningKey:
    return SigningKey()


@pytest.fixture
def mocked(key: SigningKey) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.GET, JWKS_URI, json={"keys": [key.jwk()]})
        yield rsps


@pytest.fixture
def jwks_clock() -> Clock:
    return Clock()


@pytest.fixture
def wall() -> Clock:
    clock = Clock()
    clock.now = time.time()
    return clock


@pytest.fixture
def jwks(jwks_clock: Clock) -> JwksCache:
    return JwksCache(JWKS_URI, requests.Session(), max_age=900, clock=jwks_clock)


def make_validator(jwks: JwksCache, wall: Clock, cache_size: int = 16) -> TokenValidator:
    return TokenValidator(ISSUER, AUDIENCE, jwks, leeway=LEEWAY, clock=wall, cache_size=cache_size)


@pytest.fixture
def validator(jwks: JwksCache, wall: Clock) -> TokenValidator:
    return make_validator(jwks, wall)


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per RSA signature check."""
    done: list[int] = []
    original = RSAAlgorithm.verify

    def counting(self: RSAAlgorithm, *args: Any) -> bool:
        done.append(1)
        return original(self, *args)

    monkeypatch.setattr(RSAAlgorithm, "verify", counting)
    return done


def refusal(validator: TokenValidator, token: str) -> str:
    with pytest.raises(Unauthenticated) as caught:
        validator.validate(token)
    return caught.value.detail


def test_a_second_validation_of_the_same_token_does_no_signature_work(
    validator: TokenValidator, key: SigningKey, verifications: list[int], mocked: Any
) -> None:
    token = key.sign(owners=["PLANT1"])

    first = validator.validate(token)
    second = validator.validate(token)

    assert second == first and second.owner_ids == {"PLANT1"}
    assert len(verifications) == 1


def test_without_a_cache_every_validation_checks_the_signature(
    jwks: JwksCache, wall: Clock, key: SigningKey, verifications: list[int], mocked: Any
) -> None:
    validator = make_validator(jwks, wall, cache_size=0)
    token = key.sign()

    validator.validate(token)
    validator.validate(token)

    assert len(verifications) == 2


def test_a_cached_token_is_not_reused_at_its_exp_and_refused_once_expired(
    validator: TokenValidator, key: SigningKey, wall: Clock, verifications: list[int], mocked: Any
) -> None:
    exp = int(wall.now) + 60
    token = key.sign(exp=exp)
    validator.validate(token)

    wall.now = exp + 1  # within the leeway: accepted as before, but validated in full
    assert validator.validate(token).subject == "user-1"
    assert len(verifications) == 2

    wall.now = exp + LEEWAY + 1
    assert refusal(validator, token) == "token has expired"


def test_a_token_whose_key_left_the_jwks_is_refused_after_the_refresh(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    jwks_clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    token = key.sign()
    validator.validate(token)
    publish(mocked, other_key)  # the key is revoked at the IdP

    jwks_clock.now += 60  # the key set is not stale yet: still the set the token was checked by
    assert validator.validate(token).subject == "user-1"
    jwks_clock.now += 900  # the refresh interval has passed

    assert refusal(validator, token) == "token signed with an unknown key"
    assert jwks_fetches(mocked) == 2


def test_a_kid_republished_with_other_key_material_ends_its_cached_tokens(
    validator: TokenValidator,
    key: SigningKey,
    other_key: SigningKey,
    jwks_clock: Clock,
    mocked: responses.RequestsMock,
) -> None:
    token = key.sign()
    validator.validate(token)
    mocked.replace(responses.GET, JWKS_URI, json={"keys": [{**other_key.jwk(), "kid": key.kid}]})
    jwks_clock.now += 901

    assert refusal(validator, token) == "token signature is invalid"


def test_a_refreshed_but_unchanged_key_set_keeps_the_cached_tokens(
    validator: TokenValidator,
    key: SigningKey,
    jwks_clock: Clock,
    verifications: list[int],
    mocked: responses.RequestsMock,
) -> None:
    token = key.sign()
    validator.validate(token)
    jwks_clock.now += 901

    validator.validate(token)

    assert jwks_fetches(mocked) == 2
    assert len(verifications) == 1


def test_the_cache_holds_at_most_its_bound_least_recently_used_out_first(
    jwks: JwksCache, wall: Clock, key: SigningKey, verifications: list[int], mocked: Any
) -> None:
    validator = make_validator(jwks, wall, cache_size=3)
    tokens = [key.sign(sub=f"user-{n}") for n in range(4)]
    for token in tokens:
        validator.validate(token)

    validator.validate(tokens[3])  # kept: no signature work
    assert len(verifications) == 4
    validator.validate(tokens[0])  # evicted by the fourth: checked again
    assert len(verifications) == 5


@pytest.mark.parametrize("part", ["payload", "signature"])
def test_a_tampered_token_never_hits_the_cache_of_the_genuine_one(
    validator: TokenValidator, key: SigningKey, mocked: Any, part: str
) -> None:
    genuine = key.sign(roles=["Reservations.Staff"])
    validator.validate(genuine)
    header, payload, signature = genuine.split(".")
    forged_payload = key.sign(roles=["Reservations.Admin"]).split(".")[1]
    tampered = (
        f"{header}.{forged_payload}.{signature}"
        if part == "payload"
        else f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    )

    assert refusal(validator, tampered) == "token signature is invalid"
    assert validator.validate(genuine).roles == {"Reservations.Staff"}
