"""The whole stack as a user starts it: `gateway demo`, then plain HTTP."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.gateway_process import wait_for

GATEWAY = [sys.executable, "-c", "from gateway.cli import main; main()"]
STARTUP_SECONDS = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("demo")
    port = free_port()
    process = subprocess.Popen(
        [*GATEWAY, "demo", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    output = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()
    token = wait_for_token(lines, process)
    yield {"url": f"http://127.0.0.1:{port}", "token": token, "workdir": workdir, "proc": process}
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def wait_for_token(lines: queue.Queue[str], process: subprocess.Popen[str]) -> str:
    seen: list[str] = []
    while True:
        try:
            line = lines.get(timeout=STARTUP_SECONDS)
        except queue.Empty:
            process.kill()
            pytest.fail("gateway demo printed nothing for too long:\n" + "".join(seen))
        seen.append(line)
        if line.startswith("export TOKEN="):
            return line.strip().removeprefix("export TOKEN=")
        if process.poll() is not None and lines.empty():
            pytest.fail("gateway demo exited:\n" + "".join(seen))


def test_readme_curl_returns_reservations_with_lots_and_locations(demo: dict[str, Any]) -> None:
    answer = requests.get(
        demo["url"] + "/api/work-orders/WO-1001/reservations",
        headers={"Authorization": f"Bearer {demo['token']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    materials = answer.json()["materials"]
    reservations = [r for m in materials for r in m["reservations"]]
    assert reservations
    assert all(r["location"] and r["lot"] for r in reservations)
    assert answer.headers["X-Request-ID"]


def test_stack_file_lists_the_urls_and_no_secret(demo: dict[str, Any]) -> None:
    stack_text = (Path(demo["workdir"]) / "var" / "stack.json").read_text()
    stack = json.loads(stack_text)
    assert stack["gateway"] == demo["url"]
    assert "secret" not in stack_text.lower()


def test_gateway_token_command_gives_a_working_token(demo: dict[str, Any]) -> None:
    printed = subprocess.run(
        [*GATEWAY, "token", "--role", "Reservations.Staff", "--owner", "PLANT-B"],
        cwd=demo["workdir"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {printed}"}
    plant_b = requests.get(
        demo["url"] + "/api/work-orders/WO-2001/reservations", headers=headers, timeout=30
    )
    plant_a = requests.get(
        demo["url"] + "/api/work-orders/WO-1001/reservations", headers=headers, timeout=30
    )
    assert plant_b.status_code == 200
    assert plant_a.status_code == 404


def test_unknown_work_order_and_missing_token(demo: dict[str, Any]) -> None:
    missing = requests.get(demo["url"] + "/api/work-orders/WO-1001/reservations", timeout=30)
    assert missing.status_code == 401
    assert missing.json()["code"] == "auth.unauthenticated"
    unknown = requests.get(
        demo["url"] + "/api/work-orders/WO-9999/reservations",
        headers={"Authorization": f"Bearer {demo['token']}"},
        timeout=30,
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "workorder.not_found"


def test_openapi_and_readiness(demo: dict[str, Any]) -> None:
    spec = requests.get(demo["url"] + "/openapi.json", timeout=30).json()
    assert "/api/work-orders/{work_order_id}/reservations" in spec["paths"]
    assert requests.get(demo["url"] + "/readyz", timeout=30).json()["status"] == "ready"


def test_a_change_reaches_the_demo_webhook_receiver_signed(demo: dict[str, Any]) -> None:
    stack = json.loads((Path(demo["workdir"]) / "var" / "stack.json").read_text())
    receiver = stack["webhookReceiver"]
    assert receiver.startswith("http://127.0.0.1:")
    headers = {"Authorization": f"Bearer {demo['token']}"}
    made = requests.post(demo["url"] + "/api/inventory/reservations", headers=headers, json={
        "itemSkuId": "RM-1002", "warehouseId": "W02", "quantity": 1, "type": "SALES",
        "source": {"type": "sales_order", "id": "SO-WEBHOOK-DEMO"}, "priority": 50,
    }, timeout=30)  # fmt: skip
    assert made.status_code == 201, made.text

    def arrived() -> bool:
        seen = requests.get(receiver, timeout=10).json()
        return any(e["verified"] and e["data"]["aggregateId"] == made.json()["id"] for e in seen)

    wait_for(arrived, "the reservation's event at the demo's webhook receiver", deadline=30)


def test_sigterm_stops_everything(demo: dict[str, Any]) -> None:
    stack = json.loads((Path(demo["workdir"]) / "var" / "stack.json").read_text())
    process = demo["proc"]
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    for url in (demo["url"] + "/healthz", stack["sandbox"]["workOrdersUrl"] + "/_sandbox/calls"):
        with pytest.raises(requests.ConnectionError):
            requests.get(url, timeout=5)
