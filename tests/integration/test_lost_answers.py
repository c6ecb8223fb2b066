"""Release and consume whose answer is lost (issue 10.7): retried on their reference, one effect.

The sandbox's ``drop_after_commit`` knob commits a write and then resets the connection before
the answer leaves, as a legacy system behind a flaky network does.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.errors import ReservationAlreadyReleased
from gateway.domain.model import ReleaseReason, ReservationStatus
from tests.integration.reservation_helpers import create, events_after, problem_code

SKU, WAREHOUSE = "RM-1002", "W02"
ATTEMPTS = 3  # the retry policy's attempts (RetryPolicy's default)
EVERY_ANSWER = 2 * ATTEMPTS
"""The write's attempts and those of its lookup on the reference (gateway/services/plan_runner)."""


@pytest.fixture
def inventory(gateway_app: Flask) -> InventorySoapClient:
    client: InventorySoapClient = gateway_app.extensions["gateway"].adapters.inventory
    return client


def keyed(headers: dict[str, str], key: str | None = None) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key or str(uuid.uuid4())}


def lose_answers(faults: Any, operation: str, count: int) -> None:
    faults.inventory.knobs.update({"drop_after_commit": count, "operations": [operation]})


def calls_of(faults: Any, operation: str) -> int:
    count: int = faults.inventory.calls.counts().get(operation, 0)
    return count


def reserved(inventory: InventorySoapClient) -> Decimal:
    return inventory.get_stock_level(SKU, WAREHOUSE).reserved


def opened(client: FlaskClient, headers: dict[str, str], quantity: str) -> dict[str, Any]:
    made = create(client, headers, quantity=quantity)
    assert made.status_code == 201, made.data
    reservation: dict[str, Any] = made.get_json()
    return reservation


def release(client: FlaskClient, reservation_id: str, headers: dict[str, str]) -> Any:
    return client.put(f"/api/inventory/reservations/{reservation_id}/release", headers=headers)


def consume(client: FlaskClient, reservation_id: str, headers: dict[str, str]) -> Any:
    return client.put(f"/api/inventory/reservations/{reservation_id}/consume", headers=headers)


# --- the adapter against the sandbox ------------------------------------------------------


def test_a_release_repeated_with_its_reference_answers_the_first_release(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient
) -> None:
    made = opened(client, staff_a, "1")
    first = inventory.release(made["id"], ReleaseReason.RELEASED, reference="RL-IT-" + made["id"])
    total = reserved(inventory)
    again = inventory.release(made["id"], ReleaseReason.RELEASED, reference="RL-IT-" + made["id"])
    assert again == first and again.status is ReservationStatus.RELEASED
    assert reserved(inventory) == total  # the repeat released nothing more
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(made["id"], ReleaseReason.RELEASED, reference="RL-IT-another")
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(made["id"], ReleaseReason.RELEASED)


def test_a_reference_does_not_repeat_a_release_made_without_one(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient
) -> None:
    made = opened(client, staff_a, "1")
    inventory.release(made["id"], ReleaseReason.RELEASED)
    with pytest.raises(ReservationAlreadyReleased):
        inventory.release(made["id"], ReleaseReason.RELEASED, reference="RL-IT-late")


def test_the_adapter_retries_a_release_whose_answer_is_lost_and_releases_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made = opened(client, staff_a, "2")
    total, calls = reserved(inventory), calls_of(faults, "Release")
    lose_answers(faults, "Release", 1)
    released = inventory.release(made["id"], ReleaseReason.RELEASED, reference=f"RL-{made['id']}")
    assert released.status is ReservationStatus.RELEASED
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0  # the drop happened
    assert calls_of(faults, "Release") == calls + 2
    assert reserved(inventory) == total - 2


def test_the_adapter_retries_a_consume_whose_answer_is_lost_and_consumes_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made = opened(client, staff_a, "3")
    before = inventory.get_stock_level(SKU, WAREHOUSE)
    lose_answers(faults, "Consume", 1)
    consumed = inventory.consume(made["id"], f"CNS-IT-{uuid.uuid4().hex[:12]}")
    assert consumed.reservation.status is ReservationStatus.CLOSED
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0
    after = inventory.get_stock_level(SKU, WAREHOUSE)
    assert (after.on_hand, after.reserved) == (before.on_hand - 3, before.reserved - 3)
    assert consumed.transaction.previous_on_hand == before.on_hand


