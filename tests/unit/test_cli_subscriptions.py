"""`gateway subscriptions …` against a throwaway SQLite database and key file (no upstreams)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import main
from gateway.store.keyring import ensure_key_file, read_key_file
from tests.secret_scan import SecretScan


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_scan: SecretScan) -> None:
    key_file = tmp_path / "master-keys"
    ensure_key_file(key_file)
    secret_scan.watch(*read_key_file(key_file))
    monkeypatch.setenv("GATEWAY_DATABASE_URL", f"sqlite:///{tmp_path / 'gateway.db'}")
    monkeypatch.setenv("GATEWAY_CONFIG_FILE", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("GATEWAY_MASTER_KEY_FILE", str(key_file))
    monkeypatch.setenv("GATEWAY_WEBHOOK_ALLOW_LOOPBACK", "true")
    monkeypatch.delenv("GATEWAY_MASTER_KEYS", raising=False)


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["subscriptions", *arguments])
    return result.exit_code, result.output


def test_add_prints_the_secret_once_and_list_never_shows_it() -> None:
    code, output = run("add", "http://127.0.0.1:9/hooks", "--owner", "PLANT-A",
                       "--event-type", "InventoryReserved")  # fmt: skip
    assert code == 0, output
    subscription_id = output.split()[1].rstrip(":")
    secret = output.split("store it now): ")[1].split()[0]
    assert secret.startswith("whsec_")
    code, listing = run("list")
    assert code == 0 and subscription_id in listing and secret not in listing
    assert "PLANT-A" in listing and "InventoryReserved" in listing


def test_rotate_disable_and_redeliver() -> None:
    _, output = run("add", "http://127.0.0.1:9/hooks")
    subscription_id = output.split()[1].rstrip(":")
    first = output.split("store it now): ")[1].split()[0]
    code, rotated = run("rotate-secret", subscription_id, "--grace-hours", "1")
    assert code == 0 and "whsec_" in rotated and first not in rotated
    assert rotated.count("sha256:") == 2  # both sign during the grace period
    assert run("redeliver", subscription_id) == (0, f"{subscription_id}: 0 dead letter(s) "
                                                    "sent back for delivery\n")  # fmt: skip
    code, disabled = run("disable", subscription_id)
    assert code == 0 and "disabled" in disabled
    code, refused = run("redeliver", subscription_id)
    assert code != 0 and "subscription.disabled" in refused
    assert run("deliveries", subscription_id) == (0, "")
    code, enabled = run("enable", subscription_id)
    assert code == 0 and "active" in enabled


def test_a_disallowed_destination_is_refused() -> None:
    code, output = run("add", "http://169.254.169.254/latest/meta-data/")
    assert code != 0 and "subscription.destination_refused" in output and "link-local" in output
    assert run("list")[1].count("\n") == 1  # the header alone
