"""Fixtures shared by integration and e2e tests: a real sandbox ERP on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient

from tests.secret_scan import ACTIVE, SecretScan

GATEWAY_CLIENT = "reservation-gateway"


@pytest.fixture(autouse=True)
def secret_scan(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    client_secret: str,
) -> Iterator[SecretScan]:
    """Fails a test whose logs or gateway answers carry a known secret (SPEC §5.5)."""
    scan = SecretScan([client_secret])
    if "gateway_settings" in request.fixturenames:
        scan.watch(*str(request.getfixturevalue("gateway_settings")["MASTER_KEYS"]).split(","))
    answer = FlaskClient.open

    def open_and_keep(self: FlaskClient, *args: Any, **kwargs: Any) -> Any:
        response = answer(self, *args, **kwargs)
        if getattr(self.application, "name", "") == "gateway":
            scan.record(response)
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_keep)
    ACTIVE.append(scan)
    yield scan
    ACTIVE.remove(scan)
    leaks = scan.leaks(caplog.get_records("setup") + caplog.get_records("call"))
    assert not leaks, f"a secret leaked into: {', '.join(leaks[:10])}"


@pytest.fixture(scope="session")
def client_secret() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory, client_secret: str) -> Iterator[Any]:
    """Identity provider, inventory SOAP and work-order REST on ephemeral ports."""
    from sandbox.launcher import start_sandbox

    running = start_sandbox(
        tmp_path_factory.mktemp("sandbox"), clients={GATEWAY_CLIENT: [client_secret]}
    )
    _stock_up(running, "RM-1002", "W02", Decimal(100_000))  # the item most tests reserve
    yield running
    running.stop()


def _stock_up(sandbox: Any, sku: str, warehouse: str, quantity: Decimal) -> None:
    from sandbox.inventory.store import NewTransaction

    sandbox.inventory_store.post_transaction(
        NewTransaction(refno=f"STOCK-UP-{sku}-{warehouse}", sku=sku, warehouse=warehouse,
                       quantity=quantity, type="RCT", transaction_date="2026-11-01T00:00:00+00:00")
    )  # fmt: skip


@pytest.fixture
def faults(sandbox: Any) -> Iterator[Any]:
    """The sandbox; every fault knob is switched off again after the test."""
    yield sandbox
    sandbox.inventory.knobs.reset()
    sandbox.workorders.knobs.reset()
    sandbox.idp.provider.faults.reset()


@pytest.fixture(scope="session")
def gateway_settings(sandbox: Any, client_secret: str) -> dict[str, Any]:
    from gateway.demo import gateway_settings

    return {
        **gateway_settings(sandbox.describe(), client_secret),
        "UPSTREAM_RETRY_MAX_WAIT": 0.2,
        "BREAKER_FAIL_MAX": 10_000,  # fault tests fail upstreams on purpose; breakers: own tests
        "UPSTREAM_READ_TIMEOUT": 5.0,
        "MASTER_KEYS": Fernet.generate_key().decode(),  # seals PasswordDigest secrets
    }


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The gateway's own database: every test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL, dropped afterwards.

    Skipped when no server answers, except under CI=true, where that is a failure.
    """
    from tests.postgres import fresh_database, server_answers

    if not server_answers():
        if os.environ.get("CI") == "true":
            pytest.fail("PostgreSQL on 127.0.0.1:5432 does not answer (required under CI=true)")
        pytest.skip("PostgreSQL on 127.0.0.1:5432 does not answer")
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def gateway_app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    from gateway.app import create_app

    return create_app({**gateway_settings, "DATABASE_URL": database_url})


@pytest.fixture
def client(gateway_app: Flask) -> Iterator[FlaskClient]:
    with gateway_app.test_client() as client:
        yield client


@pytest.fixture(scope="session")
def mint(sandbox: Any) -> Callable[..., str]:
    """Tokens for the gateway's audience, as the identity provider issues them."""

    def issue(
        roles: tuple[str, ...] = ("Reservations.Staff",),
        owners: tuple[str, ...] = ("PLANT-A",),
        **kwargs: Any,
    ) -> str:
        token: str = sandbox.idp.provider.mint(
            subject=kwargs.pop("subject", "test-user"),
            audience=kwargs.pop("audience", "api://reservation-gateway"),
            roles=roles,
            owners=owners,
            **kwargs,
        )
        return token

    return issue


@pytest.fixture(scope="session")
def staff_a(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint()}"}
