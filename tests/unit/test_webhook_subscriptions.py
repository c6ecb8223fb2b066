"""Webhook subscriptions without I/O: the outbound policy, signatures, backoff, the admin API."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks import Webhook, WebhookVerificationError

from adapters.webhook_destinations import DestinationGuard, DestinationPolicy
from adapters.webhook_sender import render, signed_headers
from gateway.app import create_app
from gateway.domain.errors import DestinationRefused
from gateway.domain.principal import Principal
from gateway.domain.roles import ADMIN, STAFF
from gateway.domain.webhooks import (
    EVENT_TYPES,
    FeedEvent,
    Outcome,
    RetryPolicy,
    attempt_for_status,
    new_signing_secret,
)
from gateway.store.credentials import CredentialStore
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders
from tests.secret_scan import SecretScan

NAMES = {
    "hooks.example.com": ["93.184.216.34"],
    "sneaky.example.com": ["127.0.0.1"],
    "mixed.example.com": ["93.184.216.34", "10.1.2.3"],
    "v6.example.com": ["::ffff:7f00:1"],
}


def resolve(host: str, port: int) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    if host.replace(".", "").isdigit() or ":" in host:
        return [host]
    raise OSError("no such name")


def guard(
    hosts: tuple[str, ...] | list[str] = (),
    networks: tuple[str, ...] | list[str] = (),
    allow_loopback: bool = False,
) -> DestinationGuard:
    return DestinationGuard(DestinationPolicy.of(hosts, networks, allow_loopback), resolve)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/hook", "private"),
        ("http://192.168.1.20:8080/hook", "private"),
        (
            "http://sneaky.example.com/hook",
            "resolves to 127.0.0.1, which is not allowed (loopback)",
        ),
        ("http://mixed.example.com/hook", "resolves to 10.1.2.3"),
        ("http://v6.example.com/hook", "loopback"),
        ("http://[::1]:9000/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://[::ffff:169.254.169.254]/", "link-local"),
        ("http://[2002:7f00:1::1]/hook", "loopback"),  # 6to4 around 127.0.0.1
        ("http://[2002:a9fe:a9fe::]/hook", "link-local"),  # 6to4 around 169.254.169.254
        ("http://[fec0::1]/hook", "site-local"),
        ("http://[fd00::1]/hook", "private"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://\uff4c\uff4f\uff43\uff41\uff4c\uff48\uff4f\uff53\uff54/", "localhost"),
        ("http://a..example.com/", "not a valid host name"),
        # urlsplit drops tabs and line breaks: the URL shown (a CLI list line) is not the one used
        ("https://hooks.example.com\n.evil.example/", "spaces or control characters"),
        ("https://hooks.example.com/a b", "spaces or control characters"),
        ("https://hooks.example.com/\x85", "spaces or control characters"),
        ("ftp://hooks.example.com/hook", "http:// or https://"),
        ("https://user:pw@hooks.example.com/hook", "credentials"),
        ("https://nowhere.invalid/hook", "does not resolve"),
    ],
)
def test_a_destination_the_policy_forbids_is_refused(url: str, reason: str) -> None:
    with pytest.raises(DestinationRefused) as refused:
        guard().check(url)
    assert reason in refused.value.detail


def test_a_public_destination_is_checked_and_pinned_to_its_addresses() -> None:
    found = guard().check("https://hooks.example.com/in?x=1")
    assert (found.host, found.port, found.target, found.addresses) == (
        "hooks.example.com", 443, "/in?x=1", ("93.184.216.34",))  # fmt: skip
    assert found.host_header == "hooks.example.com"


def test_loopback_and_configured_networks_are_allowed_only_when_configured() -> None:
    assert guard(allow_loopback=True).check("http://127.0.0.1:8081/").addresses == ("127.0.0.1",)
    inside = guard(networks=["10.1.0.0/16"])
    assert inside.check("http://10.1.9.9/").addresses == ("10.1.9.9",)
    with pytest.raises(DestinationRefused, match="outside WEBHOOK_ALLOWED_NETWORKS"):
        inside.check("http://hooks.example.com/")
    with pytest.raises(DestinationRefused, match="link-local"):
        guard(networks=["0.0.0.0/0"]).check("http://169.254.169.254/")


def test_only_allowed_ports_are_called_except_on_an_allowed_loopback() -> None:
    ports = DestinationPolicy.of((), ["10.1.0.0/16", "93.184.216.0/24"], True, (80, 443))
    checked = DestinationGuard(ports, resolve)
    assert checked.check("https://hooks.example.com/").port == 443
    assert checked.check("http://127.0.0.1:18081/").port == 18081  # the demo's, tests' receivers
    for url in ("http://10.1.2.3:6379/", "https://hooks.example.com:25/",
                "http://[::ffff:10.1.2.3]:11211/"):  # fmt: skip
        with pytest.raises(DestinationRefused, match="WEBHOOK_ALLOWED_PORTS"):
            checked.check(url)
    assert guard(networks=["10.1.0.0/16"]).check("http://10.1.2.3:6379/").port == 6379  # * any


def test_the_configured_ports_reach_the_guard_and_a_bad_one_stops_the_start() -> None:
    from gateway.config import DEFAULTS
    from gateway.settings import SettingError, Settings

    base = {**DEFAULTS, "DATABASE_URL": "sqlite://"}
    assert Settings.from_mapping(base).webhooks.allowed_ports == (80, 443, 8080, 8443)
    assert (
        Settings.from_mapping({**base, "WEBHOOK_ALLOWED_PORTS": "*"}).webhooks.allowed_ports is None
    )
    for bad in ("http", "0", "70000"):
        with pytest.raises(SettingError, match="WEBHOOK_ALLOWED_PORTS"):
            Settings.from_mapping({**base, "WEBHOOK_ALLOWED_PORTS": bad})


def test_allowed_hosts_limit_the_names() -> None:
    only = guard(hosts=[".example.com"])
    assert only.check("https://hooks.example.com/").host == "hooks.example.com"
    with pytest.raises(DestinationRefused, match="WEBHOOK_ALLOWED_HOSTS"):
        only.check("https://93.184.216.34/")


def event() -> FeedEvent:
    return FeedEvent(7, "InventoryReserved", datetime.now(UTC), "RSV-1", "PLANT-A", "c-1",
                     {"quantity": Decimal("2.500")})  # fmt: skip


def test_both_secrets_sign_during_a_grace_period_and_either_verifies() -> None:
    old, new, item = new_signing_secret(), new_signing_secret(), event()
    body = render(item)
    assert '"quantity":2.500' in body
    headers = signed_headers(item, body, [new, old], datetime.now(UTC))
    assert headers["webhook-id"] == "evt_7"
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret.reveal()).verify(body, headers)["data"]["aggregateId"] == "RSV-1"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_signing_secret().reveal()).verify(body, headers)


def test_backoff_doubles_with_full_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(timedelta(seconds=1), timedelta(seconds=60), timedelta(hours=1))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert policy.next_attempt(4, now, lambda: 1.0) == now + timedelta(seconds=8)
    assert policy.next_attempt(30, now, lambda: 1.0) == now + timedelta(seconds=60)
    waits = {policy.next_attempt(3, now, random.random) - now for _ in range(50)}
    assert len(waits) > 1 and all(timedelta(0) <= w <= timedelta(seconds=4) for w in waits)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (410, Outcome.GONE),
     (301, Outcome.FAILED), (500, Outcome.FAILED), (404, Outcome.FAILED)],
)  # fmt: skip
def test_what_an_answer_means(status: int, outcome: Outcome) -> None:
    assert attempt_for_status(status).outcome is outcome


ADMIN_ALL = {"Authorization": "Bearer admin-all"}
ADMIN_A = {"Authorization": "Bearer admin-a"}
STAFF_A = {"Authorization": "Bearer staff-a"}


@pytest.fixture
def app() -> Flask:
    validator = FakeTokenValidator({
        "admin-all": Principal.from_owner_claim("root", frozenset({ADMIN}), frozenset({"*"})),
        "admin-a": Principal("a", frozenset({ADMIN}), frozenset({"PLANT-A"})),
        "staff-a": Principal("s", frozenset({STAFF}), frozenset({"PLANT-A"})),
    })  # fmt: skip
    return create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://", "WEBHOOK_ALLOW_LOOPBACK": True,
         "MASTER_KEYS": Fernet.generate_key().decode()},
        adapters=Adapters(FakeInventory(), FakeWorkOrders({}), validator),
    )  # fmt: skip


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


def test_the_secret_is_in_the_answer_that_made_it_and_in_no_other(
    client: FlaskClient, secret_scan: SecretScan
) -> None:
    wanted = {"url": "http://127.0.0.1:9/hook", "eventTypes": ["InventoryReserved"]}
    made = client.post("/admin/subscriptions", headers=ADMIN_A, json=wanted)
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    secret_scan.shown_once(body["secret"])
    assert body["secret"].startswith("whsec_") and body["owners"] == ["PLANT-A"]
    assert made.headers["Cache-Control"] == "no-store"
    one = client.get(f"/admin/subscriptions/{body['id']}", headers=ADMIN_A).get_json()
    assert "secret" not in one and one["secretFingerprints"] == body["secretFingerprints"]
    listed = client.get("/admin/subscriptions", headers=ADMIN_ALL).get_json()["subscriptions"]
    assert [s["id"] for s in listed] == [body["id"]]
    audit = client.get("/admin/audit", headers=ADMIN_A).get_json()["entries"]
    assert [e["action"] for e in audit] == ["subscription.create"]


def test_an_admin_sees_and_subscribes_only_inside_its_owner_scope(client: FlaskClient) -> None:
    every = client.post("/admin/subscriptions", headers=ADMIN_ALL,
                        json={"url": "http://127.0.0.1:9/all"}).get_json()  # fmt: skip
    assert every["owners"] == ["*"] and len(every["eventTypes"]) == len(EVENT_TYPES)
    assert client.get(f"/admin/subscriptions/{every['id']}", headers=ADMIN_A).status_code == 404
    assert client.get("/admin/subscriptions", headers=ADMIN_A).get_json()["subscriptions"] == []
    outside = client.post("/admin/subscriptions", headers=ADMIN_A,
                          json={"url": "http://127.0.0.1:9/b", "owners": ["PLANT-B"]})  # fmt: skip
    assert (outside.status_code, outside.get_json()["code"]) == (403, "auth.forbidden")
    staff = client.get("/admin/subscriptions", headers=STAFF_A)
    assert staff.status_code == 403


def test_disable_rotate_and_redeliver_answer_as_documented(
    client: FlaskClient, secret_scan: SecretScan
) -> None:
    made = client.post("/admin/subscriptions", headers=ADMIN_A,
                       json={"url": "http://127.0.0.1:9/x"}).get_json()  # fmt: skip
    secret_scan.shown_once(made["secret"])
    path = f"/admin/subscriptions/{made['id']}"
    rotated = client.post(path + "/rotate-secret", headers=ADMIN_A, json={}).get_json()
    secret_scan.shown_once(rotated["secret"])
    assert rotated["secret"] != made["secret"]
    assert rotated["secretFingerprints"][1:] == made["secretFingerprints"]
    assert client.post(path + "/redeliver", headers=ADMIN_A).get_json() == {"redelivered": 0}
    disabled = client.patch(path, headers=ADMIN_A, json={"state": "disabled"}).get_json()
    assert disabled["state"] == "disabled" and "admin" in disabled["disabledReason"]
    again = client.post(path + "/redeliver", headers=ADMIN_A)
    assert (again.status_code, again.get_json()["code"]) == (409, "subscription.disabled")
    enabled = client.patch(path, headers=ADMIN_A, json={"state": "active"}).get_json()
    assert enabled["state"] == "active" and enabled["disabledReason"] is None
    assert client.post(path + "/redeliver", headers=ADMIN_A).status_code == 200
    actions = [
        e["action"] for e in client.get("/admin/audit", headers=ADMIN_A).get_json()["entries"]
    ]
    assert actions[-3:] == ["subscription.disable", "subscription.enable", "subscription.redeliver"]
    assert client.get(path + "/deliveries", headers=ADMIN_A).get_json() == {"deliveries": []}
    assert client.get("/admin/subscriptions/sub_nope", headers=ADMIN_A).status_code == 404


def test_a_refused_destination_is_a_422_and_keeps_nothing(app: Flask, client: FlaskClient) -> None:
    for url in ("http://169.254.169.254/", "http://10.0.0.1/hook", "file:///etc/passwd"):
        refused = client.post("/admin/subscriptions", headers=ADMIN_ALL, json={"url": url})
        assert refused.status_code == 422, url
        assert refused.get_json()["code"] == "subscription.destination_refused"
    assert client.get("/admin/subscriptions", headers=ADMIN_ALL).get_json()["subscriptions"] == []


def test_webhook_secrets_are_among_the_values_a_master_key_rotation_reseals(
    app: Flask, client: FlaskClient, secret_scan: SecretScan
) -> None:
    made = client.post("/admin/subscriptions", headers=ADMIN_A, json={"url": "http://127.0.0.1:9/"})
    secret_scan.shown_once(made.get_json()["secret"])
    sealed = CredentialStore(app.extensions["gateway"].store.engine).sealed_values()
    assert [value.table for value in sealed] == ["webhook_secrets"]
    assert made.get_json()["secret"] not in sealed[0].sealed
