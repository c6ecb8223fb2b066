"""What the durable write plans promise, in one gateway process (SQLite and PostgreSQL):
updates of one work order one at a time, If-Match, compensations that never oversell, and
everything undone leaving its audit entry and event."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from sandbox.inventory.store import NewReservation
from tests.gateway_process import wait_for
from tests.integration.reservation_helpers import problem_code
from tests.integration.workorder_update_helpers import net_movements, own_work_order


def rework(quantity: float) -> dict[str, Any]:
    return {"batchQuantity": 600, "plannedStart": "2027-07-01T05:00:00Z",
            "materials": [{"operation": 10, "itemNumber": "RW-9001", "quantity": quantity,
                           "uom": "KG"}]}  # fmt: skip


def put(client: FlaskClient, order: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.put(f"/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE", json=body,
                      headers=headers)  # fmt: skip


def test_concurrent_updates_of_one_work_order_apply_one_at_a_time(
    gateway_app: Flask, staff_a: dict[str, str], faults: Any
) -> None:
    quantities = [13, 20, 14.5, 18, 12, 16.25]
    with own_work_order(faults) as order:
        answers: dict[float, int] = {}
        start = threading.Barrier(len(quantities))

        def update(quantity: float) -> None:
            with gateway_app.test_client() as client:
                start.wait()
                answers[quantity] = put(client, order, rework(quantity), staff_a).status_code

        threads = [threading.Thread(target=update, args=(q,)) for q in quantities]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(answers.values()) <= {200, 409}
        work_order = faults.workorder_store.get_work_order(order)
        material = next(Decimal(m["quantity"]) for op in work_order["operations"]
                        for m in op["materials"] if m["itemNumber"] == "RW-9001")  # fmt: skip
        assert float(material) in [q for q, status in answers.items() if status == 200]
        held = sum(Decimal(r["quantity"]) for r in faults.inventory_store.reservations_by_sources(
            [order]) if r["status"] == "O" and r["sku"] == "RW-9001")  # fmt: skip
        assert held == material
        moved = net_movements(faults, order)[("RW-9001", "W01")]
        assert moved == -(material - Decimal("12.5"))


def test_an_update_waiting_too_long_for_another_answers_409_with_retry_after(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], faults: Any
) -> None:
    plans = gateway_app.extensions["gateway"].store.plans
    with own_work_order(faults) as order:
        assert plans.lock_work_order(order, "someone-else")
        try:
            plans.lock_wait, wait = type(plans.lock_wait)(seconds=0.2), plans.lock_wait
            busy = put(client, order, rework(15), staff_a)
        finally:
            plans.lock_wait = wait
            plans.unlock_work_order(order, "someone-else")
        assert (busy.status_code, problem_code(busy)) == (409, "workorder.update_in_progress")
        assert int(busy.headers["Retry-After"]) >= 1
        assert put(client, order, rework(15), staff_a).status_code == 200


def test_if_match_with_a_stale_etag_is_412_and_writes_nothing(
    client: FlaskClient, staff_a: dict[str, str], faults: Any
) -> None:
    with own_work_order(faults) as order:
        read = client.get(f"/api/work-orders/{order}/reservations", headers=staff_a)
        etag = read.headers["ETag"]
        assert put(client, order, rework(15), {**staff_a, "If-Match": etag}).status_code == 200
        before = faults.workorder_store.get_work_order(order)
        stale = put(client, order, rework(13), {**staff_a, "If-Match": etag})
        assert (stale.status_code, problem_code(stale)) == (412, "workorder.precondition_failed")
        assert faults.workorder_store.get_work_order(order) == before
        fresh = client.get(f"/api/work-orders/{order}/reservations", headers=staff_a)
        assert fresh.headers["ETag"] != etag
        again = put(client, order, rework(13), {**staff_a, "If-Match": fresh.headers["ETag"]})
        assert again.status_code == 200


def test_a_compensation_racing_a_sales_order_ends_in_conflict_and_never_oversells(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], faults: Any,
    mint: Any,
) -> None:  # fmt: skip
    admin = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',))}"}
    knobs, stock = faults.inventory.knobs, faults.inventory_store
    correlation = str(uuid.uuid4())
    with own_work_order(faults) as order:
        # 12.5 held → 3.5: release 7.5, release 5, reserve 3.5 again, post the memo.
        knobs.update({"hold_after_commit": 1, "operations": ["Reserve"]})
        held, answer = knobs.writes_held, []
        thread = threading.Thread(target=lambda: answer.append(put(
            gateway_app.test_client(), order, rework(3.5),
            {**staff_a, "X-Request-ID": correlation})))  # fmt: skip
        thread.start()
        wait_for(lambda: knobs.writes_held > held, "the reserve to be held")
        balance = stock.balance("RW-9001", "W01")
        free = Decimal(balance["on_hand"]) - Decimal(balance["reserved"])
        sales = stock.reserve(NewReservation(
            refno=f"SO-{uuid.uuid4().hex[:12]}", sku="RW-9001", warehouse="W01", quantity=free,
            type="S", source_type="SO", source_id=f"SO-{order}", owner="PLANT-A", priority=50,
            uom="KG", location=None, lot=None,
        ))  # fmt: skip
        knobs.update({"hold_after_commit": None, "fail_writes_from": 1,
                      "operations": ["PostTransaction"]})  # fmt: skip
        knobs.release_held()
        thread.join()
        knobs.reset()
        try:
            (response,) = answer
            assert response.status_code == 503
            conflicts = response.get_json()["compensationConflicts"]
            assert {c["code"] for c in conflicts} == {"inventory.reservation.insufficient_stock"}
            after = stock.balance("RW-9001", "W01")
            assert Decimal(after["on_hand"]) - Decimal(after["reserved"]) >= 0
            outbox = client.get("/admin/outbox?state=conflict&limit=1000", headers=admin)
            mine = [e for e in outbox.get_json()["entries"] if e["correlationId"] == correlation]
            assert len(mine) == len(conflicts) >= 1
            events = client.get("/api/events?after=0&limit=1000", headers=staff_a).get_json()
            types = [e["type"] for e in events["events"] if e.get("correlationId") == correlation
                     or e["aggregateId"] in {c["reservationId"] for c in conflicts}]  # fmt: skip
            assert "InventoryCompensationConflict" in types
        finally:
            stock.release(str(sales["id"]), "C")
