"""docs/runbook-credentials.md on `gateway demo`: every rotation from the CLI and the admin API,
with requests going through all along and no secret in the demo's output."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.http_session import make_session
from tests.e2e.test_demo_stack import GATEWAY, free_port, wait_for_token
from tests.integration.credential_helpers import STOCK, certificate_pem


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("runbook")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    process = subprocess.Popen(
        [*GATEWAY, "demo", "--port", str(port)],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    output = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()
    wait_for_token(lines, process)
    sandbox = json.loads((workdir / "var" / "stack.json").read_text())["sandbox"]
    cli_env = {**env, "GATEWAY_CONFIG_FILE": str(workdir / "var" / "demo.toml")}
    yield {"url": f"http://127.0.0.1:{port}", "workdir": workdir, "env": cli_env,
           "sandbox": sandbox, "lines": lines}  # fmt: skip
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def gateway(stack: dict[str, Any], *arguments: str, stdin: str = "") -> str:
    """Run the admin CLI as the runbook does; its output (fails the test if it fails)."""
    done = subprocess.run(
        [*GATEWAY, *arguments], cwd=stack["workdir"], env=stack["env"], input=stdin,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


class Idp:
    """The sandbox identity provider's admin API for the gateway's app registration."""

    def __init__(self, stack: dict[str, Any]) -> None:
        self.session = make_session(str(Path(stack["workdir"]) / stack["sandbox"]["caBundle"]))
        self.app = stack["sandbox"]["identityAdminUrl"] + "/clients/reservation-gateway"

    def new_secret(self) -> str:
        secret: str = self.session.post(self.app + "/secrets", json={}, timeout=10).json()[
            "secretText"
        ]
        return secret

    def remove(self, fingerprint: str) -> None:
        listed = self.session.get(self.app, timeout=10).json()["secrets"]
        key_id = next(s["keyId"] for s in listed if s["fingerprint"] == fingerprint)
        assert self.session.delete(f"{self.app}/keys/{key_id}", timeout=10).status_code == 204


def test_the_runbook_rotates_everything_on_the_demo_with_no_failed_request(
    stack: dict[str, Any],
) -> None:
    url, idp = stack["url"], Idp(stack)
    admin = {
        "Authorization": "Bearer " + gateway(stack, "token", "--role", "Gateway.Admin").strip()
    }
    staff = {"Authorization": "Bearer " + gateway(stack, "token").strip()}
    statuses: list[int] = []

    def traffic() -> None:
        statuses.append(requests.get(url + STOCK, headers=staff, timeout=30).status_code)
        statuses.append(requests.get(url + "/api/work-orders/WO-1001/reservations",
                                     headers=staff, timeout=30).status_code)  # fmt: skip

    old = requests.get(url + "/admin/credentials", headers=admin, timeout=30).json()
    old_fingerprint = old["credentials"][0]["fingerprint"]

    # 1. inventory: a new secret from the CLI
    fresh = idp.new_secret()
    rotated = gateway(stack, "credentials", "rotate", "inventory", "--secret-stdin", stdin=fresh)
    traffic()
    retired = gateway(stack, "credentials", "retire", "inventory")
    # 2. workorders: a certificate over REST
    key, certificate = certificate_pem("reservation-gateway")
    idp.session.post(idp.app + "/certificates", data=certificate, timeout=10)
    to_certificate = requests.post(url + "/admin/credentials/workorders/rotate", headers=admin,
                                   json={"certificate": key + certificate}, timeout=30)  # fmt: skip
    traffic()
    requests.post(url + "/admin/credentials/workorders/retire", headers=admin, timeout=30)
    # 3. the old secret goes at the provider
    idp.remove(old_fingerprint)
    traffic()
    # 4. a legacy client's password, over REST; grace ended from the CLI
    gateway(stack, "legacy-clients", "add", "mes-line-1", "--role", "Reservations.Staff",
            "--owner", "PLANT-A", "--password-stdin",
            stdin="first-password-of-mes-line-1")  # fmt: skip
    legacy = requests.post(url + "/admin/credentials/legacy:mes-line-1/rotate", headers=admin,
                           json={}, timeout=30).json()  # fmt: skip
    inside = soap_status(url, "first-password-of-mes-line-1")
    gateway(stack, "credentials", "retire", "legacy:mes-line-1")
    after = soap_status(url, "first-password-of-mes-line-1"), soap_status(url, legacy["password"])
    # 5. the master key: rotated from the CLI, the old one retired over REST
    resealed = gateway(stack, "credentials", "rotate-master-key")
    traffic()
    retired_key = requests.post(url + "/admin/credentials/master-key/retire", headers=admin,
                                timeout=30)  # fmt: skip
    traffic()

    assert "version 2" in rotated and "retired inventory version 1" in retired
    assert to_certificate.status_code == 200, to_certificate.text
    assert inside == 200 and after == (500, 200)
    # every value sealed on the demo by then, the demo webhook receiver's signing secret among them
    assert "re-sealed 3 stored value(s)" in resealed
    assert retired_key.status_code == 200, retired_key.text
    assert set(statuses) == {200}
    assert requests.get(url + "/readyz", timeout=30).json()["status"] == "ready"
    printed = drained(stack["lines"])
    for secret in (fresh, key, "first-password-of-mes-line-1", legacy["password"]):
        assert secret not in printed


def soap_status(url: str, password: str) -> int:
    body = (Path(__file__).parents[2] / "docs" / "examples" / "get-stock-level.xml").read_bytes()
    answer = requests.post(
        url + "/soap/gateway",
        data=body,
        auth=("mes-line-1", password),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetStockLevel"'},
        timeout=30,
    )
    return answer.status_code


def drained(lines: queue.Queue[str]) -> str:
    printed: list[str] = []
    while not lines.empty():
        printed.append(lines.get_nowait())
    return "".join(printed)
