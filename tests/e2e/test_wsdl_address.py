"""A running gateway's WSDL names its public URL, whatever Host header a caller sends (16.9)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.gateway_process import GatewayProcess, gateway_process
from tests.soap_helpers import PATH

PUBLIC = "https://gateway.plant-a.example"


@pytest.fixture(scope="module", params=["bind address", "public url"])
def served(
    request: pytest.FixtureRequest,
    gateway_settings: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[GatewayProcess, str | None]]:
    public = PUBLIC if request.param == "public url" else None
    database = f"sqlite:///{tmp_path_factory.mktemp('wsdl') / 'gateway.db'}"
    settings = {**gateway_settings, "DATABASE_URL": database, "PUBLIC_URL": public or ""}
    with gateway_process(settings) as running:
        yield running, public


def test_the_host_header_never_reaches_the_wsdl(served: tuple[GatewayProcess, str | None]) -> None:
    gateway, public = served
    wsdl = requests.get(gateway.url + PATH + "?wsdl", headers={"Host": "evil.example"}, timeout=30)
    assert wsdl.status_code == 200
    assert b"evil.example" not in wsdl.content
    expected = (public or gateway.url) + PATH
    assert f'location="{expected}"'.encode() in wsdl.content
