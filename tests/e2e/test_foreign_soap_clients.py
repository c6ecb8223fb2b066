"""Legacy clients from other ecosystems against `gateway demo` (issue 12): PHP's SoapClient,
Perl's SOAP::Lite, a gSOAP C++ client and a JAX-WS Java client, each calling every operation of
the served WSDL with HTTP Basic, a PasswordText and a PasswordDigest UsernameToken, and reading
a fault's code. The gSOAP and JAX-WS clients are generated from the served WSDL's URL per run.

The toolkits are Debian packages (`make interop-deps` installs them; `make test` depends on it).
Run outside `make`, a missing one skips its tests with the reason; under CI=true it fails them.
The scripts are tests/interop/*/client.*; docs/soap-clients.md quotes them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import test_soap_clients as soap_e2e

INTEROP = Path(__file__).parents[1] / "interop"
AUTHS = ["basic", "text", "digest"]
CLIENT_SECONDS = 90  # a run takes a few seconds; the rest is headroom on a busy machine
BUILD_SECONDS = 300  # g++ of gSOAP's code: about 17 s on an idle 2-core machine; javac 7 s
INSTALL = "make interop-deps (apt-get install php-cli php-soap libsoap-lite-perl gsoap jaxws ...)"

stack = soap_e2e.stack  # the same `gateway demo` and legacy client (with a digest secret)


def _works(command: list[str]) -> bool:
    if shutil.which(command[0]) is None:
        return False
    try:
        return subprocess.run(command, capture_output=True, timeout=60).returncode == 0
    except subprocess.TimeoutExpired:
        return False


PROBES: dict[str, list[str]] = {
    "php": ["php", "-r", "exit(class_exists('SoapClient') ? 0 : 1);"],
    "perl": ["perl", "-MSOAP::Lite", "-MJSON::PP", "-MDigest::SHA", "-MURI", "-e", "1"],
    "gsoap": ["sh", "-c", "command -v wsdl2h soapcpp2 g++ && pkg-config --exists gsoapssl++"],
    "jaxws": ["sh", "-c", "command -v wsimport javac java && test -f /usr/share/java/jaxws-rt.jar"],
}
COMMANDS: dict[str, list[str]] = {
    "php": ["php", str(INTEROP / "php" / "client.php")],
    "perl": ["perl", str(INTEROP / "perl" / "client.pl")],
}


def require(client: str) -> None:
    """Skip (or, under CI, fail) when the client's toolkit is not installed."""
    if _works(PROBES[client]):
        return
    reason = f"the {client} SOAP toolkit is not installed: run {INSTALL}"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(reason)
    pytest.skip(reason)


def build(toolkit: str, stack: dict[str, Any], into: Path) -> str:
    """Run tests/interop/<toolkit>/build.sh on the served WSDL's URL; its last line of output."""
    require(toolkit)
    built = subprocess.run(
        ["sh", str(INTEROP / toolkit / "build.sh"), stack["wsdl"], str(into)],
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
    )
    assert built.returncode == 0, f"the {toolkit} build failed:\n{built.stdout}{built.stderr}"
    return built.stdout.strip().rpartition("\n")[2]


