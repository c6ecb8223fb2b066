"""The DeliveryTarget port: its fake and the real webhook sender (to a real receiver on
127.0.0.1) held to the same assertions — what each answer means, and never an exception."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from adapters.webhook_destinations import DestinationGuard, DestinationPolicy
from adapters.webhook_sender import StandardWebhookSender
from gateway.domain.webhooks import FeedEvent, Outcome, new_signing_secret
from gateway.services.webhooks.ports import DeliveryTarget
from tests.fakes.webhooks import FakeTarget
from tests.gateway_process import free_port
from tests.webhook_receiver import webhook_receiver

EVENT = FeedEvent(9, "InventoryReleased", datetime.now(UTC), "RSV-9", "PLANT-A", None, {})
Answering = Callable[[int | None], Iterator[tuple[DeliveryTarget, str]]]


@contextmanager
def fake(status: int | None) -> Iterator[tuple[DeliveryTarget, str]]:
    yield FakeTarget(status), "http://127.0.0.1:9/hooks"


@contextmanager
def real(status: int | None) -> Iterator[tuple[DeliveryTarget, str]]:
    guard = DestinationGuard(DestinationPolicy.of((), (), allow_loopback=True))
    sender = StandardWebhookSender(guard, connect_timeout=2.0, read_timeout=5.0)
    if status is None:  # nobody listens there
        yield sender, f"http://127.0.0.1:{free_port()}/hooks"
        return
    with webhook_receiver(status) as receiver:
        yield sender, receiver.url


@pytest.fixture(params=[fake, real], ids=["fake", "sender"])
def answering(request: pytest.FixtureRequest) -> Answering:
    chosen: Answering = request.param
    return chosen


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, Outcome.DELIVERED), (204, Outcome.DELIVERED), (410, Outcome.GONE),
     (503, Outcome.FAILED), (302, Outcome.FAILED), (None, Outcome.FAILED)],
)  # fmt: skip
def test_what_an_answer_comes_to(
    answering: Answering, status: int | None, outcome: Outcome
) -> None:
    with answering(status) as (target, url):
        attempt = target.deliver(url, EVENT, [new_signing_secret()])
    assert attempt.outcome is outcome
    assert attempt.status == status
    assert (attempt.error is None) == (outcome is Outcome.DELIVERED)
