"""Legacy clients configured from nothing but the WSDL URL: zeep, suds and the npm `soap` package
against `gateway demo`, with a client registered by `gateway legacy-clients add`."""

from __future__ import annotations

import base64
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from cryptography.fernet import Fernet
from lxml import etree
from suds import WebFault
from suds.client import Client as SudsClient
from suds.wsse import Security
from suds.wsse import UsernameToken as SudsToken
from zeep.wsse.username import UsernameToken

from tests.e2e.test_demo_stack import GATEWAY, free_port, wait_for_token

ROOT = Path(__file__).parents[2]
NODE_CLIENT = Path(__file__).with_name("soap_client")
EXAMPLE = ROOT / "docs" / "examples" / "get-stock-level.xml"
GW = "urn:reservation-gateway:soap:v1"
PASSWORD = "e2e-legacy-password-1"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`gateway demo` with a master key (for PasswordDigest) and one legacy client."""
    workdir = tmp_path_factory.mktemp("soap-demo")
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "GATEWAY_MASTER_KEYS": Fernet.generate_key().decode(),
    }
    port = free_port()
    process = subprocess.Popen(
        [*GATEWAY, "demo", "--port", str(port)],
        cwd=workdir,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    output = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in output], daemon=True).start()
    try:
        wait_for_token(lines, process)
        name = "legacy-e2e"
        added = subprocess.run(
            [
                *GATEWAY,
                "legacy-clients",
                "add",
                name,
                "--role",
                "Reservations.Staff",
                "--owner",
                "PLANT-A",
                "--digest",
                "--password-stdin",
            ],
            cwd=workdir,
            env=env,
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert PASSWORD not in added.stdout + added.stderr
        yield {
            "wsdl": f"http://127.0.0.1:{port}/soap/gateway?wsdl",
            "user": name,
            "workdir": workdir,
            "env": env,
        }
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def new_source() -> str:
    return f"SO-{uuid.uuid4().hex[:10]}"


def reservation(source: str) -> dict[str, Any]:
    return {
        "itemSkuId": "RM-1002",
        "warehouseId": "W01",
        "quantity": Decimal("1.5"),
        "type": "SALES",
        "source": {"type": "sales_order", "id": source},
    }


def test_zeep_creates_lists_releases_and_gets_a_coded_fault(stack: dict[str, Any]) -> None:
    service = zeep.Client(
        stack["wsdl"], wsse=UsernameToken(stack["user"], PASSWORD, use_digest=True)
    ).service
    source = new_source()
    made = service.CreateReservation(reservation(source), reference=source)
    page = service.ListReservations(sourceType="sales_order", sourceId=source)
    assert [r.id for r in page["items"]["Reservation"]] == [made.id]
    assert service.ReleaseReservation(made.id).status == "RELEASED"
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.ReleaseReservation(made.id)
    code = fault.value.detail.findtext(f"{{{GW}}}GatewayFault/{{{GW}}}code")
    assert code == "inventory.reservation.already_released"


def suds_security(user: str) -> Security:
    """PasswordText with a fresh random nonce and Created: suds' own nonce repeats within a
    second, so a legacy suds client sets one per call."""
    token = SudsToken(user, PASSWORD)
    token.setnonce(base64.b64encode(os.urandom(16)).decode())
    token.setnonceencoding(True)
    token.setcreated(datetime.now(UTC))
    security = Security()
    security.tokens.append(token)
    return security


def test_suds_creates_lists_releases_and_gets_a_coded_fault(stack: dict[str, Any]) -> None:
    client = SudsClient(stack["wsdl"], cache=None)

    def call(operation: str, *arguments: Any, **named: Any) -> Any:
        client.set_options(wsse=suds_security(stack["user"]))
        return getattr(client.service, operation)(*arguments, **named)

    source = new_source()
    made = call("CreateReservation", reservation(source), reference=source)
    assert made.status == "OPEN" and made.ownerId == "PLANT-A"
    page = call("ListReservations", sourceType="sales_order", sourceId=source)
    assert [r.id for r in page["items"].Reservation] == [made.id]
    assert call("ReleaseReservation", made.id).status == "RELEASED"
    with pytest.raises(WebFault) as fault:
        call("ReleaseReservation", made.id)
    assert fault.value.fault.detail.GatewayFault.code == "inventory.reservation.already_released"


def test_the_npm_soap_package_creates_lists_releases_and_gets_a_coded_fault(
    stack: dict[str, Any],
) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed for the third SOAP client (the Makefile checks for it)"
    if not (NODE_CLIENT / "node_modules" / "soap").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=NODE_CLIENT,
            check=True,
            capture_output=True,
            timeout=300,
        )
    source = new_source()
    env = {
        **os.environ,
        "WSDL_URL": stack["wsdl"],
        "SOAP_USER": stack["user"],
        "SOAP_PASSWORD": PASSWORD,
        "SOURCE_ID": source,
    }
    ran = subprocess.run(
        [node, "client.js"], cwd=NODE_CLIENT, env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["created"]["status"] == "OPEN"
    assert Decimal(result["created"]["quantity"]) == Decimal("2.25")
    assert result["listed"] == [result["created"]["id"]]
    assert result["released"] == "RELEASED"
    assert result["fault"]["code"] == "inventory.reservation.already_released"
    assert result["fault"]["faultcode"].endswith("Client")


def test_the_readme_envelope_file_works_with_http_basic(stack: dict[str, Any]) -> None:
    url = stack["wsdl"].removesuffix("?wsdl")
    answer = requests.post(
        url,
        data=EXAMPLE.read_bytes(),
        auth=(stack["user"], PASSWORD),
        timeout=30,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"GetStockLevel"'},
    )
    assert answer.status_code == 200, answer.text
    root = etree.fromstring(answer.content)
    assert root.findtext(f".//{{{GW}}}itemSkuId") == "RM-1002"


def test_legacy_clients_list_shows_no_secret_and_disable_takes_effect(
    stack: dict[str, Any],
) -> None:
    def cli(*arguments: str) -> str:
        return subprocess.run(
            [*GATEWAY, "legacy-clients", *arguments],
            cwd=stack["workdir"],
            env=stack["env"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout

    printed = cli("add", "legacy-e2e-temp", "--role", "Reservations.Staff", "--owner", "PLANT-A")
    password = printed.split("store it now): ")[1].strip()
    service = zeep.Client(stack["wsdl"], wsse=UsernameToken("legacy-e2e-temp", password)).service
    assert service.GetStockLevel("RM-1002", "W01").itemSkuId == "RM-1002"
    listing = cli("list")
    assert "legacy-e2e-temp" in listing and password not in listing and "$argon2" not in listing
    cli("disable", "legacy-e2e-temp")
    with pytest.raises(zeep.exceptions.Fault):
        service.GetStockLevel("RM-1002", "W01")