@pytest.fixture(scope="module")
def gsoap_client(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The gSOAP client, generated from the served WSDL's URL and compiled once."""
    into = tmp_path_factory.mktemp("gsoap")
    build("gsoap", stack, into)
    return [str(into / "client")]


@pytest.fixture(scope="module")
def jaxws_client(stack: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The JAX-WS client: wsimport on the served WSDL's URL, then javac, once."""
    classpath = build("jaxws", stack, tmp_path_factory.mktemp("jaxws"))
    return ["java", "-cp", classpath, "Client"]


def run_client(
    client: str, auth: str, stack: dict[str, Any], command: list[str] | None = None
) -> dict[str, Any]:
    require(client)
    source = soap_e2e.new_source()
    env = {
        **os.environ,
        "WSDL_URL": stack["wsdl"],
        "SOAP_USER": stack["user"],
        "SOAP_PASSWORD": soap_e2e.PASSWORD,
        "SOURCE_ID": source,
        "SOAP_AUTH": auth,
    }
    ran = subprocess.run(
        command or COMMANDS[client], env=env, capture_output=True, text=True, timeout=CLIENT_SECONDS
    )
    assert ran.returncode == 0, f"{client}/{auth} failed:\n{ran.stderr}{ran.stdout}"
    assert soap_e2e.PASSWORD not in ran.stdout + ran.stderr
    result: dict[str, Any] = json.loads(ran.stdout)
    result["source"] = source
    return result


def assert_every_operation_answered(result: dict[str, Any]) -> None:
    stock = result["stock"]
    assert stock["itemSkuId"] == "RM-1002"
    assert Decimal(stock["available"]) == Decimal(stock["onHand"]) - Decimal(stock["reserved"])
    assert result["workOrder"] == "WO-1001"
    assert result["openReservations"] > 0
    assert result["updated"]["id"] == "WO-1000"
    assert Decimal(result["updated"]["batchQuantity"]) == 300
    created = result["created"]
    assert (created["status"], created["ownerId"]) == ("OPEN", "PLANT-A")
    assert Decimal(created["quantity"]) == Decimal("1.25")
    assert result["listed"] == [created["id"]]  # a list of one, read as a list
    assert int(result["total"]) == 1
    assert result["released"] == "RELEASED"
    assert result["fault"] is not None, "releasing a released reservation answered no fault"
    assert result["fault"]["code"] == "inventory.reservation.already_released"
    assert result["fault"]["faultcode"].rpartition(":")[2] == "Client"
    assert result["consumed"]["status"] == "CLOSED"
    assert Decimal(result["consumed"]["quantity"]) == Decimal("-1.25")


@pytest.mark.parametrize("auth", AUTHS)
def test_php_soapclient_calls_every_operation_and_reads_the_fault_code(
    stack: dict[str, Any], auth: str
) -> None:
    result = run_client("php", auth, stack)
    assert result["client"].startswith("php-soapclient")
    assert_every_operation_answered(result)
    # SOAP_SINGLE_ELEMENT_ARRAYS: one reservation, and materials, are PHP arrays.
    assert result["listedIsList"] is True and result["materialsIsList"] is True
    lifecycle = result["lifecycle"]  # the operations issue 15 added, from the WSDL alone
    assert lifecycle["extended"].startswith("2031-06-30T16:00:00")
    assert lifecycle["confirmed"] == [None]  # the order's one line now never expires
    picked = lifecycle["picked"]
    assert picked["status"] == "OPEN" and Decimal(picked["left"]) == 2
    assert Decimal(picked["consumed"]) == 1
    # Both pages came back as pages: a total PHP read as a number (none would be null).
    assert str(lifecycle["backorderTotal"]).isdigit() and str(lifecycle["shortageTotal"]).isdigit()


@pytest.mark.parametrize("auth", AUTHS)
def test_perl_soap_lite_calls_every_operation_and_reads_the_fault_code(
    stack: dict[str, Any], auth: str
) -> None:
    result = run_client("perl", auth, stack)
    assert result["client"].startswith("SOAP::Lite")
    assert_every_operation_answered(result)
    assert result["materials"] > 1
    # What docs/soap-clients.md says: a one-item list, read as a hash, is the item itself.
    assert result["singleIsHash"] is True


@pytest.mark.parametrize("auth", AUTHS)
def test_a_gsoap_client_calls_every_operation_and_reads_the_fault_code(
    stack: dict[str, Any], gsoap_client: list[str], auth: str
) -> None:
    result = run_client("gsoap", auth, stack, gsoap_client)
    assert result["client"] == "gSOAP"
    assert result["soapVersion"] == 1  # wsdl2h made a SOAP 1.1 client of the served WSDL
    assert_every_operation_answered(result)


@pytest.mark.parametrize("auth", AUTHS)
def test_a_jax_ws_client_calls_every_operation_and_reads_the_fault_code(
    stack: dict[str, Any], jaxws_client: list[str], auth: str
) -> None:
    result = run_client("jaxws", auth, stack, jaxws_client)
    assert result["client"] == "JAX-WS"
    assert_every_operation_answered(result)
    lifecycle = result["lifecycle"]  # typed Java from the WSDL: the operations issue 15 added
    assert (lifecycle["confirmed"], lifecycle["neverExpires"]) == (1, True)
    assert (Decimal(lifecycle["left"]), Decimal(lifecycle["consumed"])) == (1, Decimal("0.25"))


GUIDE = Path(__file__).parents[2] / "docs" / "soap-clients.md"
QUOTED = re.compile(r"<!-- quoted from (\S+) -->\n```\w*\n(.*?)\n```", re.DOTALL)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_guide_quotes_the_scripts_the_tests_run() -> None:
    """Each snippet docs/soap-clients.md says is quoted is, line for line, in the script."""
    quotes = QUOTED.findall(GUIDE.read_text())
    assert {path for path, _ in quotes} >= {
        "tests/interop/php/client.php",
        "tests/interop/perl/client.pl",
        "tests/interop/gsoap/build.sh",
        "tests/interop/gsoap/client.cpp",
        "tests/interop/jaxws/build.sh",
        "tests/interop/jaxws/Client.java",
        "tests/e2e/soap_client/client.js",
    }
    for path, snippet in quotes:
        script, wanted = _lines((GUIDE.parents[1] / path).read_text()), _lines(snippet)
        starts = [i for i in range(len(script)) if script[i : i + len(wanted)] == wanted]
        assert starts, f"docs/soap-clients.md quotes {path}, which no longer has:\n{snippet}"
