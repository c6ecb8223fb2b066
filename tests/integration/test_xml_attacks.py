"""The XML attack corpus (tests/xml_attacks/) against the SOAP endpoint and from a hostile upstream.

Every attack is refused quickly (a fault or 413, within the client's timeout), no file content
or network fetch happens, and the process's memory stays flat.
"""

from __future__ import annotations

import gc
import gzip
import secrets
import uuid
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from gateway.domain.errors import UpstreamFault
from tests.live_server import serving
from tests.soap_helpers import PATH, basic, envelope, fault_of, headers

CORPUS = Path(__file__).parents[1] / "xml_attacks"
PASSWORD = "attack-test-password"
MiB = 1024 * 1024
# file → the SOAPAction it is sent with, the HTTP status, the code and why (a field error)
ATTACKS = {
    "xxe_local_file.xml": ("GetStockLevel", 500, "request.invalid", "DOCTYPE"),
    "xxe_http.xml": ("GetStockLevel", 500, "request.invalid", "DOCTYPE"),
    "external_dtd.xml": ("GetStockLevel", 500, "request.invalid", "DOCTYPE"),
    "billion_laughs.xml": ("GetStockLevel", 500, "request.invalid", "DOCTYPE"),
    "quadratic_blowup.xml": ("GetStockLevel", 500, "request.invalid", "DOCTYPE"),
    "huge_body.xml.gz": ("GetStockLevel", 413, "request.too_large", ""),
    "deep_nesting.xml": ("GetStockLevel", 500, "request.invalid", "nested deeper than 100"),
    "soapaction_mismatch.xml": ("GetStockLevel", 500, "request.invalid", "ReleaseReservation"),
}


class Canary:
    """A secret file and an HTTP server that no attack may read or reach."""

    def __init__(self, folder: Path, url: str) -> None:
        self.secret = f"CANARY-{secrets.token_hex(16)}"
        self.file = folder / "canary.txt"
        self.file.write_text(self.secret)
        self.url = url
        self.hits: list[str] = []

    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.hits.append(environ.get("PATH_INFO", ""))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [self.secret.encode()]


@pytest.fixture(scope="module")
def canary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canary]:
    found = Canary(tmp_path_factory.mktemp("canary"), "")
    with serving(found.app) as url:
        found.url = url
        yield found


@pytest.fixture(scope="module")
def corpus(canary: Canary, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each attack as a file ready to send, placeholders filled in, the big one unpacked."""
    folder = tmp_path_factory.mktemp("corpus")
    ready = {}
    for name in ATTACKS:
        raw = (CORPUS / name).read_bytes()
        text = gzip.decompress(raw) if name.endswith(".gz") else raw
        text = text.replace(b"{{CANARY_FILE}}", str(canary.file).encode())
        text = text.replace(b"{{CANARY_URL}}", canary.url.encode())
        ready[name] = folder / name.removesuffix(".gz")
        ready[name].write_bytes(text)
    return ready


@pytest.fixture(scope="module")
def attacked_app(
    gateway_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Flask:
    database = tmp_path_factory.mktemp("attacks") / "gateway.db"
    app = create_app({**gateway_settings, "DATABASE_URL": f"sqlite:///{database}"})
    client = new_client(
        "mes-attacked",
        frozenset({"Reservations.Staff"}),
        frozenset({"PLANT-A"}),
        PASSWORD,
        None,
        False,
        datetime.now(UTC),
    )
    app.extensions["gateway"].store.legacy_clients.add(client)
    return app


@pytest.fixture(scope="module")
def soap_url(attacked_app: Flask) -> Iterator[str]:
    with serving(attacked_app) as base:
        yield base + PATH


def send(url: str, attack: Path, action: str) -> requests.Response:
    with attack.open("rb") as body:  # streamed: the test's own memory stays out of the measure
        return requests.post(
            url, data=body, timeout=20, headers=headers(action, **basic("mes-attacked", PASSWORD))
        )


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_is_refused_with_its_code_and_leaks_nothing(
    name: str, soap_url: str, corpus: dict[str, Path], canary: Canary
) -> None:
    action, status, code, reason = ATTACKS[name]
    response = send(soap_url, corpus[name], action)
    assert response.status_code == status
    fault = fault_of(response.content)
    assert fault.code == code and fault.faultcode.endswith("Client")
    assert reason in " ".join(fault.errors.values())  # refused by the gate, before spyne
    assert canary.secret.encode() not in response.content
    assert canary.hits == []
    assert b"Traceback" not in response.content


def test_memory_stays_flat_under_the_whole_corpus(soap_url: str, corpus: dict[str, Path]) -> None:
    for name, (action, *_) in ATTACKS.items():  # warm-up: first-use allocations
        send(soap_url, corpus[name], action)
    gc.collect()
    before = memory("VmRSS")
    reset_peak_memory()
    for _ in range(3):
        for name, (action, status, *_) in ATTACKS.items():
            assert send(soap_url, corpus[name], action).status_code == status
    gc.collect()
    # Expanded, the billion laughs is gigabytes and the quadratic blow-up 200 MB; none of the
    # corpus may have been built in memory, at its peak or left behind.
    assert memory("VmHWM") - before < 48 * MiB
    assert memory("VmRSS") - before < 16 * MiB


def memory(field: str) -> int:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/self/status")


def reset_peak_memory() -> None:
    """Linux resets VmHWM to the current RSS on "5" (else the peak is since the start)."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


@pytest.mark.parametrize("name", list(ATTACKS))
def test_the_corpus_as_an_upstream_answer_is_an_upstream_fault(
    name: str, faults: Any, attacked_app: Flask, corpus: dict[str, Path], canary: Canary
) -> None:
    hostile = corpus[name].read_text()
    faults.inventory.knobs.update({"raw_answer": hostile, "operations": ["GetBalance"]})
    inventory = attacked_app.extensions["gateway"].adapters.inventory
    with pytest.raises(UpstreamFault) as refused:
        inventory.get_stock_level("RM-1002", "W02")
    assert canary.secret not in refused.value.detail
    response = attacked_app.test_client().post(
        PATH,
        data=envelope(
            "GetStockLevel", "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>"
        ),
        headers=headers("GetStockLevel", **basic("mes-attacked", PASSWORD)),
    )
    fault = fault_of(response.data)
    assert (fault.code, fault.faultcode) == ("upstream.fault", "soap11env:Server")
    assert canary.secret.encode() not in response.data and canary.hits == []


def test_an_ordinary_answer_still_passes_the_upstream_checks(
    faults: Any, attacked_app: Flask
) -> None:
    faults.inventory.knobs.reset()
    level = attacked_app.extensions["gateway"].adapters.inventory.get_stock_level("RM-1002", "W02")
    assert level.item_sku_id == "RM-1002" and uuid.uuid4()
