"""Durable write plans across gateway processes on one PostgreSQL (issue 10).

One update per work order at a time over two processes; and a process killed (SIGKILL) while a
write it made is in flight — the sandbox's ``hold_after_commit`` commits the write and holds its
answer — leaves a plan the other process finishes: the keyed retry gets 409 while it runs, then
the plan's final answer, and each write landed once.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import suppress
from decimal import Decimal
from typing import Any

import pytest
import requests

from tests.gateway_process import GatewayProcess, gateway_process, wait_for
from tests.integration.workorder_update_helpers import net_movements, own_work_order

PLAN_SETTINGS = {
    "PLAN_LEASE_SECONDS": "3",
    "PLAN_RECOVERY_SECONDS": "0.5",
    "WORKORDER_LOCK_WAIT_SECONDS": "60",
    "OUTBOX_DRAIN_SECONDS": "0.5",
}
UPDATE = {
    "batchQuantity": 600, "plannedStart": "2027-07-01T05:00:00Z",
    "materials": [
        {"operation": 10, "itemNumber": "RM-1003", "quantity": 6, "uom": "KG"},
        {"operation": 10, "itemNumber": "RW-9001", "quantity": 15, "uom": "KG"},
    ],
}  # fmt: skip
"""PATCH, two material PUTs | Reserve 2.5, PostTransaction (memo) −2.5."""


@pytest.fixture(scope="module")
def settings(gateway_settings: dict[str, Any], postgres_url: str) -> dict[str, Any]:
    return {**gateway_settings, **PLAN_SETTINGS, "DATABASE_URL": postgres_url}


@pytest.fixture(scope="module")
def survivor(settings: dict[str, Any]) -> Iterator[GatewayProcess]:
    with gateway_process(settings) as running:
        yield running


def put(url: str, order: str, body: dict[str, Any], headers: dict[str, str]) -> requests.Response:
    return requests.put(f"{url}/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE", json=body,
                        headers=headers, timeout=120)  # fmt: skip


def rework_state(sandbox: Any, order: str) -> tuple[Decimal, Decimal, Decimal]:
    """RW-9001's material, its OPEN reservations' sum and its net movements for the order."""
    work_order = sandbox.workorder_store.get_work_order(order)
    material = next(
        Decimal(m["quantity"]) for op in work_order["operations"] for m in op["materials"]
        if m["itemNumber"] == "RW-9001"
    )  # fmt: skip
    held = sum(
        (Decimal(r["quantity"]) for r in sandbox.inventory_store.reservations_by_sources([order])
         if r["status"] == "O" and r["sku"] == "RW-9001"), Decimal(0),
    )  # fmt: skip
    moved = net_movements(sandbox, order).get(("RW-9001", "W01"), Decimal(0))
    return material, held, moved


def test_concurrent_updates_over_two_processes_apply_one_at_a_time(
    survivor: GatewayProcess, settings: dict[str, Any], staff_a: dict[str, str], faults: Any
) -> None:
    quantities = [Decimal(q) for q in ("13", "20", "14.5", "18", "12", "16.25", "19", "15")]
    with gateway_process(settings) as other, own_work_order(faults) as order:
        urls = [survivor.url, other.url]
        answers: dict[Decimal, int] = {}
        start = threading.Barrier(len(quantities))

        def update(n: int, quantity: Decimal) -> None:
            body = {**UPDATE, "materials": [
                {"operation": 10, "itemNumber": "RW-9001", "quantity": float(quantity), "uom": "KG"}
            ]}  # fmt: skip
            start.wait()
            answers[quantity] = put(urls[n % 2], order, body, staff_a).status_code

        threads = [threading.Thread(target=update, args=(n, q)) for n, q in enumerate(quantities)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert set(answers.values()) <= {200, 409}
        applied = [q for q, status in answers.items() if status == 200]
        assert applied, answers
        material, held, moved = rework_state(faults, order)
        assert material in applied  # the last one applied, whole
        assert held == material  # the OPEN rework reservations hold exactly the rework material
        assert moved == -(material - Decimal("12.5"))  # the memos net to the net change


DECREASE = {**UPDATE, "materials": [
    {"operation": 10, "itemNumber": "RM-1003", "quantity": 6, "uom": "KG"},
    {"operation": 10, "itemNumber": "RW-9001", "quantity": 3.5, "uom": "KG"},
]}  # fmt: skip
"""PATCH, two material PUTs | Release 7.5, Release 5, Reserve 3.5, PostTransaction (memo) +9."""
EXPECTED = {
    "increase": (Decimal(15), Decimal(15), Decimal("-2.5")),
    "decrease": (Decimal("3.5"), Decimal("3.5"), Decimal(9)),
}


@pytest.mark.parametrize(
    ("service", "operation", "scenario"),
    [("workorders", "update_work_order", "increase"), ("workorders", "put_material", "increase"),
     ("inventory", "Reserve", "increase"), ("inventory", "PostTransaction", "increase"),
     ("inventory", "Release", "decrease")],
)  # fmt: skip
def test_a_process_killed_mid_update_leaves_a_plan_the_other_one_finishes(
    survivor: GatewayProcess, settings: dict[str, Any], staff_a: dict[str, str], faults: Any,
    service: str, operation: str, scenario: str,
) -> None:  # fmt: skip
    body = UPDATE if scenario == "increase" else DECREASE
    knobs = getattr(faults, service).knobs
    headers = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}
    with own_work_order(faults) as order:
        with gateway_process(settings) as victim:
            held = knobs.writes_held
            knobs.update({"hold_after_commit": 1, "operations": [operation]})
            thread = threading.Thread(
                target=_ignore_errors, args=(victim.url, order, headers, body)
            )
            thread.start()
            wait_for(lambda: knobs.writes_held > held, f"{operation} to be held")
            _kill(victim)
            knobs.reset()
            thread.join()
        retry = _retry_until_ended(survivor.url, order, headers, body)
        assert retry.status_code == 200, retry.text
        materials = {m["itemNumber"]: Decimal(str(m["quantity"])) for m in _materials(retry)}
        assert materials["RW-9001"] == EXPECTED[scenario][0] and materials["RM-1003"] == 6
        assert rework_state(faults, order) == EXPECTED[scenario]
        again = put(survivor.url, order, body, headers)
        assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"


@pytest.mark.parametrize("line", [1, 2])
def test_a_process_killed_mid_batch_leaves_a_plan_the_other_one_finishes(
    survivor: GatewayProcess, settings: dict[str, Any], staff_a: dict[str, str], faults: Any,
    line: int,
) -> None:  # fmt: skip
    knobs = faults.inventory.knobs
    headers = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    batch = {"lines": [{**_line(source), "quantity": 1}, {**_line(source), "quantity": 2}]}
    with gateway_process(settings) as victim:
        held = knobs.writes_held
        knobs.update({"hold_after_commit": line, "operations": ["Reserve"]})
        thread = threading.Thread(target=_post_ignoring_errors, args=(victim.url, batch, headers))
        thread.start()
        wait_for(lambda: knobs.writes_held > held, f"line {line} to be held")
        _kill(victim)
        knobs.reset()
        thread.join()
    retry = _retry_until_ended(survivor.url, None, headers, batch=batch)
    assert retry.status_code == 201, retry.text
    made = sorted(r["id"] for r in retry.json()["reservations"])
    upstream = faults.inventory_store.reservations_by_sources([source["id"]])
    assert sorted(str(r["id"]) for r in upstream if r["status"] == "O") == made
    assert len(upstream) == 2  # each line landed once
    again = requests.post(f"{survivor.url}/api/inventory/reservations/batch", json=batch,
                          headers=headers, timeout=60)  # fmt: skip
    assert (
        again.status_code == 201 and sorted(r["id"] for r in again.json()["reservations"]) == made
    )
    for row in upstream:
        faults.inventory_store.release(str(row["id"]), "C")


def _line(source: dict[str, str]) -> dict[str, Any]:
    return {"itemSkuId": "RM-1002", "warehouseId": "W02", "type": "SALES", "source": source}


def _post_ignoring_errors(url: str, batch: dict[str, Any], headers: dict[str, str]) -> None:
    with suppress(requests.RequestException):  # the process is killed: no answer
        requests.post(f"{url}/api/inventory/reservations/batch", json=batch, headers=headers,
                      timeout=120)  # fmt: skip


def _ignore_errors(url: str, order: str, headers: dict[str, str], body: dict[str, Any]) -> None:
    with suppress(requests.RequestException):  # the process is killed: no answer
        put(url, order, body, headers)


def _kill(victim: GatewayProcess) -> None:
    worker = victim.worker_pid
    os.kill(worker, signal.SIGKILL)
    os.kill(victim.master.pid, signal.SIGKILL)
    victim.master.wait(timeout=30)


def _retry_until_ended(
    url: str,
    order: str | None,
    headers: dict[str, str],
    body: dict[str, Any] | None = None,
    batch: dict[str, Any] | None = None,
) -> requests.Response:
    """The keyed retry: 409 idempotency.in_progress until the dead process's plan has ended."""
    seen: list[requests.Response] = []

    def ended() -> bool:
        if order is not None:
            response = put(url, order, body or UPDATE, headers)
        else:
            response = requests.post(f"{url}/api/inventory/reservations/batch", json=batch,
                                     headers=headers, timeout=60)  # fmt: skip
        seen.append(response)
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency.in_progress", response.text
            return False
        return True

    wait_for(ended, "the plan to end", deadline=120)
    return seen[-1]


