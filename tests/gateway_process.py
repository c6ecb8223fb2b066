"""A gateway as an operator starts it (`gateway serve`, one gunicorn worker) in a subprocess,
with what a test needs to watch it: its URL and its worker's resident memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

START_DEADLINE = 120.0
"""Generous: two test processes (pytest-xdist) on a busy two-core machine start servers slowly."""


@dataclass(frozen=True)
class GatewayProcess:
    url: str
    master: subprocess.Popen[bytes]

    @property
    def worker_pid(self) -> int:
        """The gunicorn worker that answers requests (the master's only child)."""
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children").read_text()
        pids = [int(pid) for pid in children.split()]
        assert len(pids) == 1, f"expected one worker, found {pids}"
        return pids[0]

    def memory(self, field: str) -> int:
        """The worker's resident memory now (VmRSS) or at its peak (VmHWM), in bytes."""
        status = Path(f"/proc/{self.worker_pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no {field} in the worker's status")

    def reset_peak_memory(self) -> None:
        """Linux resets VmHWM to the current RSS on "5"."""
        with suppress(OSError):
            Path(f"/proc/{self.worker_pid}/clear_refs").write_text("5")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], what: str, deadline: float = START_DEADLINE) -> None:
    """Poll ``condition`` until it holds, failing after ``deadline`` seconds."""
    until = time.monotonic() + deadline
    while not condition():
        assert time.monotonic() < until, f"timed out waiting for {what}"
        threading.Event().wait(0.05)


def answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=10).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not up yet, or the machine is busy
        return False


@contextmanager
def gateway_process(settings: Mapping[str, Any], workers: int = 1) -> Iterator[GatewayProcess]:
    """`gateway serve --workers N` with ``settings`` as GATEWAY_* variables, for the block."""
    env = {**os.environ, **{f"GATEWAY_{k}": str(v) for k, v in settings.items() if v is not None}}
    running = _started(env, workers)
    try:
        yield running
    finally:
        running.master.send_signal(signal.SIGTERM)
        running.master.wait(timeout=30)


class _Exited(Exception):
    """The server stopped before it answered (e.g. another test process took its port)."""


def _started(env: Mapping[str, str], workers: int, attempts: int = 3) -> GatewayProcess:
    """A server that answers; started again on another port when it exits first: a free port
    found here can be taken by another test process (pytest-xdist) before the server binds it."""
    for attempt in range(1, attempts + 1):
        try:
            return _start_once(env, workers)
        except _Exited:
            if attempt == attempts:
                raise
    raise AssertionError("no attempt was made")


def _start_once(env: Mapping[str, str], workers: int) -> GatewayProcess:
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "serve"]
    port = free_port()
    master = subprocess.Popen(
        [*command, "--workers", str(workers), "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    running = GatewayProcess(f"http://127.0.0.1:{port}", master)

    def up() -> bool:
        if master.poll() is not None:
            raise _Exited(f"exit code {master.returncode}")
        return answers(running.url)

    try:
        wait_for(up, f"{running.url} to start")
    except _Exited:
        raise
    except BaseException:
        master.kill()
        master.wait(timeout=30)
        raise
    return running
