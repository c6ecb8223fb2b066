"""Two gateway processes (gunicorn) on one PostgreSQL behave as one gateway:
idempotency, the expiry sweeper and the outbox."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from gateway.domain.model import ReservationRequest, ReservationType, Source, SourceType
from tests.e2e.test_demo_stack import free_port
from tests.gateway_process import answers, wait_for
from tests.integration.reservation_helpers import body


@pytest.fixture(scope="module")
def gateways(gateway_settings: dict[str, Any], postgres_url: str) -> Iterator[list[str]]:
    env = {
        **os.environ,
        **{f"GATEWAY_{k}": str(v) for k, v in gateway_settings.items() if v is not None},
        "GATEWAY_DATABASE_URL": postgres_url,
        "GATEWAY_EXPIRY_SWEEP_SECONDS": "0.2",
        "GATEWAY_OUTBOX_DRAIN_SECONDS": "0.2",
    }
    ports = [free_port(), free_port()]
    gateway = [sys.executable, "-c", "from gateway.cli import main; main()"]
    command = [*gateway, "serve", "--workers", "1"]
    processes = [
        subprocess.Popen([*command, "--port", str(port)], env=env, stderr=subprocess.DEVNULL)
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url in urls:
            wait_for(lambda url=url: answers(url), f"{url} to start")
        yield urls
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(timeout=30)


def test_an_idempotency_key_is_one_request_across_both_processes(
    gateways: list[str], staff_a: dict[str, str], faults: Any
) -> None:
    first_url, second_url = gateways
    headers, request = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}, body(quantity=1)
    faults.inventory.knobs.update({"latency_ms": 1000, "operations": ["Reserve"]})
    reserves = faults.inventory.calls.counts().get("Reserve", 0)
    first: list[requests.Response] = []
    thread = threading.Thread(target=lambda: first.append(requests.post(
        first_url + "/api/inventory/reservations", json=_json(request), headers=headers,
        timeout=30)))  # fmt: skip
    thread.start()
    wait_for(lambda: faults.inventory.calls.counts().get("Reserve", 0) > reserves, "the reserve")
    meanwhile = requests.post(
        second_url + "/api/inventory/reservations", json=_json(request), headers=headers, timeout=30
    )
    thread.join()
    assert meanwhile.status_code == 409 and meanwhile.json()["code"] == "idempotency.in_progress"
    assert first[0].status_code == 201
    replay = requests.post(
        second_url + "/api/inventory/reservations", json=_json(request), headers=headers, timeout=30
    )
    assert replay.status_code == 201 and replay.json() == first[0].json()
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_both_sweepers_expire_a_reservation_once(
    gateways: list[str], staff_a: dict[str, str], gateway_app: Any
) -> None:
    inventory = gateway_app.extensions["gateway"].adapters.inventory
    made = inventory.reserve(
        ReservationRequest(
            reference=f"TWO-{uuid.uuid4().hex[:12]}", item_sku_id="RM-1002", warehouse_id="W02",
            quantity=Decimal(1), type=ReservationType.SALES,
            source=Source(SourceType.SALES_ORDER, "SO-TWO"), owner_id="PLANT-A",
            expires_at=datetime.now(UTC) - timedelta(seconds=1),
        )
    )  # fmt: skip
    wait_for(lambda: inventory.get_reservation(made.id).status.value == "RELEASED", "expiry")

    def expired_in(feed: list[Any]) -> list[Any]:
        return [e for e in feed if (e["type"], e["aggregateId"]) == ("InventoryExpired", made.id)]

    # The event commits just after the legacy release: wait for it in the feed, not for a pause.
    wait_for(lambda: bool(expired_in(_events(gateways[0], staff_a))), "the expiry's event")
    events = [_events(url, staff_a) for url in gateways]
    assert events[1][: len(events[0])] == events[0]  # one feed, whichever process answers
    assert [len(expired_in(feed)) for feed in events] == [1, 1]


def test_an_outbox_entry_runs_once_whichever_process_drains_it(
    gateways: list[str], staff_a: dict[str, str], faults: Any, mint: Callable[..., str]
) -> None:
    admin = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',))}"}
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source), body(quantity=10**9, source=source)]
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})
    failed = requests.post(gateways[0] + "/api/inventory/reservations/batch",
                           json={"lines": [_json(line) for line in lines]}, headers=staff_a,
                           timeout=30)  # fmt: skip
    assert failed.status_code == 409
    faults.inventory.knobs.reset()

    def released() -> bool:
        found = requests.get(gateways[1] + f"/api/inventory/reservations?sourceId={source['id']}",
                             headers=staff_a, timeout=10).json()["items"]  # fmt: skip
        return bool(found) and all(r["status"] == "RELEASED" for r in found)

    wait_for(released, "the outbox to release the cancelled line")

    def outbox_empty() -> bool:
        pending = requests.get(
            gateways[0] + "/admin/outbox?state=pending", headers=admin, timeout=10
        )
        return bool(pending.json()["pending"] == 0)

    wait_for(outbox_empty, "an empty outbox")


def _events(url: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The whole feed, page by page."""
    seen: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = requests.get(f"{url}/api/events?after={cursor}&limit=1000", headers=headers,
                            timeout=30).json()  # fmt: skip
        if not page["events"]:
            return seen
        seen += page["events"]
        cursor = page["nextCursor"]


def _json(request: dict[str, Any]) -> dict[str, Any]:
    """The body as requests' JSON encoder takes it: quantities as JSON numbers."""
    return {k: (_number(v) if isinstance(v, Decimal) else v) for k, v in request.items()}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