def _materials(response: requests.Response) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = response.json()["materials"]
    return lines


def test_a_process_killed_mid_order_confirmation_leaves_a_plan_the_other_one_finishes(
    survivor: GatewayProcess, settings: dict[str, Any], staff_a: dict[str, str], faults: Any
) -> None:
    """Issue 15.1: the second of three expiry changes of one order lands, its answer is held,
    the process dies; the survivor finishes the plan (every change is safe to make again on
    its reference) and the keyed retry gets the whole order confirmed."""
    knobs, store = faults.inventory.knobs, faults.inventory_store
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    made = [requests.post(f"{survivor.url}/api/inventory/reservations", headers=staff_a,
                          json={**_line(source), "quantity": 1,
                                "expiresAt": "2030-01-01T00:00:00Z"}, timeout=60).json()["id"]
            for _ in range(3)]  # fmt: skip
    path = f"/api/inventory/sources/sales_order/{source['id']}/expiry"
    headers = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}

    def confirm(url: str) -> requests.Response:
        return requests.put(f"{url}{path}", json={"expiresAt": None}, headers=headers,
                            timeout=120)  # fmt: skip

    with gateway_process(settings) as victim:
        held = knobs.writes_held
        knobs.update({"hold_after_commit": 2, "operations": ["ChangeExpiry"]})
        thread = threading.Thread(target=_quietly, args=(confirm, victim.url))
        thread.start()
        wait_for(lambda: knobs.writes_held > held, "the second change to be held")
        _kill(victim)
        knobs.reset()
        thread.join()
    seen: list[requests.Response] = []

    def ended() -> bool:
        seen.append(confirm(survivor.url))
        return seen[-1].status_code != 409

    wait_for(ended, "the plan to end", deadline=120)
    assert seen[-1].status_code == 200, seen[-1].text
    assert sorted(r["id"] for r in seen[-1].json()["reservations"]) == sorted(made)
    assert [store.reservation(rid)["expires_at"] for rid in made] == [None, None, None]
    for rid in made:
        store.release(rid, "C")


def _quietly(call: Any, url: str) -> None:
    with suppress(requests.RequestException):  # the process is killed: no answer
        call(url)
