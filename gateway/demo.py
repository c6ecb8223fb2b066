"""``gateway demo``: the sandbox ERP (a subprocess) and the gateway, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from adapters.http_session import make_session
from gateway.config import SECRET_SETTINGS
from gateway.store.keyring import ensure_key_file

GATEWAY_CLIENT_ID = "reservation-gateway"
DEMO_ROLES = ("Reservations.Staff", "Reservations.Manager")
DEMO_OWNERS = ("PLANT-A",)
DEMO_SETTINGS = {"ERP_CHANGES_SECONDS": 5.0, "WEBHOOK_ALLOW_LOOPBACK": True}
"""What the demo turns on that a deployment leaves off (an environment variable still wins)."""


@contextmanager
def running_sandbox(var_dir: Path, fixtures: Path | None, secret: str) -> Iterator[dict[str, Any]]:
    """Start ``python -m sandbox serve`` and yield its description once it is ready."""
    command = [sys.executable, "-m", "sandbox", "serve", "--state-dir", str(var_dir / "sandbox")]
    if fixtures:
        command += ["--fixtures", str(fixtures)]
    env = {**os.environ, "SANDBOX_CLIENTS": json.dumps({GATEWAY_CLIENT_ID: [secret]})}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the sandbox prints one line when it is ready
        if not line:
            raise RuntimeError(f"the sandbox did not start (exit code {process.wait()})")
        yield json.loads(line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def gateway_settings(sandbox: dict[str, Any], secret: str) -> dict[str, Any]:
    """Gateway settings that point at a running sandbox."""
    return {
        "INVENTORY_URL": sandbox["inventoryUrl"],
        "INVENTORY_SCOPE": sandbox["inventoryScope"],
        "WORKORDERS_URL": sandbox["workOrdersUrl"],
        "WORKORDERS_SCOPE": sandbox["workOrdersScope"],
        "AZURE_AUTHORITY": sandbox["authority"],
        "AZURE_CLIENT_ID": GATEWAY_CLIENT_ID,
        "AZURE_CLIENT_SECRET": secret,
        "AZURE_CA_BUNDLE": sandbox["caBundle"],
        "AUTH_ISSUER": sandbox["issuer"],
        "AUTH_AUDIENCE": sandbox["gatewayAudience"],
        "AUTH_JWKS_URL": sandbox["jwksUri"],
        "AUTH_CA_BUNDLE": sandbox["caBundle"],
        "PLANT_TIMEZONE": sandbox["plantTimezone"],
        # The sandbox's identity provider knows only this run's secret: store it every start.
        "CREDENTIALS_SEED": "replace",
    }


def demo_defaults(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """DEMO_SETTINGS, less those the environment sets (GATEWAY_<name>)."""
    return {k: v for k, v in DEMO_SETTINGS.items() if f"GATEWAY_{k}" not in environ}


def prepare_admin(var_dir: Path, settings: dict[str, Any]) -> Path:
    """A master key file (made once) and the settings the admin CLI needs for this stack
    (no secrets), as a config file for ``GATEWAY_CONFIG_FILE``; returns its path."""
    key_file = (var_dir / "master-keys").resolve()
    ensure_key_file(key_file)
    public = {k: _absolute(v) for k, v in settings.items() if k not in SECRET_SETTINGS}
    public["MASTER_KEY_FILE"] = str(key_file)
    database = os.environ.get("GATEWAY_DATABASE_URL")
    public["DATABASE_URL"] = database or f"sqlite:///{(var_dir / 'gateway.db').resolve()}"
    lines = [f"{key.lower()} = {json.dumps(value)}" for key, value in sorted(public.items())]
    path = (var_dir / "demo.toml").resolve()
    path.write_text("# Written by `gateway demo` for the admin CLI.\n" + "\n".join(lines) + "\n")
    return path


def _absolute(value: Any) -> Any:
    """A relative path that exists (a CA bundle under var/) made absolute for any cwd."""
    if isinstance(value, str) and not value.startswith("/") and Path(value).is_file():
        return str(Path(value).resolve())
    return value


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


def mint_token(stack: dict[str, Any], roles: list[str], owners: list[str], subject: str) -> str:
    """A token for the gateway's audience from the sandbox identity provider."""
    sandbox = stack["sandbox"]
    session = make_session(sandbox["caBundle"])
    response = session.post(
        sandbox["identityAdminUrl"] + "/tokens",
        json={
            "audience": sandbox["gatewayAudience"],
            "roles": roles,
            "owners": owners,
            "subject": subject,
        },
        timeout=(3.05, 10),
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def write_stack(
    path: Path, gateway_url: str, sandbox: dict[str, Any], webhook_receiver: str | None = None
) -> dict[str, Any]:
    """Record where everything listens (no secrets) for ``gateway token`` and for people."""
    stack = {
        "gateway": gateway_url,
        "openapi": gateway_url + "/openapi.json",
        "docs": gateway_url + "/docs/",
        "sandbox": sandbox,
        "webhookReceiver": webhook_receiver,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(stack, indent=2) + "\n")
    return stack


def read_stack(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: start the stack with `make run` first")
    stack: dict[str, Any] = json.loads(path.read_text())
    return stack


def wait_until_ready(url: str, session: requests.Session | None = None) -> dict[str, Any]:
    """One readiness check of the gateway (after start), for the banner."""
    answer = (session or requests.Session()).get(url + "/readyz", timeout=(3.05, 30))
    body: dict[str, Any] = answer.json()
    return body
