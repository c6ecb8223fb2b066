"""Failed legacy logins are throttled across gateway processes (issue 16.7): two `gateway serve`
processes share the count in PostgreSQL, or in Redis when GATEWAY_RATE_LIMIT_URL names one;
and however many wrong passwords arrive at once, argon2 holds at most its cap in memory."""

from __future__ import annotations

import http.client
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.auth.legacy_clients import new_client
from gateway.store.gateway_store import GatewayStore
from tests.gateway_process import GatewayProcess, gateway_process
from tests.redis_server import redis_url
from tests.soap_helpers import PATH, basic, envelope, fault_of, headers

PASSWORD = "throttle-test-password"
PER_CLIENT, PER_ADDRESS, WINDOW = 4, 6, 300
MiB = 1024 * 1024
STOCK = envelope(
    "GetStockLevel", "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>"
)


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    code: str | None


def call(gateway: GatewayProcess, name: str, password: str, source: str) -> Answer:
    """A SOAP call from ``source`` (any 127.x.y.z: all of loopback is this machine)."""
    address = urlsplit(gateway.url)
    connection = http.client.HTTPConnection(
        address.hostname, address.port, timeout=60, source_address=(source, 0)
    )
    try:
        connection.request("POST", PATH, STOCK, headers("GetStockLevel", **basic(name, password)))
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    code = fault_of(body).code if response.status != 200 else None
    return Answer(response.status, response.getheader("Retry-After"), code)


def fresh_address() -> str:
    """A loopback address of its own per test, so counts from other tests and runs stay apart."""
    return "127.{}.{}.{}".format(*(random.randint(1, 254) for _ in range(3)))


def add_client(database_url: str) -> str:
    name = f"mes-{uuid.uuid4().hex[:10]}"
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    client = new_client(name, roles, owners, PASSWORD, None, False, datetime.now(UTC))
    GatewayStore.open(database_url).legacy_clients.add(client)
    return name


@pytest.fixture(scope="module", params=["postgresql", "redis"])
def gateways(
    request: pytest.FixtureRequest, gateway_settings: dict[str, Any], postgres_url: str
) -> Iterator[list[GatewayProcess]]:
    counted_in = redis_url() if request.param == "redis" else ""  # "": the database
    settings = {
        **gateway_settings,
        "DATABASE_URL": postgres_url,
        "RATE_LIMIT_URL": counted_in,
        "LOGIN_MAX_FAILURES_PER_CLIENT": PER_CLIENT,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": PER_ADDRESS,
        "LOGIN_FAILURE_WINDOW_SECONDS": WINDOW,
    }
    with ExitStack() as stack:
        yield [stack.enter_context(gateway_process(settings)) for _ in range(2)]


def test_a_client_failing_on_both_processes_is_throttled_on_both(
    gateways: list[GatewayProcess], postgres_url: str
) -> None:
    name = add_client(postgres_url)
    for attempt in range(PER_CLIENT):  # alternately, each from an address of its own
        answer = call(gateways[attempt % 2], name, "wrong-password-1", fresh_address())
        assert (answer.status, answer.code) == (500, "auth.unauthenticated")
    for gateway in gateways:
        throttled = call(gateway, name, PASSWORD, fresh_address())  # even the right password
        assert (throttled.status, throttled.code) == (429, "auth.throttled")
        assert throttled.retry_after is not None and 1 <= int(throttled.retry_after) <= WINDOW


def test_an_address_failing_on_both_processes_is_throttled_on_both(
    gateways: list[GatewayProcess], postgres_url: str
) -> None:
    name, source = add_client(postgres_url), fresh_address()
    for attempt in range(PER_ADDRESS):  # another unknown name every time
        answer = call(gateways[attempt % 2], f"guess-{uuid.uuid4().hex[:8]}", "wrong", source)
        assert (answer.status, answer.code) == (500, "auth.unauthenticated")
    for gateway in gateways:
        throttled = call(gateway, name, PASSWORD, source)
        assert (throttled.status, throttled.code) == (429, "auth.throttled")
        assert throttled.retry_after is not None
    assert call(gateways[0], name, PASSWORD, fresh_address()).status == 200


CAP, AT_ONCE = 2, 6
ARGON2_MEMORY = 64 * MiB


@pytest.fixture(scope="module")
def capped(
    gateway_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[GatewayProcess, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('capped') / 'gateway.db'}"
    name = add_client(url)
    settings = {
        **gateway_settings,
        "DATABASE_URL": url,
        "RATE_LIMIT_URL": "",
        "ARGON2_MAX_CONCURRENT": CAP,
        "ARGON2_WAIT_SECONDS": 120,  # every attempt gets its turn: only memory is measured
        "LOGIN_MAX_FAILURES_PER_CLIENT": 1000,
        "LOGIN_MAX_FAILURES_PER_ADDRESS": 1000,
    }
    with gateway_process(settings) as running:
        yield running, name


def test_concurrent_wrong_passwords_hold_no_more_than_the_cap_of_argon2_memory(
    capped: tuple[GatewayProcess, str],
) -> None:
    gateway, name = capped
    source = fresh_address()
    assert call(gateway, name, "wrong-password-0", source).code == "auth.unauthenticated"
    before = gateway.memory("VmRSS")
    gateway.reset_peak_memory()
    with ThreadPoolExecutor(AT_ONCE) as pool:
        wrong = [f"wrong-password-{index}" for index in range(1, AT_ONCE + 1)]
        answers = list(pool.map(lambda password: call(gateway, name, password, source), wrong))
    assert {answer.code for answer in answers} == {"auth.unauthenticated"}
    peak = gateway.memory("VmHWM") - before
    # uncapped, six at once would hold 384 MiB; capped, two hashes' worth and some slack
    assert peak < CAP * ARGON2_MEMORY + 24 * MiB, f"the worker grew {peak / MiB:.0f} MiB"
