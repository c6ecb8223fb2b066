"""Partial reservations and backorders (issue 15.2) through the REST API, against the sandbox
on SQLite and PostgreSQL: what is reserved never exceeds what is available, the rest is a
backorder filled highest priority first then oldest as stock is added, listed, cancelled and
expired, shown in the stock view, and filled once across two gateway processes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from gateway.background import Periodic, fill_backorders_once
from gateway.domain.model import InventoryTransaction, ReleaseReason, Source, SourceType
from gateway.services.backorder_filling import BackorderFiller
from gateway.store import json
from gateway.store.tables import audit_entries, backorder_filler, events
from tests.gateway_process import wait_for
from tests.integration.reservation_helpers import (
    create,
    end_open_backorders,
    problem_code,
    set_available,
)

WAREHOUSE = "W01"  # RM-1228…RM-1230 in W01: pairs no other test reserves
BACKORDERS = "/api/inventory/backorders"


@pytest.fixture
def manager_a(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(roles=('Reservations.Manager',), subject='mgr-a')}"}


@pytest.fixture
def pair(
    gateway_app: Flask,
    client: FlaskClient,
    manager_a: dict[str, str],
    inventory: Any,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """The test's item, nothing available in W01; its backorders cancelled and reservations
    released afterwards (the sandbox outlives each database). A filler lease another test's
    gateway left in the shared database is ended, so this test's passes run."""
    sku = request.param
    set_available(inventory, sku, WAREHOUSE, Decimal(0))
    end_open_backorders(gateway_app)
    with gateway_app.extensions["gateway"].store.engine.begin() as connection:
        connection.execute(update(backorder_filler).values(lease_until=datetime.now(UTC)))
    yield sku
    page = client.get(f"{BACKORDERS}?itemSkuId={sku}&status=OPEN&limit=500", headers=manager_a)
    for backorder in page.get_json()["items"]:
        client.put(f"{BACKORDERS}/{backorder['id']}/cancel", headers=manager_a)
    for reservation in inventory.list_reservations(sku, WAREHOUSE):
        if reservation.status.value == "OPEN":
            inventory.release(reservation.id, ReleaseReason.RELEASED)


def receive(inventory: Any, sku: str, quantity: int) -> None:
    """Stock arrives: a goods receipt through the sandbox's transaction operation."""
    inventory.post_transaction(InventoryTransaction(
        reference=f"RCT-{uuid.uuid4().hex[:16]}", item_sku_id=sku, warehouse_id=WAREHOUSE,
        quantity=Decimal(quantity), transaction_type="RCT", transaction_date=datetime.now(UTC),
        source=Source(SourceType.TRANSACTION, "RECEIPT"),
    ))  # fmt: skip


def partial(client: FlaskClient, headers: dict[str, str], sku: str, quantity: int,
            **overrides: Any) -> Any:  # fmt: skip
    answer = create(client, headers, sku=sku, warehouseId=WAREHOUSE, quantity=quantity,
                    allowPartial=True, **overrides)  # fmt: skip
    assert answer.status_code == 201, answer.data
    return answer.get_json()


def backorder(client: FlaskClient, headers: dict[str, str], backorder_id: str) -> Any:
    return client.get(f"{BACKORDERS}/{backorder_id}", headers=headers).get_json()


