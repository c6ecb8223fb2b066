"""Hostile callers of /admin/subscriptions and hostile webhook targets: what a subscription
may not be made to do (oversized or strange input, another scope's subscriptions, secrets in
answers), on SQLite and PostgreSQL (``database_url``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app import create_app
from gateway.background import broker_drainers_of
from tests.secret_scan import SecretScan
from tests.webhook_receiver import webhook_receiver


@pytest.fixture(scope="module")
def app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    return create_app({**gateway_settings, "DATABASE_URL": database_url,
                       "WEBHOOK_ALLOW_LOOPBACK": True})  # fmt: skip


@pytest.fixture
def web(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


@pytest.fixture(scope="module")
def admins(mint: Callable[..., str]) -> dict[str, dict[str, str]]:
    def bearer(*owners: str) -> dict[str, str]:
        token = mint(("Gateway.Admin",), owners, subject=f"ops-{'-'.join(owners)}")
        return {"Authorization": f"Bearer {token}"}

    return {"A": bearer("PLANT-A"), "B": bearer("PLANT-B"), "*": bearer("*")}


def test_oversized_or_strange_subscriptions_are_refused(
    web: FlaskClient, admins: dict[str, dict[str, str]]
) -> None:
    with webhook_receiver() as receiver:
        bodies = [
            {"url": receiver.url + "?" + "x" * 100_000},
            {"url": receiver.url, "eventTypes": ["InventoryReserved"] * 10_000},
            {"url": receiver.url, "eventTypes": ["InventoryStolen"]},
            {"url": receiver.url, "eventTypes": []},
            {"url": receiver.url + "\x01"},
            {"url": receiver.url, "owners": ["PLANT-A\x00"]},
            {"url": receiver.url, "owners": ["PLANT-A"] * 101},
            {"url": ["http://127.0.0.1/"]},
            {"url": receiver.url, "owners": "PLANT-A"},
        ]
        for body in bodies:
            answer = web.post("/admin/subscriptions", headers=admins["A"], json=body)
            assert answer.status_code == 400, (str(body)[:120], answer.get_json())
        for owners in (["PLANT-B"], ["PLANT-A", "PLANT-B"], ["*"]):
            answer = web.post("/admin/subscriptions", headers=admins["A"],
                              json={"url": receiver.url, "owners": owners})  # fmt: skip
            assert answer.status_code == 403, (owners, answer.get_json())


def test_another_scopes_subscription_is_not_found_by_any_route(
    web: FlaskClient, admins: dict[str, dict[str, str]], secret_scan: SecretScan
) -> None:
    made: dict[str, str] = {}
    with webhook_receiver() as receiver:
        try:
            _each_route_answers_404(web, admins, secret_scan, receiver.url, made)
        finally:  # no other test's drainer calls a receiver that has stopped
            for scope, subscription_id in made.items():
                web.post(f"/admin/subscriptions/{subscription_id}/disable", headers=admins[scope])


def _each_route_answers_404(
    web: FlaskClient,
    admins: dict[str, dict[str, str]],
    secret_scan: SecretScan,
    url: str,
    made: dict[str, str],
) -> None:
    """Subscriptions of scopes B and * (into ``made``), none of them found by scope A."""
    for scope in ("B", "*"):
        answer = web.post("/admin/subscriptions", headers=admins[scope], json={"url": url})
        assert answer.status_code == 201
        secret_scan.shown_once(answer.get_json()["secret"])
        made[scope] = answer.get_json()["id"]
    for subscription_id in made.values():
        path = f"/admin/subscriptions/{subscription_id}"
        for method, route, body in (
            ("get", "", None), ("get", "/deliveries", None), ("post", "/disable", None),
            ("post", "/enable", None), ("patch", "", {"state": "disabled"}),
            ("post", "/rotate-secret", {}), ("post", "/redeliver", None),
        ):  # fmt: skip
            answer = getattr(web, method)(path + route, headers=admins["A"], json=body)
            assert answer.status_code == 404, (method, route, answer.get_json())
        listed = web.get("/admin/subscriptions", headers=admins["A"]).get_json()
        assert subscription_id not in {s["id"] for s in listed["subscriptions"]}


BROKER_PASSWORD = "Pw-s3cret-broker-77"


@pytest.mark.parametrize(
    "amqp_url",
    [
        f"amqp://gw:{BROKER_PASSWORD}@127.0.0.1:5672/%2F",  # refused by RabbitMQ: wrong password
        f"amqp://gw:{BROKER_PASSWORD}",  # no host: the password where a port would be
    ],
)
def test_a_broker_password_is_in_no_answer_and_no_log(
    gateway_settings: dict[str, Any], database_url: str, admins: dict[str, dict[str, str]],
    secret_scan: SecretScan, amqp_url: str,
) -> None:  # fmt: skip
    secret_scan.watch(BROKER_PASSWORD)
    settings = {**gateway_settings, "DATABASE_URL": database_url, "AMQP_URL": amqp_url,
                "MQTT_URL": f"mqtt://gw:{BROKER_PASSWORD}@127.0.0.1:1883"}  # fmt: skip
    try:
        app = create_app(settings)
    except Exception as refused:  # a URL the gateway cannot use may stop it, silently
        assert BROKER_PASSWORD not in f"{refused!r} {refused.__cause__!r} {refused.__context__!r}"
        return
    drainers = broker_drainers_of(app)
    try:
        for drainer in drainers:
            drainer.drain_once()
    finally:  # the MQTT client's network thread and the AMQP connection end with the test
        for drainer in drainers:
            drainer.close()
    with app.test_client() as client:
        for path in ("/admin/subscriptions", "/asyncapi.json", "/metrics"):
            answer = client.get(path, headers=admins["*"])
            assert answer.status_code in (200, 401, 403), (path, answer.status_code)
