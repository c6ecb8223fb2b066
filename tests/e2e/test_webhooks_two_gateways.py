"""Two gateway processes (gunicorn, background work on) on one PostgreSQL deliver each event to
a webhook once, in feed order, whichever process made the change (decision 160)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.gateway_process import answers, free_port, wait_for
from tests.integration.reservation_helpers import body
from tests.secret_scan import SecretScan
from tests.webhook_receiver import Receiver, webhook_receiver


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def gateways(gateway_settings: dict[str, Any], postgres_url: str) -> Iterator[list[str]]:
    env = {
        **os.environ,
        **{f"GATEWAY_{k}": str(v) for k, v in gateway_settings.items() if v is not None},
        "GATEWAY_DATABASE_URL": postgres_url,
        "GATEWAY_WEBHOOK_ALLOW_LOOPBACK": "true",
        "GATEWAY_WEBHOOK_DRAIN_SECONDS": "0.1",
    }
    ports = [free_port(), free_port()]
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve"]
    processes = [
        subprocess.Popen(
            [*command, "--workers", "1", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
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


def test_two_gateway_processes_deliver_each_event_once(
    gateways: list[str], receiver: Receiver, staff_a: dict[str, str],
    mint: Callable[..., str], secret_scan: SecretScan,
) -> None:  # fmt: skip
    admin = {"Authorization": f"Bearer {mint(('Gateway.Admin',), ('PLANT-A',))}"}
    made = requests.post(gateways[0] + "/admin/subscriptions", headers=admin,
                         json={"url": receiver.url}, timeout=30)  # fmt: skip
    assert made.status_code == 201, made.text
    subscription_id, secret = made.json()["id"], made.json()["secret"]
    secret_scan.shown_once(secret)
    reservations = []
    for number in range(12):  # changes through both processes, alternately
        url = gateways[number % 2] + "/api/inventory/reservations"
        answer = requests.post(url, headers=staff_a, json=body(), timeout=30)
        assert answer.status_code == 201, answer.text
        reservations.append(answer.json()["id"])

    def mine() -> list[str]:
        return [b["data"]["aggregateId"] for b in receiver.verified(secret)
                if b["data"]["aggregateId"] in reservations]  # fmt: skip

    wait_for(lambda: len(mine()) >= 12, "12 deliveries", deadline=60)
    seen = requests.get(f"{gateways[1]}/admin/subscriptions/{subscription_id}/deliveries",
                        headers=admin, timeout=30).json()["deliveries"]  # fmt: skip
    requests.post(f"{gateways[1]}/admin/subscriptions/{subscription_id}/disable",
                  headers=admin, timeout=30)  # fmt: skip
    ids = [r.id for r in receiver.accepted()]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    assert sorted(mine()) == sorted(reservations) and len(mine()) == 12
    numbers = [int(i.removeprefix("evt_")) for i in ids]
    assert numbers == sorted(numbers)
    assert all(d["state"] == "delivered" and d["attempts"] == 1 for d in seen)
