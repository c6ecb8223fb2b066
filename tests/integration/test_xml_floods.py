"""Element and attribute floods against a gateway process (issue 16.6): each is refused while
the envelope is read, with or without credentials, and the worker's memory (RSS, measured in
/proc) stays within a small multiple of the body limit, also with four floods at once."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from gateway.auth.legacy_clients import new_client
from gateway.store.gateway_store import GatewayStore
from tests.gateway_process import GatewayProcess, gateway_process
from tests.soap_helpers import PATH, basic, envelope, fault_of, headers

PASSWORD = "flood-test-password"
MiB = 1024 * 1024
BODY_LIMIT = 2 * MiB
STOCK = "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>"


def _attributes(count: int) -> str:
    return " ".join(f'a{i}=""' for i in range(count))


def _namespaces(count: int) -> str:
    return " ".join(f'xmlns:p{i}="u:{i}"' for i in range(count))


# name → (envelope, what the refusal names); each under the body limit
FLOODS = {
    "100k attributes on one element": (
        envelope("GetStockLevel", STOCK, f"<x {_attributes(100_000)}/>"),
        "a start tag is longer than 8192 bytes",
    ),
    "a body-sized element of attributes": (
        envelope("GetStockLevel", STOCK, f"<x {_attributes(180_000)}/>"),
        "a start tag is longer than 8192 bytes",
    ),
    "80k namespace declarations": (
        envelope("GetStockLevel", STOCK, f"<x {_namespaces(80_000)}/>"),
        "a start tag is longer than 8192 bytes",
    ),
    "400k empty header elements": (
        envelope("GetStockLevel", STOCK, "<x/>" * 400_000),
        "more than 10000 elements",
    ),
    "attributes spread over elements": (
        envelope("GetStockLevel", STOCK, f"<x {_attributes(30)}/>" * 9_000),
        "more than 10000 attributes",
    ),
}


@pytest.fixture(scope="module")
def gateway(
    gateway_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    url = f"sqlite:///{tmp_path_factory.mktemp('floods') / 'gateway.db'}"
    client = new_client(
        "mes-flooded", frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"}),
        PASSWORD, None, False, datetime.now(UTC),
    )  # fmt: skip
    GatewayStore.open(url).legacy_clients.add(client)
    with gateway_process({**gateway_settings, "DATABASE_URL": url}) as running:
        yield running


def send(gateway: GatewayProcess, body: bytes, credentials: bool | int) -> requests.Response:
    auth = basic("mes-flooded", PASSWORD) if credentials else {}
    return requests.post(
        gateway.url + PATH, data=body, headers=headers("GetStockLevel", **auth), timeout=30
    )


def test_the_floods_are_under_the_body_limit() -> None:
    assert all(len(body) < BODY_LIMIT for body, _ in FLOODS.values())


@pytest.mark.parametrize("credentials", [True, False], ids=["with", "without credentials"])
@pytest.mark.parametrize("name", list(FLOODS))
def test_each_flood_is_refused_as_it_is_read(
    gateway: GatewayProcess, name: str, credentials: bool
) -> None:
    body, reason = FLOODS[name]
    response = send(gateway, body, credentials)
    assert response.status_code == 500
    fault = fault_of(response.content)
    assert fault.code == "request.invalid" and fault.faultcode.endswith("Client")
    assert reason in " ".join(fault.errors.values())


def test_an_ordinary_envelope_still_passes(gateway: GatewayProcess) -> None:
    response = send(gateway, envelope("GetStockLevel", STOCK), credentials=True)
    assert response.status_code == 200, response.content[:300]


def test_the_worker_memory_stays_within_a_small_multiple_of_the_body_limit(
    gateway: GatewayProcess,
) -> None:
    calls = [(body, credentials) for body, _ in FLOODS.values() for credentials in (1, 0)]
    with ThreadPoolExecutor(4) as pool:  # four at once, as in the issue (+435 MiB before)
        flood(pool, gateway, calls)  # warm-up: first-use allocations, one arena per thread
        before = gateway.memory("VmRSS")
        gateway.reset_peak_memory()
        flood(pool, gateway, calls * 2)
    peak = gateway.memory("VmHWM") - before
    # four bodies in flight, each costing at most four times its size (read, joined, parsed)
    assert peak < 4 * 4 * BODY_LIMIT, f"the worker grew {peak / MiB:.1f} MiB at its peak"
    # what stays is allocator slack (a malloc arena per server thread), not the floods
    assert gateway.memory("VmRSS") - before < 8 * BODY_LIMIT


def flood(
    pool: ThreadPoolExecutor, gateway: GatewayProcess, calls: list[tuple[bytes, int]]
) -> None:
    answers = list(pool.map(lambda call: send(gateway, *call), calls))
    assert {answer.status_code for answer in answers} == {500}


def test_a_chunked_body_past_the_limit_is_413_however_it_arrives(gateway: GatewayProcess) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked, 10 MiB
        yield envelope("GetStockLevel", STOCK)[: -len(b"</soapenv:Envelope>")]
        for _ in range(160):
            yield b"<!--" + b"x" * 65536 + b"-->"

    response = requests.post(
        gateway.url + PATH, data=chunks(), headers=headers("GetStockLevel"), timeout=60
    )
    assert response.status_code == 413
    assert fault_of(response.content).code == "request.too_large"
