"""Master key rotation from a key file, two gateway processes serving throughout: afterwards
every stored secret opens with the new key alone."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from gateway.domain.roles import ADMIN, STAFF
from gateway.store.credentials import CredentialStore
from gateway.store.keyring import MasterKeys, ensure_key_file, read_key_file
from tests.integration.credential_helpers import STOCK, Traffic, running
from tests.secret_scan import SecretScan
from tests.soap_helpers import PATH, envelope, headers, security_header

PASSWORD = "digest-client-password"
STOCK_REQUEST = "<g:itemSkuId>RM-1001</g:itemSkuId><g:warehouseId>W01</g:warehouseId>"


@pytest.fixture
def key_file(tmp_path: Path, secret_scan: SecretScan) -> Path:
    path = tmp_path / "master-keys"
    ensure_key_file(path)
    secret_scan.watch(*read_key_file(path))
    return path


@pytest.fixture
def make_app(
    gateway_settings: dict[str, Any], tmp_path: Path, key_file: Path
) -> Callable[[], Flask]:
    def make() -> Flask:
        return create_app(
            {
                **gateway_settings,
                "MASTER_KEYS": None,
                "MASTER_KEY_FILE": str(key_file),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
                "CREDENTIALS_SEED": "if-missing",
                "CREDENTIAL_CHECK_SECONDS": 0.2,
                "CREDENTIAL_REPORT_SECONDS": 5,
                "CREDENTIAL_WAIT_SECONDS": 10,
            }
        )

    return make


def digest_client(app: Flask, secret_scan: SecretScan) -> str:
    secret_scan.watch(PASSWORD)
    name = f"mes-{uuid.uuid4().hex[:10]}"
    keys = app.extensions["gateway"].credentials.keys
    client = new_client(name, frozenset({STAFF}), frozenset({"PLANT-A"}), PASSWORD, keys, True,
                        datetime.now(UTC))  # fmt: skip
    app.extensions["gateway"].store.legacy_clients.add(client)
    return name


def soap_and_rest_traffic(app: Flask, name: str, token: str) -> Traffic:
    """Alternating PasswordDigest SOAP calls (each opens a sealed secret) and REST reads."""

    def send(client: Any) -> int:
        rest = client.get(STOCK, headers={"Authorization": f"Bearer {token}"})
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        header = security_header(name, PASSWORD, True, uuid.uuid4().bytes, created)
        soap = client.post(PATH, data=envelope("GetStockLevel", STOCK_REQUEST, header),
                           headers=headers("GetStockLevel"))  # fmt: skip
        return rest.status_code if soap.status_code == 200 else soap.status_code

    return Traffic(send, app.test_client, threads=3)


def test_rotating_the_master_key_reseals_everything_while_two_processes_serve(
    make_app: Callable[[], Flask],
    key_file: Path,
    mint: Callable[..., str],
    secret_scan: SecretScan,
) -> None:
    first, second = make_app(), make_app()
    name = digest_client(first, secret_scan)
    old_key = read_key_file(key_file)[0]
    admin = {"Authorization": f"Bearer {mint(roles=(ADMIN,))}"}
    http = first.test_client()
    with (
        running(soap_and_rest_traffic(first, name, mint())) as one,
        running(soap_and_rest_traffic(second, name, mint())) as two,
    ):
        one.wait_until(lambda: one.sent >= 20 and two.sent >= 20)
        rotated = http.post("/admin/credentials/master-key/rotate", json={}, headers=admin)
        secret_scan.watch(*read_key_file(key_file))
        retired = http.post("/admin/credentials/master-key/retire", headers=admin)
        done = one.sent + two.sent
        one.wait_until(lambda: one.sent + two.sent >= done + 40)

    assert rotated.status_code == 200, rotated.json
    assert retired.status_code == 200, retired.json
    assert one.failures == [] and two.failures == []
    remaining = read_key_file(key_file)
    assert len(remaining) == 1 and remaining != [old_key]
    sealed = CredentialStore(first.extensions["gateway"].store.engine).sealed_values()
    assert len(sealed) == 3  # inventory, workorders and the digest client's password
    new_alone, old_alone = MasterKeys(remaining), MasterKeys([old_key])
    assert all(new_alone.open(value.sealed) for value in sealed)
    assert not any(old_alone.open(value.sealed) for value in sealed)


def test_a_fresh_process_with_only_the_new_key_uses_the_resealed_credentials(
    make_app: Callable[[], Flask], mint: Callable[..., str], key_file: Path
) -> None:
    first = make_app()
    admin = {"Authorization": f"Bearer {mint(roles=(ADMIN,))}"}
    http = first.test_client()
    assert (
        http.post("/admin/credentials/master-key/rotate", json={}, headers=admin).status_code == 200
    )
    assert http.post("/admin/credentials/master-key/retire", headers=admin).status_code == 200

    later = make_app().test_client()  # reads the key file as it is now: the new key only
    answer = later.get(STOCK, headers={"Authorization": f"Bearer {mint()}"})

    assert answer.status_code == 200, answer.json
    listed = later.get("/admin/credentials", headers=admin).json["credentials"]
    keys = [c for c in listed if c["kind"] == "master-key"]
    assert [(c["state"], c["fingerprint"]) for c in keys] == [("primary", keys[0]["fingerprint"])]


def test_a_second_rotation_before_retiring_the_old_key_is_refused(
    make_app: Callable[[], Flask], mint: Callable[..., str]
) -> None:
    http = make_app().test_client()
    admin = {"Authorization": f"Bearer {mint(roles=(ADMIN,))}"}

    first = http.post("/admin/credentials/master-key/rotate", json={}, headers=admin)
    second = http.post("/admin/credentials/master-key/rotate", json={}, headers=admin)

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json["code"] == "credential.rotation_pending"
