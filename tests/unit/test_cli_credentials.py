"""`gateway credentials …` against a throwaway SQLite database and key file (no upstreams)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.auth.legacy_clients import new_client
from gateway.cli import main
from gateway.store.credentials import CredentialStore
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys, ensure_key_file, read_key_file
from tests.secret_scan import SecretScan

OLD = "the-first-password-1"


@pytest.fixture
def key_file(tmp_path: Path, secret_scan: SecretScan) -> Path:
    path = tmp_path / "master-keys"
    ensure_key_file(path)
    secret_scan.watch(*read_key_file(path))
    return path


@pytest.fixture
def database(tmp_path: Path, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_CONFIG_FILE", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("GATEWAY_MASTER_KEY_FILE", str(key_file))
    monkeypatch.delenv("GATEWAY_MASTER_KEYS", raising=False)
    return url


@pytest.fixture
def legacy_client(database: str, key_file: Path, secret_scan: SecretScan) -> str:
    secret_scan.watch(OLD)
    keys = MasterKeys(read_key_file(key_file), key_file)
    client = new_client("mes-1", frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}), OLD,
                        keys, True, datetime.now(UTC))  # fmt: skip
    GatewayStore.open(database).legacy_clients.add(client)
    return "legacy:mes-1"


def run(*arguments: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["credentials", *arguments], input=stdin)
    return result.exit_code, result.output


def test_a_generated_legacy_password_is_printed_once_and_never_listed(legacy_client: str) -> None:
    code, output = run("rotate", legacy_client)
    password = output.split("store it now): ")[1].split()[0]
    _, listing = run("list")

    assert code == 0, output
    assert len(password) >= 32 and password not in listing and OLD not in listing
    assert "legacy-password  current" in listing and "legacy-password  grace" in listing


def test_a_password_from_stdin_is_not_printed(legacy_client: str, secret_scan: SecretScan) -> None:
    chosen = "chosen-by-the-admin-2"
    secret_scan.watch(chosen)

    code, output = run(
        "rotate", legacy_client, "--secret-stdin", "--grace-hours", "1", stdin=chosen
    )

    assert code == 0, output
    assert chosen not in output and "the old password works until" in output


def test_secrets_cannot_be_given_on_the_command_line(database: str) -> None:
    code, output = run("rotate", "inventory", "--secret", "on-the-command-line")

    assert code != 0 and "No such option" in output


def test_rotate_master_key_then_retire_leaves_one_new_key_opening_everything(
    legacy_client: str, key_file: Path, database: str
) -> None:
    old = read_key_file(key_file)

    rotated = run("rotate-master-key")
    retired = run("retire", "master-key")

    assert rotated[0] == 0 and "re-sealed 1 stored value(s)" in rotated[1], rotated[1]
    assert retired[0] == 0, retired[1]
    remaining = read_key_file(key_file)
    assert len(remaining) == 1 and remaining != old
    sealed = CredentialStore(GatewayStore.open(database).engine).sealed_values()
    assert sealed and all(MasterKeys(remaining).open(value.sealed) for value in sealed)


def test_an_upstream_rotation_without_a_master_key_is_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GATEWAY_MASTER_KEY_FILE", str(tmp_path / "no-such-file"))

    code, output = run("rotate", "inventory", "--secret-stdin", stdin="some-new-secret")

    assert code != 0 and "credential.no_master_key" in output
