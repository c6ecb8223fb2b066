"""The SOAP endpoint's HTTP as foreign toolkits see it on a real socket, against the sandbox
(issue 12.2–12.5): a client that sends Basic only when challenged, HEAD and If-None-Match on
the WSDL, a SOAP 1.2 envelope."""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from tests.live_server import serving
from tests.soap_helpers import GW, NS, PATH, basic, envelope, fault_of, headers, result_of

PASSWORD = "wire-test-password-1"
STOCK = "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
AUTH = basic("mes-wire", PASSWORD)


@pytest.fixture(scope="module")
def soap_url(
    gateway_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('wire') / 'gateway.db'}"
    app = create_app({**gateway_settings, "DATABASE_URL": url})
    roles, owners = frozenset({"Reservations.Staff"}), frozenset({"PLANT-A"})
    client = new_client("mes-wire", roles, owners, PASSWORD, None, False, datetime.now(UTC))
    app.extensions["gateway"].store.legacy_clients.add(client)
    with serving(app) as base:
        yield base + PATH


def connection(soap_url: str) -> http.client.HTTPConnection:
    parts = urlsplit(soap_url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=20)


def test_a_client_that_sends_basic_only_when_challenged_gets_the_stock_level(
    soap_url: str,
) -> None:
    """urllib's HTTPBasicAuthHandler, like Perl's LWP, answers a 401 challenge for its realm."""
    passwords = urllib.request.HTTPPasswordMgr()
    passwords.add_password("reservation-gateway", soap_url, "mes-wire", PASSWORD)
    challenged = urllib.request.build_opener(urllib.request.HTTPBasicAuthHandler(passwords))
    request = urllib.request.Request(
        soap_url, data=envelope("GetStockLevel", STOCK), headers=headers("GetStockLevel")
    )
    with pytest.raises(urllib.error.HTTPError) as refused:  # without the handler: the challenge
        urllib.request.urlopen(request, timeout=20)
    assert refused.value.code == 401
    assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="reservation-gateway"'
    assert fault_of(refused.value.read()).code == "auth.unauthenticated"
    with challenged.open(request, timeout=20) as answer:
        level = result_of(answer.read(), "GetStockLevel")
    assert level.findtext("g:itemSkuId", namespaces=NS) == "RM-1002"


def test_soap_lites_default_soap_action_is_served(soap_url: str) -> None:
    with urllib.request.urlopen(
        urllib.request.Request(
            soap_url,
            data=envelope("GetStockLevel", STOCK),
            headers={
                **headers("GetStockLevel"),
                "SOAPAction": f'"{GW}#GetStockLevel"',
                **AUTH,
            },
        ),
        timeout=20,
    ) as answer:
        assert answer.status == 200


def test_head_of_the_wsdl_has_the_etag_and_length_of_get_and_no_body(soap_url: str) -> None:
    wire = connection(soap_url)
    wire.request("GET", PATH + "?wsdl")
    got = wire.getresponse()
    body = got.read()
    wire.request("HEAD", PATH + "?wsdl")
    head = wire.getresponse()
    assert head.status == 200 and head.read() == b""
    assert head.getheader("ETag") == got.getheader("ETag") is not None
    assert head.getheader("Content-Length") == str(len(body))
    wire.request("GET", PATH + "?wsdl", headers={"If-None-Match": got.getheader("ETag")})
    cached = wire.getresponse()
    assert (cached.status, cached.read()) == (304, b"")
    wire.request("GET", PATH + "?wsdl")  # the connection is still usable after HEAD and 304
    assert wire.getresponse().read() == body
    wire.close()


def test_a_soap_12_envelope_gets_a_version_mismatch_fault(soap_url: str) -> None:
    body = (
        f'<env:Envelope xmlns:env="{SOAP12_ENV}" xmlns:g="{GW}"><env:Body>'
        f"<g:GetStockLevel>{STOCK}</g:GetStockLevel></env:Body></env:Envelope>"
    ).encode()
    wire = connection(soap_url)
    content_type = 'application/soap+xml; charset=utf-8; action="GetStockLevel"'
    wire.request("POST", PATH, body, {"Content-Type": content_type, **AUTH})
    answer = wire.getresponse()
    fault = fault_of(answer.read())
    wire.close()
    assert answer.status == 500
    assert (fault.faultcode, fault.code) == ("soap11env:VersionMismatch", "request.invalid")