# --- through the REST API -----------------------------------------------------------------


def test_a_release_whose_answer_is_lost_once_answers_released_and_releases_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made = opened(client, staff_a, "1.5")
    total, calls = reserved(inventory), calls_of(faults, "Release")
    lose_answers(faults, "Release", 1)
    answer = release(client, made["id"], staff_a)  # no key: a fresh reference, still retried
    assert answer.status_code == 200, answer.data
    assert answer.get_json()["status"] == "RELEASED"
    assert calls_of(faults, "Release") == calls + 2
    assert inventory.get_reservation(made["id"]).status is ReservationStatus.RELEASED
    assert reserved(inventory) == total - Decimal("1.5")


def test_a_keyed_release_retried_after_every_answer_was_lost_gets_the_release(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made, headers = opened(client, staff_a, "2.5"), keyed(staff_a)
    total = reserved(inventory)
    lose_answers(faults, "Release", EVERY_ANSWER)
    lost = release(client, made["id"], headers)
    assert lost.status_code == 503  # every attempt landed upstream, every answer was lost
    assert reserved(inventory) == total - Decimal("2.5")
    faults.inventory.knobs.reset()
    retried = release(client, made["id"], headers)
    assert retried.status_code == 200, retried.data  # not 409 already_released
    assert (retried.get_json()["id"], retried.get_json()["status"]) == (made["id"], "RELEASED")
    assert reserved(inventory) == total - Decimal("2.5")
    replayed = release(client, made["id"], headers)
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.get_json() == retried.get_json()
    feed = events_after(client, staff_a, 0)  # the release has its one event, from the retry
    assert [e["type"] for e in feed if e["aggregateId"] == made["id"]] == [
        "InventoryReserved", "InventoryReleased"
    ]  # fmt: skip


def test_a_release_on_another_key_or_none_of_a_released_reservation_is_already_released(
    client: FlaskClient, staff_a: dict[str, str]
) -> None:
    made = opened(client, staff_a, "1")
    assert release(client, made["id"], keyed(staff_a)).status_code == 200
    for headers in (keyed(staff_a), staff_a):
        again = release(client, made["id"], headers)
        assert again.status_code == 409
        assert problem_code(again) == "inventory.reservation.already_released"


def test_a_consume_whose_answer_is_lost_once_consumes_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made = opened(client, staff_a, "2")
    before = inventory.get_stock_level(SKU, WAREHOUSE)
    lose_answers(faults, "Consume", 1)
    answer = consume(client, made["id"], staff_a)
    assert answer.status_code == 200, answer.data
    after = inventory.get_stock_level(SKU, WAREHOUSE)
    assert (after.on_hand, after.reserved) == (before.on_hand - 2, before.reserved - 2)
    assert len(consumptions_of(faults, made)) == 1


def test_a_keyed_consume_retried_after_every_answer_was_lost_consumes_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: InventorySoapClient, faults: Any
) -> None:
    made, headers = opened(client, staff_a, "4"), keyed(staff_a)
    before = inventory.get_stock_level(SKU, WAREHOUSE)
    lose_answers(faults, "Consume", EVERY_ANSWER)
    assert consume(client, made["id"], headers).status_code == 503
    faults.inventory.knobs.reset()
    retried = consume(client, made["id"], headers)
    assert retried.status_code == 200, retried.data
    assert retried.get_json()["reservation"]["status"] == "CLOSED"
    after = inventory.get_stock_level(SKU, WAREHOUSE)
    assert (after.on_hand, after.reserved) == (before.on_hand - 4, before.reserved - 4)
    (transaction,) = consumptions_of(faults, made)
    assert retried.get_json()["transaction"]["reference"] == transaction["refno"]


def consumptions_of(faults: Any, made: dict[str, Any]) -> list[Any]:
    """The sandbox's CNS transactions that closed this reservation."""
    rows = faults.inventory_store.transactions(made["source"]["id"])
    return [r for r in rows if r["type"] == "CNS" and str(r["reservation_id"]) == made["id"]]
