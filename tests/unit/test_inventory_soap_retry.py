"""The SOAP inventory adapter retries a release only when it carries a reference."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses
from lxml import etree

from adapters.inventory_soap import InventorySoapClient
from adapters.legacy_inventory import PlantClock
from adapters.resilience import RetryPolicy
from gateway.domain.errors import UpstreamTimeout, UpstreamUnavailable
from gateway.domain.model import ReleaseReason, ReservationStatus
from tests.fakes import FakeTokens

ROOT = Path(__file__).parents[2]
ENDPOINT = "http://inventory.test/soap/inventory"
RELEASE_ANSWER = (ROOT / "tests" / "legacy_messages" / "release_answer.xml").read_text()
TNS = "urn:legacy-erp:inventory:v1"


@pytest.fixture
def inventory() -> InventorySoapClient:
    return InventorySoapClient(
        ENDPOINT, str(ROOT / "wsdl" / "inventory.wsdl"), requests.Session(), FakeTokens("tok"),
        "api://inventory/.default", PlantClock("Europe/Berlin"),
        retry=RetryPolicy(attempts=3, initial_wait=0, max_wait=0),
    )  # fmt: skip


def sent_references() -> list[str | None]:
    """The REFNO of every Release the adapter sent, in order (None: none sent)."""
    bodies = [etree.fromstring(call.request.body) for call in responses.calls]
    return [body.findtext(f".//{{{TNS}}}REFNO") for body in bodies]


@responses.activate
@pytest.mark.parametrize(
    "lost", [requests.ConnectionError("reset"), requests.exceptions.ChunkedEncodingError("cut")]
)
def test_a_release_with_a_reference_is_retried_after_a_lost_answer(
    inventory: InventorySoapClient, lost: Exception
) -> None:
    responses.post(ENDPOINT, body=lost)
    responses.post(ENDPOINT, body=RELEASE_ANSWER, content_type="text/xml")
    released = inventory.release("42", ReleaseReason.RELEASED, reference="RL-1")
    assert released.status is ReservationStatus.RELEASED
    assert sent_references() == ["RL-1", "RL-1"]  # the same reference: deduplicated upstream


@responses.activate
def test_a_release_with_a_reference_is_retried_after_a_timeout(
    inventory: InventorySoapClient,
) -> None:
    responses.post(ENDPOINT, body=requests.ReadTimeout("slow"))
    responses.post(ENDPOINT, body=requests.ReadTimeout("slow"))
    responses.post(ENDPOINT, body=RELEASE_ANSWER, content_type="text/xml")
    assert inventory.release("42", ReleaseReason.RELEASED, reference="RL-1").id == "42"
    assert len(responses.calls) == 3


@responses.activate
def test_a_release_with_a_reference_gives_up_after_the_policy_s_attempts(
    inventory: InventorySoapClient,
) -> None:
    for _ in range(3):
        responses.post(ENDPOINT, body=requests.ReadTimeout("slow"))
    with pytest.raises(UpstreamTimeout):
        inventory.release("42", ReleaseReason.RELEASED, reference="RL-1")
    assert len(responses.calls) == 3


@responses.activate
def test_a_release_without_a_reference_is_sent_once_and_without_refno(
    inventory: InventorySoapClient,
) -> None:
    responses.post(ENDPOINT, body=requests.ConnectionError("reset"))
    with pytest.raises(UpstreamUnavailable):
        inventory.release("42", ReleaseReason.RELEASED)
    assert sent_references() == [None]
