"""The sandbox IdP over real HTTPS on 127.0.0.1, driven by MSAL and the gateway's validator."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from adapters.azure_tokens import AzureTokenProvider, TokenRetry
from adapters.http_session import make_session
from gateway.auth.validator import JwksCache, TokenValidator
from gateway.domain import roles
from gateway.domain.errors import Unauthenticated, UpstreamFault
from sandbox.idp import RunningIdp, TokenRejected, ensure_tls_files, start_idp

INVENTORY_SCOPE = "api://sandbox-inventory/.default"
INVENTORY_AUDIENCE = "api://sandbox-inventory"
GATEWAY_AUDIENCE = "api://reservation-gateway"
NO_WAIT = TokenRetry(attempts=2, initial_wait=0, max_wait=0)


class Clock:
    """A hand-moved monotonic clock for the JWKS cache."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client_id() -> str:
    return f"gateway-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def secret() -> str:
    return f"secret-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def running_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    running = start_idp(tmp_path_factory.mktemp("idp"))
    yield running
    running.stop()


@pytest.fixture
def idp(running_idp: RunningIdp, client_id: str, secret: str) -> RunningIdp:
    """The shared IdP with a fresh client registered and its counters and faults cleared."""
    running_idp.provider.add_client_secret(client_id, secret)
    running_idp.provider.calls.reset()
    running_idp.provider.faults.reset()
    return running_idp


@pytest.fixture
def session(idp: RunningIdp) -> requests.Session:
    return make_session(str(idp.tls.ca_path))


