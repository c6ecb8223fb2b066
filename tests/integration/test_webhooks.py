"""Webhook deliveries end to end (issue 14.1): real changes through the gateway, the drainer
following the event feed, and real HTTP targets on 127.0.0.1 verifying Standard Webhooks
signatures. Every test runs on SQLite and on PostgreSQL (``database_url``)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from gateway.app import create_app
from gateway.background import drain_webhooks, fill_backorders_once, sweep_once, webhook_drainer
from gateway.domain.model import (
    InventoryTransaction,
    ReleaseReason,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)
from gateway.domain.webhooks import BACKORDER_EVENT_TYPES, EVENT_TYPES, RESERVATION_EVENT_TYPES
from gateway.services.backorder_filling import BackorderFiller
from gateway.services.plan_records import record_conflict
from gateway.services.webhooks.drainer import WebhookDrainer
from gateway.store.tables import backorder_filler
from tests.gateway_process import free_port, wait_for
from tests.integration.reservation_helpers import create, end_open_backorders, set_available
from tests.secret_scan import SecretScan
from tests.webhook_receiver import Receiver, webhook_receiver

FAST_RETRIES = {
    "WEBHOOK_ALLOW_LOOPBACK": True,
    "WEBHOOK_RETRY_BASE_SECONDS": 0.05,
    "WEBHOOK_RETRY_MAX_SECONDS": 0.2,
}
Subscribe = Callable[..., tuple[str, str]]


def webhook_app(settings: dict[str, Any], database_url: str, **extra: Any) -> Flask:
    return create_app({**settings, "DATABASE_URL": database_url, **FAST_RETRIES, **extra})


@pytest.fixture(scope="module")
def app(gateway_settings: dict[str, Any], database_url: str) -> Flask:
    return webhook_app(gateway_settings, database_url)


@pytest.fixture
def web(app: Flask) -> Iterator[FlaskClient]:
    with app.test_client() as client:
        yield client


@pytest.fixture(scope="module")
def admin(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(('Gateway.Admin',), ('PLANT-A',), subject='ops')}"}


@pytest.fixture
def subscribe(
    web: FlaskClient, admin: dict[str, str], secret_scan: SecretScan
) -> Iterator[Subscribe]:
    """Subscribes a URL (PLANT-A, every type); every subscription is disabled afterwards, so no
    other test's drainer calls a receiver that has stopped."""
    made: list[str] = []

    def subscribe_to(url: str, **body: Any) -> tuple[str, str]:
        answer = web.post("/admin/subscriptions", headers=admin, json={"url": url, **body})
        assert answer.status_code == 201, answer.get_json()
        found = answer.get_json()
        secret_scan.shown_once(found["secret"])
        made.append(found["id"])
        return found["id"], found["secret"]

    yield subscribe_to
    for subscription_id in made:
        web.post(f"/admin/subscriptions/{subscription_id}/disable", headers=admin)


@pytest.fixture
def drainer(app: Flask) -> WebhookDrainer:
    return webhook_drainer(app)


def delivered_until(drainer: WebhookDrainer, done: Callable[[], bool], what: str) -> None:
    """Drain (as the background worker would) until ``done``; no sleeps beyond wait_for's."""
    wait_for(lambda: (drain_webhooks(drainer), done())[1], what, deadline=60)


def ids_of(receiver: Receiver, secret: str, aggregate_ids: set[str]) -> list[tuple[str, str]]:
    """(reservation, event type) of every verified delivery for these reservations, in order."""
    return [
        (body["data"]["aggregateId"], body["type"])
        for body in receiver.verified(secret)
        if body["data"]["aggregateId"] in aggregate_ids
    ]


def expired_reservation(app: Flask) -> str:
    inventory = app.extensions["gateway"].adapters.inventory
    made = inventory.reserve(ReservationRequest(
        reference=f"WH-{uuid.uuid4().hex[:12]}", item_sku_id="RM-1002", warehouse_id="W02",
        quantity=Decimal(1), type=ReservationType.SALES,
        source=Source(SourceType.SALES_ORDER, "SO-WEBHOOK"), owner_id="PLANT-A",
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    ))  # fmt: skip
    return str(made.id)