@pytest.mark.parametrize("pair", ["RM-1228"], indirect=True)
def test_a_partial_create_reserves_what_is_available_and_backorders_the_rest(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    receive(inventory, pair, 4)
    made = partial(client, staff_a, pair, 10, priority=70)
    assert (made["reservedQuantity"], made["backorderedQuantity"]) == (Decimal(4), Decimal(6))
    assert made["status"] == "OPEN" and made["quantity"] == Decimal(4)
    waiting = made["backorder"]
    assert (waiting["quantity"], waiting["status"], waiting["priority"]) == (6, "OPEN", 70)
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 0
    stock = client.get(f"/api/inventory/items/{pair}/stock?warehouseId={WAREHOUSE}",
                       headers=staff_a).get_json()  # fmt: skip
    assert (stock["available"], stock["backordered"]) == (0, 6)
    nothing = partial(client, staff_a, pair, 2)
    assert (nothing["reservedQuantity"], nothing["backorderedQuantity"]) == (0, 2)
    assert "id" not in nothing and nothing["backorder"]["quantity"] == 2
    listed = client.get(f"{BACKORDERS}?itemSkuId={pair}", headers=staff_a).get_json()
    assert [b["id"] for b in listed["items"]] == [waiting["id"], nothing["backorder"]["id"]]
    whole = create(client, staff_a, sku=pair, warehouseId=WAREHOUSE, quantity=1)
    assert problem_code(whole) == "inventory.reservation.insufficient_stock"  # no allowPartial


@pytest.mark.parametrize("pair", ["RM-1229"], indirect=True)
def test_backorders_are_filled_highest_priority_first_then_oldest_as_stock_arrives(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    ids = [partial(client, staff_a, pair, q, priority=p)["backorder"]["id"]
           for q, p in ((3, 50), (3, 90), (3, 50), (3, 10))]  # fmt: skip
    assert fill_backorders_once(gateway_app) == 0  # nothing available yet
    receive(inventory, pair, 7)
    assert fill_backorders_once(gateway_app) == 3
    states = [(backorder(client, staff_a, i)["status"], backorder(client, staff_a, i)["quantity"])
              for i in ids]  # fmt: skip
    assert states == [("FILLED", 0), ("FILLED", 0), ("OPEN", 2), ("OPEN", 3)]
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 0
    filled = filled_events(gateway_app, ids)
    assert [e["backorderId"] for e in filled] == [ids[1], ids[0], ids[2]]
    assert [e["filledNow"] for e in filled] == [3, 3, 1]
    made = filled[0]["reservation"]
    assert (made["quantity"], made["priority"], made["status"]) == (3, 90, "OPEN")
    assert made["createdBy"] == "test-user"
    receive(inventory, pair, 10)
    assert fill_backorders_once(gateway_app) == 2
    assert [backorder(client, staff_a, i)["status"] for i in ids] == ["FILLED"] * 4
    assert fill_backorders_once(gateway_app) == 0
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 5
    assert len(filled_events(gateway_app, ids)) == 5


def filled_events(app: Flask, ids: list[str]) -> list[dict[str, Any]]:
    engine = app.extensions["gateway"].store.engine
    with engine.connect() as connection:
        rows = connection.execute(
            select(events.c.payload).where(events.c.type == "InventoryBackorderFilled",
                                           events.c.aggregate_id.in_(ids))
            .order_by(events.c.id)
        ).scalars()  # fmt: skip
        return [json.loads(payload) for payload in rows]


@pytest.mark.parametrize("pair", ["RM-1230"], indirect=True)
def test_backorders_are_cancelled_by_their_creator_or_a_manager_and_expired_by_the_filler(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], mint: Callable[..., str],
    manager_a: dict[str, str], inventory: Any, pair: str,
) -> None:  # fmt: skip
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    mine = partial(client, staff_a, pair, 2)["backorder"]["id"]
    expiring = partial(client, staff_a, pair, 2, expiresAt=soon)["backorder"]["id"]
    other_staff = {"Authorization": f"Bearer {mint(subject='another-staff')}"}
    refused = client.put(f"{BACKORDERS}/{mine}/cancel", headers=other_staff)
    assert problem_code(refused) == "auth.forbidden"
    cancelled = client.put(f"{BACKORDERS}/{mine}/cancel", headers=staff_a)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "CANCELLED"
    again = client.put(f"{BACKORDERS}/{mine}/cancel", headers=manager_a)
    assert again.status_code == 409 and problem_code(again) == "inventory.backorder.not_open"
    staff_b = {"Authorization": f"Bearer {mint(owners=('PLANT-B',), subject='staff-b')}"}
    assert problem_code(client.get(f"{BACKORDERS}/{expiring}", headers=staff_b)) == (
        "inventory.backorder.not_found")  # fmt: skip
    assert client.get(f"{BACKORDERS}?itemSkuId={pair}", headers=staff_b).get_json()["total"] == 0
    assert client.put(f"{BACKORDERS}/{expiring}/cancel", headers=staff_b).status_code == 404
    gateway = gateway_app.extensions["gateway"]
    later = BackorderFiller(gateway.adapters.inventory, gateway.adapters.work_orders,
                            gateway.backorders.book, gateway.store.unit_of_work,
                            timedelta(seconds=30),
                            clock=lambda: datetime.now(UTC) + timedelta(hours=2))  # fmt: skip
    receive(inventory, pair, 5)
    gateway.backorders.book.give_up_lease()
    assert later.run_once() == 0  # the due backorder expired, the cancelled one stays cancelled
    assert backorder(client, staff_a, expiring)["status"] == "EXPIRED"
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 5
    with gateway.store.engine.connect() as connection:
        kinds = connection.execute(
            select(events.c.type).where(events.c.aggregate_id.in_([mine, expiring]))
            .order_by(events.c.id)
        ).scalars().all()  # fmt: skip
    assert kinds == ["InventoryBackordered", "InventoryBackordered",
                     "InventoryBackorderCancelled", "InventoryBackorderExpired"]  # fmt: skip


@pytest.mark.parametrize("pair", ["RM-1227"], indirect=True)
def test_fifty_concurrent_partial_creates_never_reserve_more_than_was_available(
    gateway_app: Flask, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    receive(inventory, pair, 40)
    quantities = [1 + n % 3 for n in range(50)]  # 99 asked for, 40 there
    answers: list[dict[str, Any]] = []

    def attempt(quantity: int) -> None:
        with gateway_app.test_client() as client:
            answers.append(partial(client, staff_a, pair, quantity))

    threads = [threading.Thread(target=attempt, args=(q,)) for q in quantities]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 50
    reserved = sum(a["reservedQuantity"] for a in answers)
    assert reserved <= 40
    assert all(a["reservedQuantity"] + a["backorderedQuantity"] in (1, 2, 3) for a in answers)
    assert sum(a["backorderedQuantity"] for a in answers) == sum(quantities) - reserved
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 40 - reserved


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # two processes: one server
@pytest.mark.parametrize("pair", ["RM-1224"], indirect=True)
def test_two_gateway_processes_on_postgresql_fill_each_backorder_once(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any,
    gateway_settings: dict[str, Any], database_url: str, pair: str,
) -> None:  # fmt: skip
    assert database_url.startswith("postgresql")
    ids = [partial(client, staff_a, pair, 2, priority=p)["backorder"]["id"] for p in range(6)]
    receive(inventory, pair, 12)
    gateway_app.extensions["gateway"].backorders.book.give_up_lease()
    env = {f"GATEWAY_{k}": str(v) for k, v in gateway_settings.items() if v is not None}
    script = (
        "from gateway.app import create_app; from gateway.background import "
        "fill_backorders_once as f; a = create_app(); print(sum(f(a) for _ in range(3)))"
    )
    command = [sys.executable, "-c", script]
    environment = {**os.environ, **env, "GATEWAY_DATABASE_URL": database_url}
    fillers = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)
               for _ in (1, 2)]  # fmt: skip
    outputs = [p.communicate(timeout=120)[0] for p in fillers]
    assert [p.returncode for p in fillers] == [0, 0], outputs
    assert sorted(int(o.strip().splitlines()[-1]) for o in outputs)[-1] == 6  # one did them all
    engine = gateway_app.extensions["gateway"].store.engine
    with engine.connect() as connection:
        for backorder_id in ids:
            published = connection.execute(select(func.count()).where(
                events.c.aggregate_id == backorder_id,
                events.c.type == "InventoryBackorderFilled"))  # fmt: skip
            audited = connection.execute(select(func.count()).where(
                audit_entries.c.target_id == backorder_id,
                audit_entries.c.action == "backorder.fill"))  # fmt: skip
            assert (published.scalar_one(), audited.scalar_one()) == (1, 1), backorder_id
    fills = [r for r in inventory.list_reservations(pair, WAREHOUSE)
             if (r.reference or "").startswith("BO-")]  # fmt: skip
    assert sorted(r.reference for r in fills) == sorted(f"BO-{i}-1" for i in ids)
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 0