def token_provider(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> AzureTokenProvider:
    return AzureTokenProvider(idp.authority, client_id, secret, session, retry=NO_WAIT)


def test_msal_gets_a_token_the_idp_verifies_for_the_requested_audience(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> None:
    token = token_provider(idp, session, client_id, secret).token_for(INVENTORY_SCOPE)

    claims = idp.provider.verify(token, INVENTORY_AUDIENCE)

    assert claims["azp"] == claims["appid"] == client_id
    assert claims["iss"] == f"{idp.server.url}/sandbox-tenant/v2.0"
    assert claims["tid"] == "sandbox-tenant"
    with pytest.raises(TokenRejected):
        idp.provider.verify(token, GATEWAY_AUDIENCE)


def test_wrong_secret_is_an_upstream_fault_naming_invalid_client(
    idp: RunningIdp, session: requests.Session, client_id: str
) -> None:
    provider = token_provider(idp, session, client_id, "not-the-secret")

    with pytest.raises(UpstreamFault) as caught:
        provider.token_for(INVENTORY_SCOPE)

    assert "invalid_client" in str(caught.value)
    assert "not-the-secret" not in str(caught.value)


def test_eight_threads_on_an_empty_cache_cause_one_token_request(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> None:
    provider = token_provider(idp, session, client_id, secret)
    # A slow token endpoint keeps the race window open for callers without single-flight.
    idp.provider.faults.update({"latency_ms": 200, "operations": ["token"]})
    start = threading.Barrier(8)
    tokens: list[str] = []

    def caller() -> None:
        start.wait()
        tokens.append(provider.token_for(INVENTORY_SCOPE))

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert idp.provider.calls.counts()["token"] == 1


@pytest.mark.parametrize("ca_bundle", ["missing", "other-ca"])
def test_tls_trust_stays_pinned_whatever_requests_ca_bundle_says(
    idp: RunningIdp,
    client_id: str,
    secret: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    ca_bundle: str,
) -> None:
    misleading = (
        tmp_path / "missing.pem"
        if ca_bundle == "missing"
        else ensure_tls_files(tmp_path / "other").ca_path
    )
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(misleading))
    discovery = f"{idp.authority}/v2.0/.well-known/openid-configuration"
    with pytest.raises((requests.exceptions.SSLError, OSError)):
        requests.get(discovery, timeout=5)

    session = make_session(str(idp.tls.ca_path))

    assert session.get(discovery, timeout=5).status_code == 200
    assert token_provider(idp, session, client_id, secret).token_for(INVENTORY_SCOPE)


def test_validator_follows_key_rotation_and_drops_retired_keys(
    idp: RunningIdp, session: requests.Session
) -> None:
    clock = Clock()
    issuer = idp.provider.issuer
    jwks = JwksCache(idp.jwks_uri, session, max_age=900, clock=clock)
    validator = TokenValidator(issuer, GATEWAY_AUDIENCE, jwks)
    old_token = idp.provider.mint("alice", GATEWAY_AUDIENCE, [roles.STAFF], ["PLANT1"])
    assert validator.validate(old_token).owner_ids == {"PLANT1"}

    rotated = session.post(f"{idp.server.url}/_sandbox/signing-keys/rotate", timeout=5)
    new_token = idp.provider.mint("bob", GATEWAY_AUDIENCE, [roles.MANAGER])
    clock.now += 31

    assert rotated.json()["kid"] == idp.provider.current_kid()
    assert validator.validate(new_token).roles == {roles.MANAGER}
    assert validator.validate(old_token).subject == "alice"

    idp.provider.retire_old_keys()
    clock.now += 901

    with pytest.raises(Unauthenticated, match="unknown key"):
        validator.validate(old_token)
    assert validator.validate(new_token).subject == "bob"


def test_two_secrets_work_at_once_and_a_removed_one_is_refused(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> None:
    secrets_url = f"{idp.server.url}/_sandbox/clients/{client_id}/secrets"
    second = f"second-{uuid.uuid4().hex}"
    added = session.post(secrets_url, json={"secret": second}, timeout=5)

    assert added.status_code == 201
    assert token_provider(idp, session, client_id, secret).token_for(INVENTORY_SCOPE)
    assert token_provider(idp, session, client_id, second).token_for(INVENTORY_SCOPE)

    removed = session.delete(secrets_url, json={"secret": secret}, timeout=5)

    assert removed.status_code == 204
    with pytest.raises(UpstreamFault, match="invalid_client"):
        token_provider(idp, session, client_id, secret).token_for(INVENTORY_SCOPE)
    assert token_provider(idp, session, client_id, second).token_for(INVENTORY_SCOPE)


def test_dev_mint_issues_a_gateway_token_with_roles_and_owners(
    idp: RunningIdp, session: requests.Session
) -> None:
    answer = session.post(
        f"{idp.server.url}/_sandbox/tokens",
        json={"audience": GATEWAY_AUDIENCE, "roles": [roles.OWNER], "owners": ["PLANT9"]},
        timeout=5,
    )

    claims = idp.provider.verify(answer.json()["access_token"], GATEWAY_AUDIENCE)

    assert claims["roles"] == [roles.OWNER]
    assert claims["owners"] == ["PLANT9"]
    assert claims["sub"] == "sandbox-user"


def test_token_endpoint_answers_errors_like_azure(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> None:
    token_url = f"{idp.authority}/oauth2/v2.0/token"
    form = {"client_id": client_id, "client_secret": secret}

    bad_grant = session.post(token_url, data={**form, "grant_type": "password"}, timeout=5)
    bad_scope = session.post(
        token_url,
        data={**form, "grant_type": "client_credentials", "scope": INVENTORY_AUDIENCE},
        timeout=5,
    )

    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"
    assert bad_scope.status_code == 400
    assert bad_scope.json()["error"] == "invalid_scope"
    assert bad_scope.json()["error_codes"] == [1002012]
    assert bad_scope.json()["error_description"].startswith("AADSTS1002012:")


def test_call_log_counts_token_requests_and_can_be_reset(
    idp: RunningIdp, session: requests.Session, client_id: str, secret: str
) -> None:
    calls_url = f"{idp.server.url}/_sandbox/calls"
    token_provider(idp, session, client_id, secret).token_for(INVENTORY_SCOPE)

    before = session.get(calls_url, timeout=5).json()
    session.delete(calls_url, timeout=5)
    after = session.get(calls_url, timeout=5).json()

    assert before["token"] == 1
    assert after == {}


def test_a_restarted_idp_reuses_its_ca_and_signing_keys(tmp_path: Path) -> None:
    state = tmp_path / "idp-state"
    first = start_idp(state)
    first_ca, first_kid = first.tls.ca_path.read_bytes(), first.provider.current_kid()
    first.stop()

    second = start_idp(state)
    try:
        assert second.tls.ca_path.read_bytes() == first_ca
        assert second.provider.current_kid() == first_kid
        assert make_session(str(second.tls.ca_path)).get(second.jwks_uri, timeout=5).ok
    finally:
        second.stop()


def test_a_registered_certificate_signs_client_assertions_msal_makes(
    idp: RunningIdp, session: requests.Session, client_id: str
) -> None:
    from tests.integration.credential_helpers import certificate_pem

    key, certificate = certificate_pem(client_id)
    stranger_key, stranger_certificate = certificate_pem("stranger")
    added = session.post(
        f"{idp.server.url}/_sandbox/clients/{client_id}/certificates",
        data=certificate,
        headers={"Content-Type": "application/x-pem-file"},
        timeout=5,
    )
    as_msal = {"private_key": key, "public_certificate": certificate}
    stranger = {"private_key": stranger_key, "public_certificate": stranger_certificate}

    token = AzureTokenProvider(idp.authority, client_id, as_msal, session, retry=NO_WAIT)

    assert added.status_code == 201 and len(added.json()["thumbprint"]) == 40
    assert idp.provider.verify(token.token_for(INVENTORY_SCOPE), INVENTORY_AUDIENCE)["azp"] == (
        client_id
    )
    with pytest.raises(UpstreamFault, match=r"invalid_client.*AADSTS700027"):
        AzureTokenProvider(idp.authority, client_id, stranger, session, retry=NO_WAIT).token_for(
            INVENTORY_SCOPE
        )


def test_a_generated_secret_is_shown_once_and_removed_by_its_key_id(
    idp: RunningIdp, session: requests.Session, client_id: str
) -> None:
    client_url = f"{idp.server.url}/_sandbox/clients/{client_id}"
    added = session.post(f"{client_url}/secrets", json={}, timeout=5).json()
    listed = session.get(client_url, timeout=5).json()

    works = token_provider(idp, session, client_id, added["secretText"]).token_for(INVENTORY_SCOPE)
    removed = session.delete(f"{client_url}/keys/{added['keyId']}", timeout=5)

    assert works
    assert added["keyId"] in [s["keyId"] for s in listed["secrets"]]
    assert added["secretText"] not in str(listed)
    assert removed.status_code == 204
    with pytest.raises(UpstreamFault, match="invalid_client"):
        token_provider(idp, session, client_id, added["secretText"]).token_for(INVENTORY_SCOPE)
