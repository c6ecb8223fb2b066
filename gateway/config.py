"""Settings: defaults here, then a TOML file in config/, then GATEWAY_* environment variables."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parents[1]

DEFAULTS: dict[str, Any] = {
    "PLANT_TIMEZONE": "Europe/Berlin",
    # Upstream: the legacy inventory system (SOAP).
    "INVENTORY_URL": "http://127.0.0.1:8001/soap/inventory",
    "INVENTORY_WSDL": str(ROOT / "wsdl" / "inventory.wsdl"),
    "INVENTORY_SCOPE": "api://sandbox-inventory/.default",
    # Upstream: the work-order operations service (REST).
    "WORKORDERS_URL": "http://127.0.0.1:8002",
    "WORKORDERS_SCOPE": "api://sandbox-workorders/.default",
    # Outbound identity: Azure AD client credentials (MSAL).
    "AZURE_AUTHORITY": "https://127.0.0.1:8003/sandbox-tenant",
    "AZURE_CLIENT_ID": "reservation-gateway",
    "AZURE_CLIENT_SECRET": None,
    "AZURE_CA_BUNDLE": None,
    # An upstream token is replaced once less than this remains (at most half its lifetime).
    "UPSTREAM_TOKEN_REFRESH_MARGIN_SECONDS": 300.0,
    # Per upstream, when it has an app registration of its own (else the AZURE_* above).
    "INVENTORY_CLIENT_ID": None,
    "INVENTORY_CLIENT_SECRET": None,
    "WORKORDERS_CLIENT_ID": None,
    "WORKORDERS_CLIENT_SECRET": None,
    # Inbound tokens (SPEC §7).
    "AUTH_ISSUER": "https://127.0.0.1:8003/sandbox-tenant/v2.0",
    "AUTH_AUDIENCE": "api://reservation-gateway",
    "AUTH_JWKS_URL": None,
    "AUTH_CA_BUNDLE": None,
    "AUTH_OWNER_CLAIM": "owners",
    "AUTH_LEEWAY_SECONDS": 30,
    # Validated inbound tokens kept (by hash, until their exp); 0 validates every request.
    "AUTH_TOKEN_CACHE_SIZE": 4096,
    # Every outbound call has both timeouts; retries only where safe.
    "UPSTREAM_CONNECT_TIMEOUT": 3.05,
    "UPSTREAM_READ_TIMEOUT": 10.0,
    "UPSTREAM_RETRY_ATTEMPTS": 3,
    "UPSTREAM_RETRY_MAX_WAIT": 2.0,
    # An upstream failing this many times in a row answers 503 at once for the reset time.
    "BREAKER_FAIL_MAX": 5,
    "BREAKER_RESET_SECONDS": 30.0,
    "LOG_LEVEL": "INFO",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "UPSTREAM_MAX_ANSWER_BYTES": 8 * 1024 * 1024,
    # The SOAP endpoint for legacy systems (SPEC §5.4): body limit (413 beyond), XML depth
    # (inbound and upstream answers), UsernameToken freshness, argon2 result cache.
    # Where callers reach the gateway (the served WSDL's address); default: the bind address.
    "PUBLIC_URL": None,
    "SOAP_MAX_BODY_BYTES": 2 * 1024 * 1024,
    "XML_MAX_DEPTH": 100,
    # What one inbound envelope may hold, counted as it is read (before any tree is built):
    # refused past these, so parsing costs a small multiple of the body, whoever sends it.
    "XML_MAX_ELEMENTS": 10_000,
    "XML_MAX_ATTRIBUTES_PER_ELEMENT": 32,
    "XML_MAX_ATTRIBUTES": 10_000,
    "XML_MAX_START_TAG_BYTES": 8 * 1024,
    "SOAP_TOKEN_MAX_AGE_SECONDS": 300,
    "LEGACY_AUTH_CACHE_SECONDS": 300,
    # Failed legacy logins (SPEC §7): past this many in a window, per client name and per source
    # address, 429 auth.throttled with Retry-After. Counted in Redis when RATE_LIMIT_URL names
    # one (redis://host:6379/0), else in the gateway's database; either way across processes.
    "LOGIN_MAX_FAILURES_PER_CLIENT": 10,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
    "LOGIN_FAILURE_WINDOW_SECONDS": 300,
    "RATE_LIMIT_URL": None,
    # argon2id for legacy passwords: each hash holds ARGON2_MEMORY_KIB (64 MiB) while it runs,
    # and at most ARGON2_MAX_CONCURRENT run at once per process (so 128 MiB at most); a login
    # waiting longer than ARGON2_WAIT_SECONDS for a turn is 429 auth.throttled.
    "ARGON2_MEMORY_KIB": 64 * 1024,
    "ARGON2_TIME_COST": 3,
    "ARGON2_PARALLELISM": 4,
    "ARGON2_MAX_CONCURRENT": 2,
    "ARGON2_WAIT_SECONDS": 10.0,
    # Master keys (Fernet; the first seals, every one opens) for the secrets the gateway keeps:
    # upstream credentials and PasswordDigest secrets. GATEWAY_MASTER_KEYS (comma-separated,
    # fixed until restart) wins over the key file (one key a line, re-read within seconds).
    "MASTER_KEYS": None,
    "MASTER_KEY_FILE": "var/master-keys",
    # Credential rotation (SPEC §5.5): how often a process looks for a new credential version
    # or key file, how often it reports what it uses, how long retire waits for the slowest,
    # and how long a legacy client's old password keeps working after a rotation.
    "CREDENTIAL_CHECK_SECONDS": 2.0,
    "CREDENTIAL_REPORT_SECONDS": 10.0,
    "CREDENTIAL_WAIT_SECONDS": 15.0,
    "LEGACY_PASSWORD_GRACE_SECONDS": 24 * 3600,
    # The settings' Azure credential is stored once; "replace" (the demo) stores it again
    # whenever it differs from the stored one.
    "CREDENTIALS_SEED": "if-missing",
    # Managers and Owners may reserve beyond available with ``override: true`` when allowed.
    "RESERVATION_OVERRIDE_ALLOWED": True,
    # The expiry sweeper (runs inside `gateway serve` / `gateway demo`).
    # Brokers the events are published to besides webhooks (issue 14.2): off unless a URL is
    # given, e.g. amqp://guest:guest@127.0.0.1:5672/%2F and mqtt://127.0.0.1:1883.
    "AMQP_URL": None,
    "AMQP_EXCHANGE": "reservations",
    "MQTT_URL": None,
    "MQTT_TOPIC_PREFIX": "gateway",
    "EXPIRY_SWEEP_SECONDS": 15.0,
    "OUTBOX_DRAIN_SECONDS": 5.0,
    # The ERP change detector (decision 161): every ERP_CHANGES_SECONDS (0: off), one process
    # at a time, reads the OPEN reservations of the item/warehouse pairs in the gateway's events
    # and of ERP_CHANGES_WATCH (comma-separated ITEM@WAREHOUSE) and reports what the ERP changed.
    "ERP_CHANGES_SECONDS": 0.0,
    "ERP_CHANGES_WATCH": "",
    # Backorders of partial creates (decision 170): every BACKORDER_FILL_SECONDS one process at
    # a time (a lease) expires the due ones and fills the others as stock becomes available.
    "BACKORDER_FILL_SECONDS": 5.0,
    # Durable write plans (issue 10): a plan's process renews its lease after every step; a
    # plan whose lease ran out is finished or undone by another process, which looks every
    # PLAN_RECOVERY_SECONDS. A v2 update waits this long for another update of the same work
    # order, then answers 409 workorder.update_in_progress.
    "PLAN_LEASE_SECONDS": 60.0,
    "PLAN_RECOVERY_SECONDS": 5.0,
    "WORKORDER_LOCK_WAIT_SECONDS": 10.0,
    # Where a work order's rework items are reserved when it holds none yet: owner → warehouse.
    "WORKORDER_WAREHOUSES": {},
    # A create with "anyWarehouse": true (decision 172) tries these warehouses first, in this
    # order (comma-separated ids), then the owner's other warehouses by id.
    "SPLIT_WAREHOUSE_ORDER": "",
    # Webhook subscriptions (issue 14.1, decision 160). Destinations: host names allowed (empty:
    # any; ".example.com" for every name under it), networks allowed (empty: public addresses
    # only), loopback only when allowed (the demo); link-local (169.254.0.0/16) never. Outbound
    # calls have both timeouts, no redirects, an answer cap. A failed delivery is retried with
    # exponential backoff and full jitter (base doubling up to the cap) until its event is
    # WEBHOOK_MAX_AGE_SECONDS old, then dead-lettered. A rotated secret signs for the grace too.
    "WEBHOOK_ALLOWED_HOSTS": [],
    "WEBHOOK_ALLOWED_NETWORKS": [],
    # Ports a webhook may be sent to ("*": any); loopback, where allowed, takes any port.
    "WEBHOOK_ALLOWED_PORTS": ["80", "443", "8080", "8443"],
    "WEBHOOK_ALLOW_LOOPBACK": False,
    "WEBHOOK_CONNECT_TIMEOUT": 3.05,
    "WEBHOOK_READ_TIMEOUT": 10.0,
    "WEBHOOK_MAX_RESPONSE_BYTES": 64 * 1024,
    "WEBHOOK_RETRY_BASE_SECONDS": 1.0,
    "WEBHOOK_RETRY_MAX_SECONDS": 600.0,
    "WEBHOOK_MAX_AGE_SECONDS": 24 * 3600.0,
    "WEBHOOK_SECRET_GRACE_SECONDS": 24 * 3600.0,
    "WEBHOOK_DRAIN_SECONDS": 1.0,
    "WEBHOOK_LEASE_SECONDS": 60.0,
    "WEBHOOK_MAX_SUBSCRIPTIONS": 100,
    "WEBHOOK_CA_BUNDLE": None,
    # The gateway's own database: SQLite under var/ unless GATEWAY_DATABASE_URL says otherwise.
    "DATABASE_URL": "sqlite:///var/gateway.db",
    "DATABASE_AUTO_MIGRATE": True,
}

SECRET_SETTINGS = frozenset(
    {"AZURE_CLIENT_SECRET", "INVENTORY_CLIENT_SECRET", "WORKORDERS_CLIENT_SECRET", "MASTER_KEYS"}
)


def load_settings(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Defaults, then ``GATEWAY_CONFIG_FILE`` (or config/gateway.toml), env, then ``overrides``."""
    app.config.update(read_settings(overrides))


