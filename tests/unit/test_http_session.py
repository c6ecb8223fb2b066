"""Upstream sessions read the environment once, when built, and never per call (no sockets)."""

from __future__ import annotations

import os
from collections.abc import Iterator, MutableMapping

import pytest
import requests
import responses

from adapters.http_session import StartupEnvironment, make_session

URL = "https://erp.example.test/api/v1/recipes/R-1"


class CountingEnviron(MutableMapping[str, str]):
    """os.environ, counting every read."""

    def __init__(self, real: MutableMapping[str, str]) -> None:
        self.real, self.reads = real, 0

    def __getitem__(self, key: str) -> str:
        self.reads += 1
        return self.real[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.real[key] = value

    def __delitem__(self, key: str) -> None:
        del self.real[key]

    def __iter__(self) -> Iterator[str]:
        self.reads += 1
        return iter(self.real)

    def __len__(self) -> int:
        return len(self.real)

    def copy(self) -> dict[str, str]:
        self.reads += 1
        return dict(self.real)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL, json={"name": "R-1"})
        yield rsps


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> CountingEnviron:
    environ = CountingEnviron(os.environ)
    monkeypatch.setattr(os, "environ", environ)
    return environ


def test_a_built_session_reads_no_environment_per_call(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = make_session()
    environ = CountingEnviron(os.environ)
    monkeypatch.setattr(os, "environ", environ)

    session.get(URL, timeout=1)
    session.get(URL, timeout=1)

    assert environ.reads == 0


def test_a_plain_session_reads_the_environment_on_every_call(
    mocked: responses.RequestsMock, counted: CountingEnviron
) -> None:
    requests.Session().get(URL, timeout=1)  # the control: the counter does see reads

    assert counted.reads > 0


def test_proxy_variables_changed_after_building_have_no_effect(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    session = make_session()
    trusted_at_start = session.verify
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")

    answer = session.get(URL, timeout=1)

    assert answer.json() == {"name": "R-1"}
    assert mocked.calls[0].request.req_kwargs["proxies"] == {}
    assert mocked.calls[0].request.req_kwargs["verify"] == trusted_at_start != "/nonexistent/ca.pem"


def test_proxies_set_at_start_are_honoured(
    mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    session = make_session()
    monkeypatch.delenv("HTTPS_PROXY")

    session.get(URL, timeout=1)

    assert mocked.calls[0].request.req_kwargs["proxies"]["https"] == (
        "http://proxy.example.test:3128"
    )


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("erp.example.test", "https://erp.example.test/x", True),
        (".example.test", "https://erp.example.test/x", True),
        ("example.test", "https://erp.example.test:8443/x", True),
        ("other.test", "https://erp.example.test/x", False),
        ("10.0.0.0/8", "http://10.1.2.3:8001/soap", True),
        ("10.0.0.0/8", "http://192.168.1.3/soap", False),
        ("*", "http://anything.test/", True),
        ("", "http://anything.test/", False),
    ],
)
def test_no_proxy_read_at_start_decides_per_host(no_proxy: str, url: str, bypassed: bool) -> None:
    environment = StartupEnvironment({"http": "http://p:1", "https": "http://p:1"}, no_proxy)

    assert (environment.proxies_for(url) == {}) is bypassed


def test_a_ca_bundle_in_the_environment_at_start_is_the_default_trust(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corporate/ca.pem")

    assert make_session().verify == "/etc/corporate/ca.pem"


def test_a_pinned_bundle_is_not_overridden_by_one_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corporate/ca.pem")
    session = make_session("/etc/gateway/idp-ca.pem")

    assert session.verify == "/etc/gateway/idp-ca.pem"
    assert session.get_adapter("https://idp.test/")._ca_bundle == "/etc/gateway/idp-ca.pem"  # type: ignore[attr-defined]
