"""`gateway legacy-clients add|list|disable` against a throwaway SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from gateway.cli import main
from gateway.store.gateway_store import GatewayStore
from gateway.store.tables import audit_entries

PASSWORD = "from-stdin-password-1"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    monkeypatch.setenv("GATEWAY_DATABASE_URL", url)
    monkeypatch.setenv("GATEWAY_CONFIG_FILE", str(tmp_path / "absent.toml"))
    monkeypatch.delenv("GATEWAY_MASTER_KEYS", raising=False)
    monkeypatch.setenv("GATEWAY_MASTER_KEY_FILE", str(tmp_path / "absent-keys"))
    return url


def run(*arguments: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["legacy-clients", *arguments], input=stdin)
    return result.exit_code, result.output


def test_add_reads_the_password_from_stdin_and_never_prints_it(database: str) -> None:
    code, output = run(
        "add",
        "mes-1",
        "--role",
        "Reservations.Staff",
        "--owner",
        "PLANT-A",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, output
    assert PASSWORD not in output
    client = GatewayStore.open(database).legacy_clients.find("mes-1")
    assert client is not None and client.owners == {"PLANT-A"}
    assert client.secrets[0].password_hash.startswith("$argon2id$")


def test_add_without_stdin_prints_a_generated_password_once(database: str) -> None:
    code, output = run("add", "mes-2", "--role", "Reservations.Manager", "--owner", "*")
    assert code == 0, output
    password = output.split("store it now): ")[1].strip()
    assert len(password) >= 32
    _, listing = run("list")
    assert "mes-2" in listing and "enabled" in listing and password not in listing


def test_a_taken_name_and_digest_without_a_master_key_are_refused(database: str) -> None:
    args = ("--role", "Reservations.Staff", "--owner", "PLANT-A")
    assert run("add", "mes-3", *args)[0] == 0
    code, output = run("add", "mes-3", *args)
    assert code != 0 and "exists already" in output
    code, output = run("add", "mes-4", *args, "--digest")
    assert code != 0 and "GATEWAY_MASTER_KEYS" in output


def test_digest_with_a_master_key_seals_the_secret(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_MASTER_KEYS", Fernet.generate_key().decode())
    code, output = run(
        "add",
        "mes-5",
        "--role",
        "Reservations.Staff",
        "--owner",
        "PLANT-A",
        "--digest",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0 and "digest" in output
    client = GatewayStore.open(database).legacy_clients.find("mes-5")
    assert client is not None and client.allows_digest
    assert PASSWORD not in (client.secrets[0].digest_secret or PASSWORD)


def test_disable_refuses_unknown_names_and_is_audited(database: str) -> None:
    run("add", "mes-6", "--role", "Reservations.Staff", "--owner", "PLANT-A")
    assert run("disable", "nobody")[0] != 0
    assert run("disable", "mes-6")[0] == 0
    assert "disabled" in run("list")[1]
    with GatewayStore.open(database).engine.connect() as connection:
        actions = connection.execute(select(audit_entries.c.action, audit_entries.c.target_id))
        assert set(actions) == {("legacy_client.add", "mes-6"), ("legacy_client.disable", "mes-6")}