def conflict_event(app: Flask) -> str:
    reservation_id = f"RSV-CONFLICT-{uuid.uuid4().hex[:8]}"
    uow = app.extensions["gateway"].store.unit_of_work()
    released = {"reservationId": reservation_id, "ownerId": "PLANT-A"}
    record_conflict(uow, "system:test", released, "stock gone meanwhile", None)
    uow.commit()
    return reservation_id


def test_every_event_type_is_delivered_signed_and_in_order_per_reservation(
    app: Flask, web: FlaskClient, staff_a: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer,
) -> None:  # fmt: skip
    with webhook_receiver() as receiver:
        _, secret = subscribe(receiver.url)
        released = create(web, staff_a).get_json()["id"]
        web.put(f"/api/inventory/reservations/{released}/release", headers=staff_a)
        consumed = create(web, staff_a).get_json()["id"]
        web.put(f"/api/inventory/reservations/{consumed}/consume", headers=staff_a)
        expired = expired_reservation(app)
        sweep_once(app)
        conflict = conflict_event(app)
        mine = {released, consumed, expired, conflict}
        delivered_until(drainer, lambda: len(ids_of(receiver, secret, mine)) >= 6, "6 events")
        seen = ids_of(receiver, secret, mine)
    assert [t for r, t in seen if r == released] == ["InventoryReserved", "InventoryReleased"]
    assert [t for r, t in seen if r == consumed] == ["InventoryReserved", "InventoryConsumed"]
    assert [t for r, t in seen if r == expired] == ["InventoryExpired"]
    assert [t for r, t in seen if r == conflict] == ["InventoryCompensationConflict"]
    lifecycle = {"InventoryReservationExtended", "InventoryPartiallyConsumed"}  # test below
    assert {t for _, t in seen} == set(RESERVATION_EVENT_TYPES) - lifecycle
    event_ids = [body["data"]["id"] for body in receiver.verified(secret)]
    assert event_ids == sorted(event_ids)  # feed order, hence order per reservation
    assert {body["data"]["origin"] for body in receiver.verified(secret)} == {"gateway"}
    first = receiver.accepted()[0]
    assert first.id == f"evt_{event_ids[0]}" and first.headers["content-type"] == "application/json"


def test_a_target_down_for_a_while_then_back_gets_everything_once_per_id(
    web: FlaskClient, staff_a: dict[str, str], admin: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer,
) -> None:  # fmt: skip
    port = free_port()
    subscription_id, secret = subscribe(f"http://127.0.0.1:{port}/hooks")
    made = [create(web, staff_a).get_json()["id"] for _ in range(3)]
    for reservation_id in made:
        web.put(f"/api/inventory/reservations/{reservation_id}/release", headers=staff_a)
    path = f"/admin/subscriptions/{subscription_id}/deliveries"

    def retried() -> bool:
        drain_webhooks(drainer)
        found = web.get(path, headers=admin).get_json()["deliveries"]
        return bool(found) and found[0]["attempts"] >= 3

    wait_for(retried, "three failed attempts while the target is down", deadline=60)
    head = web.get(path, headers=admin).get_json()["deliveries"]
    assert len(head) == 1 and head[0]["state"] == "retrying"  # the rest wait behind it
    assert head[0]["lastError"] and head[0]["lastStatus"] is None
    assert metric(web, "gateway_webhook_lag_seconds", subscription_id) > 0
    assert metric(web, "gateway_webhook_attempts_total", subscription_id, "failed") >= 3
    with webhook_receiver(port=port) as receiver:
        delivered_until(drainer, lambda: len(receiver.accepted()) >= 6, "the backlog")
        drain_webhooks(drainer)
        seen = ids_of(receiver, secret, set(made))
    ids = [r.id for r in receiver.accepted()]
    assert len(ids) == len(set(ids)) == 6
    for reservation_id in made:
        assert [t for r, t in seen if r == reservation_id] == ["InventoryReserved",
                                                               "InventoryReleased"]  # fmt: skip
    states = {d["state"] for d in web.get(path, headers=admin).get_json()["deliveries"]}
    assert states == {"delivered"}
    assert metric(web, "gateway_webhook_lag_seconds", subscription_id) == 0
    assert metric(web, "gateway_webhook_attempts_total", subscription_id, "delivered") == 6