@pytest.mark.parametrize("pair", ["RM-1222"], indirect=True)
def test_a_batch_may_allow_partial_lines_and_stays_all_or_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    receive(inventory, pair, 5)
    line = {"itemSkuId": pair, "warehouseId": WAREHOUSE, "type": "SALES", "ownerId": "PLANT-A",
            "source": {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}}  # fmt: skip
    lines = [{**line, "quantity": 2}, {**line, "quantity": 6, "allowPartial": True},
             {**line, "quantity": 2, "allowPartial": True}]  # fmt: skip
    answer = client.post("/api/inventory/reservations/batch", json={"lines": lines},
                         headers=staff_a)  # fmt: skip
    assert answer.status_code == 201, answer.data
    got = [(n["reservedQuantity"], n["backorderedQuantity"]) for n in answer.get_json()["lines"]]
    assert got == [(2, 0), (3, 3), (0, 2)]
    assert [r["quantity"] for r in answer.get_json()["reservations"]] == [2, 3]
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 0
    too_much = [{**line, "quantity": 1}, {**line, "quantity": 4, "allowPartial": True}]
    refused = client.post("/api/inventory/reservations/batch", json={"lines": too_much},
                          headers=staff_a)  # fmt: skip
    assert problem_code(refused) == "inventory.reservation.insufficient_stock"
    listed = client.get(f"{BACKORDERS}?itemSkuId={pair}", headers=staff_a).get_json()
    assert sorted(b["quantity"] for b in listed["items"]) == [2, 3]  # the refused batch: none


