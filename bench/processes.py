"""The bench's processes: the sandbox, the gateway under gunicorn and the load generators.

On 2 cores or more each is pinned with ``taskset``: sandbox and load generator share core 0,
the gateway and the direct clients (what replaces the gateway in a comparison) core 1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from bench.fixtures import PLANT, WAREHOUSE
from gateway.demo import GATEWAY_CLIENT_ID, gateway_settings

SANDBOX_CORE = 0
GATEWAY_CORE = 1
CLIENT_CORE = SANDBOX_CORE  # the load generator in front of the gateway
DIRECT_CORE = GATEWAY_CORE  # the direct client stands where the gateway stands
ROLES = ["Reservations.Staff", "Reservations.Manager"]
ROOT = Path(__file__).resolve().parents[1]


def pinning() -> bool:
    """Whether processes are pinned: taskset exists and there are two cores to pin to."""
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pinned(core: int, command: list[str]) -> list[str]:
    """``command`` run on ``core`` alone (unchanged when pinning is not possible)."""
    return ["taskset", "-c", str(core), *command] if pinning() else command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Sandbox:
    """``python -m sandbox serve`` in its own process, with its description and client secret."""

    describe: dict[str, Any]
    secret: str
    process: subprocess.Popen[str]

    def faults(self, upstream: str, **settings: Any) -> None:
        """Set knobs (``canned_answers``, ``latency_ms``) on ``inventory`` or ``workOrders``."""
        url = self.describe[f"{upstream}AdminUrl"] + "/faults"
        requests.put(url, json=settings, timeout=30).raise_for_status()

    def reset(self) -> None:
        for upstream in ("inventory", "workOrders"):
            admin = self.describe[f"{upstream}AdminUrl"]
            requests.delete(admin + "/faults", timeout=30).raise_for_status()

    def latency(self, milliseconds: int) -> None:
        for upstream in ("inventory", "workOrders"):
            self.faults(upstream, latency_ms=milliseconds)

    def token(self, audience: str | None = None, owners: tuple[str, ...] = (PLANT,)) -> str:
        """A bearer token from the sandbox's identity provider (the gateway's audience)."""
        answer = requests.post(
            self.describe["identityAdminUrl"] + "/tokens",
            json={"audience": audience or self.describe["gatewayAudience"], "roles": ROLES,
                  "owners": list(owners), "subject": "bench"},
            verify=self.describe["caBundle"], timeout=30,
        )  # fmt: skip
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token


@contextmanager
def sandbox_process(state_dir: Path, fixtures: Path) -> Iterator[Sandbox]:
    """The sandbox on core 0, until the block ends."""
    secret = secrets.token_urlsafe(24)
    command = [sys.executable, "-m", "sandbox", "serve", "--state-dir", str(state_dir / "sandbox"),
               "--fixtures", str(fixtures)]  # fmt: skip
    env = {**os.environ, "SANDBOX_CLIENTS": json.dumps({GATEWAY_CLIENT_ID: [secret]})}
    process = subprocess.Popen(
        pinned(SANDBOX_CORE, command), stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox did not start (exit code {process.wait()})")
        yield Sandbox(json.loads(line), secret, process)
    finally:
        _stop(process)


def gateway_config(sandbox: Sandbox, state_dir: Path) -> dict[str, Any]:
    """Settings for a gateway in front of this sandbox, with its own database."""
    return {
        **gateway_settings(sandbox.describe, sandbox.secret),
        "DATABASE_URL": f"sqlite:///{state_dir / 'gateway.db'}",
        "MASTER_KEYS": Fernet.generate_key().decode(),
        "WORKORDER_WAREHOUSES": {PLANT: WAREHOUSE},
    }


def gateway_environment(sandbox: Sandbox, state_dir: Path) -> dict[str, str]:
    """The same settings as GATEWAY_* variables, as ``gateway serve`` reads them."""
    return {
        f"GATEWAY_{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in gateway_config(sandbox, state_dir).items()
    }


@contextmanager
def gateway_process(sandbox: Sandbox, state_dir: Path, threads: int = 8) -> Iterator[str]:
    """``gateway serve`` (gunicorn gthread, one worker: one core) on core 1; yields its URL."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gateway")), "serve", "--port", str(port),
               "--workers", "1"]  # fmt: skip
    env = {**os.environ, **gateway_environment(sandbox, state_dir)}
    log = (state_dir / "gateway.log").open("w")
    process = subprocess.Popen(
        pinned(GATEWAY_CORE, command), env=env, stdout=log, stderr=log, cwd=state_dir, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url + "/readyz", process, state_dir / "gateway.log")
        yield url
    finally:
        _stop(process)
        log.close()


def _wait_ready(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited ({process.returncode}):\n{log.read_text()}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the gateway was not ready within 60 s:\n{log.read_text()}")


def run_load(core: int, job: dict[str, Any]) -> dict[str, Any]:
    """``python -m bench.loadgen`` on ``core`` with this job; its JSON answer."""
    done = subprocess.run(
        pinned(core, [sys.executable, "-m", "bench.loadgen"]),
        input=json.dumps(job), capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the load generator failed: {done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