def metric(web: FlaskClient, name: str, subscription_id: str, outcome: str | None = None) -> float:
    """A webhook metric of one subscription, as /metrics reports it (0 if absent)."""
    wanted = [f"{name}{{", f'subscription="{subscription_id}"']
    wanted += [f'outcome="{outcome}"'] if outcome else []
    for line in web.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(wanted[0]) and all(part in line for part in wanted[1:]):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_delivery_given_up_is_a_visible_dead_letter_and_can_be_redelivered(
    gateway_settings: dict[str, Any], database_url: str, staff_a: dict[str, str],
    admin: dict[str, str], subscribe: Subscribe,
) -> None:  # fmt: skip
    short = webhook_app(gateway_settings, database_url, WEBHOOK_MAX_AGE_SECONDS=0.3)
    drainer = webhook_drainer(short)
    with short.test_client() as web, webhook_receiver(status=500) as receiver:
        subscription_id, secret = subscribe(receiver.url)
        path = f"/admin/subscriptions/{subscription_id}"
        reservation_id = create(web, staff_a).get_json()["id"]

        def dead() -> list[Any]:
            drain_webhooks(drainer)
            query = web.get(path + "/deliveries?state=dead", headers=admin)
            return list(query.get_json()["deliveries"])

        wait_for(lambda: bool(dead()), "the delivery to be given up", deadline=60)
        letter = dead()[0]
        assert letter["attempts"] >= 1 and letter["lastStatus"] == 500
        receiver.status = 204
        web.put(f"/api/inventory/reservations/{reservation_id}/release", headers=staff_a)
        delivered_until(drainer, lambda: len(receiver.accepted()) >= 1, "the next event")
        again = web.post(path + "/redeliver", headers=admin)
        assert again.get_json() == {"redelivered": 1}
        delivered_until(drainer, lambda: len(receiver.accepted()) >= 2, "the redelivery")
        seen = ids_of(receiver, secret, {reservation_id})
        after = web.get(path + "/deliveries", headers=admin).get_json()["deliveries"]
    # The dead letter comes back after what followed it: redelivery is outside the feed order.
    assert seen == [(reservation_id, "InventoryReleased"), (reservation_id, "InventoryReserved")]
    assert [d["state"] for d in after] == ["delivered", "delivered"]
    assert after[1]["attempts"] > letter["attempts"]


def test_a_target_answering_410_disables_its_subscription(
    web: FlaskClient, staff_a: dict[str, str], admin: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer,
) -> None:  # fmt: skip
    with webhook_receiver(status=410) as receiver:
        subscription_id, _ = subscribe(receiver.url)
        path = f"/admin/subscriptions/{subscription_id}"
        create(web, staff_a)

        def disabled() -> bool:
            drain_webhooks(drainer)
            return bool(web.get(path, headers=admin).get_json()["state"] == "disabled")

        wait_for(disabled, "the subscription to be disabled", deadline=60)
        create(web, staff_a)
        drain_webhooks(drainer)
        assert len(receiver.requests) == 1
        found = web.get(path, headers=admin).get_json()
        assert "410" in found["disabledReason"]
        assert web.post(path + "/redeliver", headers=admin).status_code == 409
        receiver.status = 204  # the target is back: an admin resumes where it stopped
        assert web.post(path + "/enable", headers=admin).get_json()["state"] == "active"
        delivered_until(drainer, lambda: len(receiver.accepted()) >= 2, "both events")
    gone, *_ = receiver.requests
    assert receiver.accepted()[0].id == gone.id  # the one answered 410 comes first


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hooks",
     "http://localhost:{port}/hooks", "http://127.0.0.1:{port}/hooks"],
)  # fmt: skip
def test_a_url_to_a_disallowed_address_is_refused_at_registration(
    client: FlaskClient, admin: dict[str, str], url: str
) -> None:
    """The session's gateway keeps the default policy: no loopback, no private networks."""
    refused = client.post("/admin/subscriptions", headers=admin,
                          json={"url": url.format(port=free_port())})  # fmt: skip
    assert refused.status_code == 422
    problem = refused.get_json()
    assert problem["code"] == "subscription.destination_refused"
    assert "not allowed" in problem["detail"]


