"""`gateway serve` with two workers: /metrics reports the whole server, whichever worker answers
the scrape (prometheus_client's multiprocess mode), and the metrics directory it made is gone
when it stops."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.gateway_process import GatewayProcess, gateway_process, wait_for

TIMEOUT = 30


def workers_of(gateway: GatewayProcess) -> list[int]:
    pid = gateway.master.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children]


def metrics_directory_of(gateway: GatewayProcess) -> Path:
    environ = Path(f"/proc/{gateway.master.pid}/environ").read_bytes().split(b"\0")
    (entry,) = [e for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR=")]
    return Path(entry.split(b"=", 1)[1].decode())


@contextmanager
def only_answering(answering: int, stopped: int) -> Iterator[None]:
    """The other worker stopped, so every new connection is accepted by ``answering``."""
    os.kill(stopped, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(stopped, signal.SIGCONT)


def healthz_count(gateway: GatewayProcess) -> float:
    text = requests.get(gateway.url + "/metrics", timeout=TIMEOUT).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "gateway_request_seconds_count"
                and sample.labels.get("route") == "/healthz"
            ):
                return sample.value
    return 0.0


def call_healthz(gateway: GatewayProcess, times: int) -> None:
    for _ in range(times):  # a new connection each, so the kernel hands it to a worker
        assert requests.get(gateway.url + "/healthz", timeout=TIMEOUT).status_code == 200


@pytest.fixture
def gateway(gateway_settings: dict[str, Any], tmp_path: Path) -> Iterator[GatewayProcess]:
    settings = {**gateway_settings, "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}"}
    with gateway_process(settings, workers=2) as running:
        wait_for(lambda: len(workers_of(running)) == 2, "both workers to start")
        yield running


def test_every_scrape_counts_every_worker_s_requests(gateway: GatewayProcess) -> None:
    first, second = workers_of(gateway)
    before = healthz_count(gateway)  # the start-up wait asked /healthz too
    with only_answering(first, stopped=second):
        call_healthz(gateway, 3)
    with only_answering(second, stopped=first):
        call_healthz(gateway, 4)
        seen_by_second = healthz_count(gateway)
    with only_answering(first, stopped=second):
        seen_by_first = healthz_count(gateway)

    assert seen_by_first == seen_by_second == before + 7


def test_the_metrics_directory_the_server_made_is_removed_when_it_stops(
    gateway_settings: dict[str, Any], tmp_path: Path
) -> None:
    settings = {**gateway_settings, "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}"}
    with gateway_process(settings, workers=2) as running:
        directory = metrics_directory_of(running)
        assert directory.is_dir()
        wait_for(lambda: any(directory.glob("*.db")), "a worker to write its values")
    assert not directory.exists()
