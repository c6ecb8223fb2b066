"""Headers and request lines over gunicorn's limits get problem+json like every other refusal
(issue 16.4), from a gateway as `gateway serve` runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.gateway_process import GatewayProcess, gateway_process


@pytest.fixture(scope="module")
def gateway(
    gateway_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    database = tmp_path_factory.mktemp("headers") / "gateway.db"
    with gateway_process({**gateway_settings, "DATABASE_URL": f"sqlite:///{database}"}) as running:
        yield running


def problem(response: requests.Response) -> tuple[int, str, str]:
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code and body["correlationId"]
    return response.status_code, body["code"], body["type"]


@pytest.mark.parametrize(
    "headers",
    [{"X-Big": "x" * 10_000}, {f"X-Many-{n}": "1" for n in range(150)}],
    ids=["one-field-of-10-kb", "150-fields"],
)
def test_oversized_headers_are_431_problem_json(
    gateway: GatewayProcess, headers: dict[str, str]
) -> None:
    response = requests.get(f"{gateway.url}/healthz", headers=headers, timeout=30)
    code = "request.headers_too_large"
    assert problem(response) == (431, code, f"urn:reservation-gateway:problem:{code}")


def test_an_oversized_request_line_is_414_problem_json(gateway: GatewayProcess) -> None:
    response = requests.get(f"{gateway.url}/api/inventory/items/{'A' * 5000}", timeout=30)
    assert problem(response)[:2] == (414, "request.uri_too_long")


def test_headers_within_the_limits_still_reach_the_gateway(gateway: GatewayProcess) -> None:
    response = requests.get(f"{gateway.url}/healthz", headers={"X-Big": "x" * 4000}, timeout=30)
    assert response.status_code == 200