def test_a_rotated_secret_signs_beside_the_old_one_and_no_answer_or_log_shows_either(
    web: FlaskClient, staff_a: dict[str, str], admin: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer, secret_scan: SecretScan,
) -> None:  # fmt: skip
    with webhook_receiver() as receiver:
        subscription_id, old = subscribe(receiver.url)
        path = f"/admin/subscriptions/{subscription_id}"
        rotated = web.post(path + "/rotate-secret", headers=admin, json={"graceSeconds": 3600})
        new = rotated.get_json()["secret"]
        secret_scan.shown_once(new)
        reservation_id = create(web, staff_a).get_json()["id"]
        delivered_until(drainer, lambda: len(receiver.accepted()) >= 1, "a delivery")
        assert ids_of(receiver, old, {reservation_id}) == ids_of(receiver, new, {reservation_id})
        signatures = receiver.accepted()[0].headers["webhook-signature"].split(" ")
        assert len(signatures) == 2
        for answer in (web.get(path, headers=admin), web.get("/admin/subscriptions",
                       headers=admin), web.get(path + "/deliveries", headers=admin),
                       web.get("/admin/audit", headers=admin)):  # fmt: skip
            assert old not in answer.get_data(as_text=True)
            assert new not in answer.get_data(as_text=True)


def test_two_drainers_on_one_postgresql_database_deliver_each_event_once(
    gateway_settings: dict[str, Any], postgres_url: str, mint: Callable[..., str],
    secret_scan: SecretScan,
) -> None:  # fmt: skip
    apps = [webhook_app(gateway_settings, postgres_url) for _ in (1, 2)]
    drainers = [webhook_drainer(app) for app in apps]
    admin = {"Authorization": f"Bearer {mint(('Gateway.Admin',), ('PLANT-A',))}"}
    with webhook_receiver() as receiver, apps[0].test_client() as web:
        made = web.post("/admin/subscriptions", headers=admin, json={"url": receiver.url})
        assert made.status_code == 201, made.get_json()
        subscription_id, secret = made.get_json()["id"], made.get_json()["secret"]
        secret_scan.shown_once(secret)
        aggregates = _publish_events(apps[0], 40)
        stop = threading.Event()

        def run(drainer: WebhookDrainer) -> None:
            while not stop.is_set():
                drain_webhooks(drainer)

        threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in drainers]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: len(ids_of(receiver, secret, aggregates)) >= 40, "40", deadline=90)
        finally:  # disabled even on a timeout: no later drainer calls the stopped receiver
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            web.post(f"/admin/subscriptions/{subscription_id}/disable", headers=admin)
    ids = [r.id for r in receiver.accepted()]
    assert len(ids) == len(set(ids)) == 40
    numbers = [int(i.removeprefix("evt_")) for i in ids]
    assert numbers == sorted(numbers)


def _publish_events(app: Flask, count: int) -> set[str]:
    """``count`` events of PLANT-A, committed one by one as changes are."""
    aggregates = set()
    for number in range(count):
        aggregate = f"RSV-WH-{uuid.uuid4().hex[:8]}-{number}"
        uow = app.extensions["gateway"].store.unit_of_work()
        key = f"InventoryReserved:{aggregate}"
        payload = {"reservationId": aggregate}
        uow.events.publish("InventoryReserved", aggregate, payload, "PLANT-A", key)
        uow.commit()
        aggregates.add(aggregate)
    return aggregates