@pytest.mark.parametrize("pair", ["RM-1223"], indirect=True)
def test_a_keyed_partial_create_repeated_is_answered_once_with_one_backorder(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    receive(inventory, pair, 1)
    keyed = {**staff_a, "Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    first = partial(client, keyed, pair, 3, source={"type": "sales_order", "id": "SO-KEYED"})
    again = partial(client, keyed, pair, 3, source={"type": "sales_order", "id": "SO-KEYED"})
    assert again == first and first["backorderedQuantity"] == 2
    listed = client.get(f"{BACKORDERS}?itemSkuId={pair}", headers=staff_a).get_json()
    assert listed["total"] == 1
    bad = create(client, staff_a, sku=pair, warehouseId=WAREHOUSE, allowPartial="yes")
    assert problem_code(bad) == "request.invalid"


@pytest.mark.parametrize("pair", ["RM-1221"], indirect=True)
def test_the_background_filler_fills_a_backorder_on_its_own_once_stock_arrives(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any, pair: str
) -> None:
    waiting = partial(client, staff_a, pair, 2)["backorder"]["id"]
    book = gateway_app.extensions["gateway"].backorders.book
    loop = Periodic("test-backorder-filler", 0.1, lambda: fill_backorders_once(gateway_app),
                    on_stop=book.give_up_lease).start()  # fmt: skip
    try:
        receive(inventory, pair, 2)
        wait_for(lambda: backorder(client, staff_a, waiting)["status"] == "FILLED", "the fill")
    finally:
        loop.stop()
    assert inventory.get_stock_level(pair, WAREHOUSE).available == 0
    assert [e["filledNow"] for e in filled_events(gateway_app, [waiting])] == [2]