def read_settings(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings without a Flask app (the CLI): defaults, the TOML file, env, overrides."""
    settings = dict(DEFAULTS)
    config_file = Path(os.environ.get("GATEWAY_CONFIG_FILE", ROOT / "config" / "gateway.toml"))
    if config_file.is_file():
        with config_file.open("rb") as handle:
            settings.update({k.upper(): v for k, v in tomllib.load(handle).items()})
    settings.update(from_environment(os.environ))
    settings.update(overrides or {})
    return settings


class SettingError(ValueError):
    """A setting that cannot be read as its kind: the gateway does not start."""


def from_environment(environ: Mapping[str, str], prefix: str = "GATEWAY_") -> dict[str, Any]:
    """``GATEWAY_*`` variables, each read as the kind its default has.

    Not Flask's ``from_prefixed_env``, which runs every value through ``json.loads``: a secret
    such as ``123e4`` would become the float 1230000.0. Secrets and settings without a typed
    default stay the exact string given; a number, flag, table or list that does not read as
    one stops the start with a message naming the variable.
    """
    settings: dict[str, Any] = {}
    for variable, text in environ.items():
        if not variable.startswith(prefix):
            continue
        name = variable.removeprefix(prefix)
        settings[name] = _typed(variable, text, DEFAULTS.get(name), name in SECRET_SETTINGS)
    return settings


def _typed(variable: str, text: str, default: Any, secret: bool) -> Any:
    if secret or default is None or isinstance(default, str):
        return text
    try:
        if isinstance(default, bool):
            return _flag(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, dict | list):
            value = json.loads(text)
            if not isinstance(value, type(default)):
                raise ValueError(f"not a JSON {type(default).__name__}")
            return value
    except ValueError as error:
        kind = type(default).__name__
        raise SettingError(f"{variable}={text!r} is not a valid {kind}: {error}") from None
    return text


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")