def test_a_backorders_changes_are_delivered_too(
    app: Flask, web: FlaskClient, staff_a: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer,
) -> None:  # fmt: skip
    """Backordered, cancelled, filled and expired: every backorder event type reaches a
    subscriber, in order per backorder (RM-1220 in W01: an item no other test reserves)."""
    gateway, sku = app.extensions["gateway"], "RM-1220"
    inventory = gateway.adapters.inventory
    set_available(inventory, sku, "W01", Decimal(0))
    end_open_backorders(app)  # the fill below is counted: no other test's may be filled too
    with gateway.store.engine.begin() as connection:  # a lease another test's app left
        connection.execute(update(backorder_filler).values(lease_until=datetime.now(UTC)))

    def backordered(**extra: Any) -> str:
        made = create(web, staff_a, sku=sku, warehouseId="W01", quantity=2, allowPartial=True,
                      **extra)  # fmt: skip
        assert made.status_code == 201, made.get_json()
        return str(made.get_json()["backorder"]["id"])

    with webhook_receiver() as receiver:
        _, secret = subscribe(receiver.url)
        cancelled = backordered()
        assert web.put(f"/api/inventory/backorders/{cancelled}/cancel",
                       headers=staff_a).status_code == 200  # fmt: skip
        filled = backordered()
        inventory.post_transaction(InventoryTransaction(
            reference=f"RCT-{uuid.uuid4().hex[:16]}", item_sku_id=sku, warehouse_id="W01",
            quantity=Decimal(2), transaction_type="RCT", transaction_date=datetime.now(UTC),
            source=Source(SourceType.TRANSACTION, "RECEIPT"),
        ))  # fmt: skip
        assert fill_backorders_once(app) == 1
        expired = backordered(expiresAt=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
        gateway.backorders.book.give_up_lease()
        later = BackorderFiller(inventory, gateway.adapters.work_orders, gateway.backorders.book,
                                gateway.store.unit_of_work, timedelta(seconds=30),
                                clock=lambda: datetime.now(UTC) + timedelta(hours=2))  # fmt: skip
        later.run_once()
        mine = {cancelled, filled, expired}
        delivered_until(drainer, lambda: len(ids_of(receiver, secret, mine)) >= 6, "6 events")
        seen = ids_of(receiver, secret, mine)
    for reservation in inventory.list_reservations(sku, "W01"):
        if reservation.status.value == "OPEN":
            inventory.release(reservation.id, ReleaseReason.RELEASED)

    assert [t for b, t in seen if b == cancelled] == ["InventoryBackordered",
                                                       "InventoryBackorderCancelled"]  # fmt: skip
    assert [t for b, t in seen if b == filled] == ["InventoryBackordered",
                                                    "InventoryBackorderFilled"]  # fmt: skip
    assert [t for b, t in seen if b == expired] == ["InventoryBackordered",
                                                     "InventoryBackorderExpired"]  # fmt: skip
    assert {t for _, t in seen} == set(BACKORDER_EVENT_TYPES)
    assert set(EVENT_TYPES) == set(RESERVATION_EVENT_TYPES) | set(BACKORDER_EVENT_TYPES)


def test_an_extension_and_a_partial_consume_are_delivered_too(
    app: Flask, web: FlaskClient, staff_a: dict[str, str], subscribe: Subscribe,
    drainer: WebhookDrainer,
) -> None:  # fmt: skip
    """The lifecycle's event types (issue 15.1, 15.4) reach a subscriber in order: extended,
    partly consumed, then consumed (RM-1216 in W01: an item no other test reserves)."""
    inventory = app.extensions["gateway"].adapters.inventory
    set_available(inventory, "RM-1216", "W01", Decimal(20))
    with webhook_receiver() as receiver:
        _, secret = subscribe(receiver.url)
        made = create(
            web,
            staff_a,
            sku="RM-1216",
            warehouseId="W01",
            quantity=5,
            expiresAt=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        )
        assert made.status_code == 201, made.get_json()
        rid = made.get_json()["id"]
        path = f"/api/inventory/reservations/{rid}"
        assert web.put(f"{path}/expiry", json={"expiresAt": None},
                       headers=staff_a).status_code == 200  # fmt: skip
        assert web.put(f"{path}/consume", json={"quantity": 2},
                       headers=staff_a).status_code == 200  # fmt: skip
        assert web.put(f"{path}/consume", headers=staff_a).status_code == 200
        delivered_until(drainer, lambda: len(ids_of(receiver, secret, {rid})) >= 4, "4 events")
        seen = [t for _, t in ids_of(receiver, secret, {rid})]
    assert seen == ["InventoryReserved", "InventoryReservationExtended",
                    "InventoryPartiallyConsumed", "InventoryConsumed"]  # fmt: skip
    assert {"InventoryReservationExtended", "InventoryPartiallyConsumed"} <= set(EVENT_TYPES)
