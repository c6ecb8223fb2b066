"""Hostile and unlucky callers of the lifecycle writes (issue 15: expiry changes, partial
consumes, split holds) against the sandbox on SQLite and PostgreSQL: two writers at once, lost
answers, another owner's caller, hostile bodies and paths, replayed keys. Every change that
landed has exactly one event; nothing that did not land has one; another owner learns nothing.

Items no other test uses: RM-1218, RM-1219, RM-1204…RM-1209 in W01 (RM-1218 also in W02)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.auth.legacy_clients import new_client
from gateway.background import sweep_once
from gateway.domain.model import ReleaseReason
from tests.gateway_process import wait_for
from tests.integration.reservation_helpers import (
    create,
    cursor_now,
    events_after,
    later,
    moment,
    problem_code,
    set_available,
)
from tests.integration.soap_scope_helpers import assert_alike, call, nothing_written, refusal
from tests.soap_helpers import basic

WAREHOUSE = "W01"
RESERVATIONS = "/api/inventory/reservations"
SOURCES = "/api/inventory/sources"


@pytest.fixture
def admin_a(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',), subject='admin-a')}"}


@pytest.fixture
def plant_b(mint: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(owners=('PLANT-B',), subject='staff-b')}"}


@pytest.fixture
def released_afterwards(inventory: Any) -> Iterator[list[str]]:
    """Reservations a test leaves OPEN are released afterwards (the sandbox outlives a test)."""
    made: list[str] = []
    yield made
    for reservation_id in made:
        if inventory.get_reservation(reservation_id).status.value == "OPEN":
            inventory.release(reservation_id, ReleaseReason.RELEASED)


def legacy_client(app: Flask, owner: str, role: str = "Reservations.Staff") -> dict[str, str]:
    """HTTP Basic headers of a fresh legacy (SOAP) client of ``owner`` with ``role``."""
    name, password = f"mes-{uuid.uuid4().hex[:10]}", "lifecycle-attacks-password-1"
    box = app.extensions["gateway"].credentials.keys
    client = new_client(name, frozenset({role}), frozenset({owner}), password, box, False,
                        datetime.now(UTC))  # fmt: skip
    app.extensions["gateway"].store.legacy_clients.add(client)
    return basic(name, password)


def reserve(client: FlaskClient, headers: dict[str, str], sku: str, quantity: int,
            **overrides: Any) -> dict[str, Any]:  # fmt: skip
    made = create(client, headers, sku=sku, warehouseId=WAREHOUSE, quantity=quantity,
                  **overrides)  # fmt: skip
    assert made.status_code == 201, made.data
    answer: dict[str, Any] = made.get_json()
    return answer


def events_of(client: FlaskClient, headers: dict[str, str], cursor: int,
              reservation_id: str) -> list[str]:  # fmt: skip
    return [e["type"] for e in events_after(client, headers, cursor)
            if e["aggregateId"] == reservation_id]  # fmt: skip


def audit_of(client: FlaskClient, admin: dict[str, str], reservation_id: str) -> list[str]:
    page = client.get(f"/admin/audit?targetId={reservation_id}&limit=1000", headers=admin)
    assert page.status_code == 200, page.data
    return [entry["action"] for entry in page.get_json()["entries"]]


def expiry_of(inventory: Any, reservation_id: str) -> datetime | None:
    expires: datetime | None = inventory.get_reservation(reservation_id).expires_at
    return expires


def put_expiry(client: FlaskClient, headers: dict[str, str], reservation_id: str,
               expires: str | None, **extra: Any) -> Any:  # fmt: skip
    return client.put(f"{RESERVATIONS}/{reservation_id}/expiry", json={"expiresAt": expires},
                      headers={**headers, **extra})  # fmt: skip


def consume(client: FlaskClient, headers: dict[str, str], reservation_id: str,
            **body: Any) -> Any:  # fmt: skip
    return client.put(f"{RESERVATIONS}/{reservation_id}/consume", json=body, headers=headers)


def anonymised(response: Any, *ids: str) -> tuple[int, str, str]:
    """An error answer with the ids it names blanked out, to compare two answers."""
    problem = response.get_json()
    detail = str(problem.get("detail", ""))
    for one in ids:
        detail = detail.replace(one, "<id>")
    return response.status_code, problem["code"], detail


# --- source documents: all or nothing, and nothing recorded for what did not change --------


def test_a_failed_source_change_records_no_event_for_a_line_it_never_changed(
    client: FlaskClient, staff_a: dict[str, str], admin_a: dict[str, str], inventory: Any,
    faults: Any,
) -> None:  # fmt: skip
    """The second line's change is refused on every attempt (and its look-up's): it never
    landed. Its set-back runs anyway (harmless), but an InventoryReservationExtended event or a
    restore audit entry for it reports a change that never happened."""
    set_available(inventory, "RM-1204", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [reserve(client, staff_a, "RM-1204", 1, source=order, expiresAt=later(hours=2))
             for _ in range(3)]  # fmt: skip
    lines.sort(key=lambda line: line["id"])  # the plan changes them in id order
    cursor = cursor_now(client, staff_a)
    faults.inventory.knobs.update({"fail_writes_from": 2, "fail_writes_count": 6,
                                   "operations": ["ChangeExpiry"]})  # fmt: skip
    failed = client.put(f"{SOURCES}/sales_order/{order['id']}/expiry",
                        json={"expiresAt": later(days=7)}, headers=staff_a)  # fmt: skip
    faults.inventory.knobs.reset()
    assert failed.status_code >= 500, failed.data
    for line in lines:
        assert expiry_of(inventory, line["id"]) == moment(line["expiresAt"])
    # the first line changed and was set back: two events; the second and third never changed
    assert (
        events_of(client, staff_a, cursor, lines[0]["id"]) == ["InventoryReservationExtended"] * 2
    )
    assert events_of(client, staff_a, cursor, lines[1]["id"]) == []
    assert events_of(client, staff_a, cursor, lines[2]["id"]) == []
    assert "reservation.restore_expiry" not in audit_of(client, admin_a, lines[1]["id"])


def test_a_source_change_racing_a_release_of_one_line_sets_the_others_back(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, monkeypatch: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """Another writer releases the second line between the gateway's read and its change: the
    caller gets a clear 409, the first line's expiry is set back, the third is never touched."""
    set_available(inventory, "RM-1205", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = sorted((reserve(client, staff_a, "RM-1205", 1, source=order, expiresAt=later(hours=2))
                    for _ in range(3)), key=lambda line: line["id"])  # fmt: skip
    released_afterwards.extend(line["id"] for line in lines)
    real = inventory.change_expiry

    def change_racing_a_release(reservation_id: str, *args: Any, **kwargs: Any) -> Any:
        if (
            reservation_id == lines[1]["id"]
            and inventory.get_reservation(reservation_id).status.value == "OPEN"
        ):
            inventory.release(reservation_id, ReleaseReason.RELEASED)  # the other writer
        return real(reservation_id, *args, **kwargs)

    monkeypatch.setattr(inventory, "change_expiry", change_racing_a_release)
    cursor = cursor_now(client, staff_a)
    answer = client.put(f"{SOURCES}/sales_order/{order['id']}/expiry",
                        json={"expiresAt": None}, headers=staff_a)  # fmt: skip
    monkeypatch.undo()
    assert problem_code(answer) == "inventory.reservation.already_released"
    assert answer.status_code == 409
    assert expiry_of(inventory, lines[0]["id"]) == moment(lines[0]["expiresAt"])
    assert expiry_of(inventory, lines[2]["id"]) == moment(lines[2]["expiresAt"])
    assert events_of(client, staff_a, cursor, lines[2]["id"]) == []
    assert events_of(client, staff_a, cursor, lines[1]["id"]) == []


# --- single expiry changes ---------------------------------------------------------------


def test_an_expiry_changed_to_the_same_date_writes_one_audit_entry_and_one_event(
    client: FlaskClient, staff_a: dict[str, str], admin_a: dict[str, str], inventory: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """Decision 173: every change that landed is recorded, to the same date too (a keyed retry
    after a lost answer cannot be told from one), with its previous date in the event."""
    set_available(inventory, "RM-1206", WAREHOUSE, Decimal(50))
    made = reserve(client, staff_a, "RM-1206", 1, expiresAt=later(hours=3))
    released_afterwards.append(made["id"])
    cursor = cursor_now(client, staff_a)
    before = audit_of(client, admin_a, made["id"])
    same = put_expiry(client, staff_a, made["id"], made["expiresAt"])
    assert same.status_code == 200, same.data
    [event] = [e for e in events_after(client, staff_a, cursor) if e["aggregateId"] == made["id"]]
    assert event["type"] == "InventoryReservationExtended"
    assert event["payload"]["previousExpiresAt"] == event["payload"]["expiresAt"]
    assert len(audit_of(client, admin_a, made["id"])) == len(before) + 1


def test_an_expiry_change_whose_answer_and_look_up_were_lost_gets_its_event_on_the_retry(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """The change lands but every answer is lost, the look-up's too: the caller is told it
    failed. Its keyed retry is answered with the new expiry, and the change that happened must
    then have its one InventoryReservationExtended event (else no subscriber ever learns it)."""
    set_available(inventory, "RM-1206", WAREHOUSE, Decimal(50))
    made = reserve(client, staff_a, "RM-1206", 1, expiresAt=later(hours=3))
    released_afterwards.append(made["id"])
    cursor = cursor_now(client, staff_a)
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    key = {"Idempotency-Key": f"exp-{uuid.uuid4().hex}"}
    faults.inventory.knobs.update({"drop_after_commit": 50, "operations": ["ChangeExpiry"]})
    lost = put_expiry(client, staff_a, made["id"], target.isoformat(), **key)
    faults.inventory.knobs.reset()
    assert lost.status_code >= 500, lost.data
    assert expiry_of(inventory, made["id"]) == target  # it landed
    retried = put_expiry(client, staff_a, made["id"], target.isoformat(), **key)
    assert retried.status_code == 200, retried.data
    assert moment(retried.get_json()["expiresAt"]) == target
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryReservationExtended"]


def test_a_keyed_expiry_replay_with_another_body_is_refused_and_changes_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, released_afterwards: list[str]
) -> None:
    set_available(inventory, "RM-1206", WAREHOUSE, Decimal(50))
    made = reserve(client, staff_a, "RM-1206", 1, expiresAt=later(hours=3))
    released_afterwards.append(made["id"])
    cursor = cursor_now(client, staff_a)
    key = {"Idempotency-Key": f"exp-{uuid.uuid4().hex}"}
    first_target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    first = put_expiry(client, staff_a, made["id"], first_target.isoformat(), **key)
    assert first.status_code == 200, first.data
    other = put_expiry(client, staff_a, made["id"], later(days=9), **key)
    assert other.status_code == 422 and problem_code(other) == "idempotency.key_reused"
    again = put_expiry(client, staff_a, made["id"], first_target.isoformat(), **key)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert expiry_of(inventory, made["id"]) == first_target
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryReservationExtended"]


def test_the_sweeper_that_read_a_reservation_as_due_does_not_expire_it_once_extended(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], inventory: Any,
    monkeypatch: Any, released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1207", WAREHOUSE, Decimal(50))
    made = reserve(client, staff_a, "RM-1207", 1, expiresAt=later(seconds=1))
    released_afterwards.append(made["id"])
    wait_for(lambda: datetime.now(UTC) > datetime.fromisoformat(made["expiresAt"]) +
             timedelta(seconds=1), "the reservation to fall due", deadline=30)  # fmt: skip
    real_search = inventory.search_reservations

    def search_then_extend(*args: Any, **kwargs: Any) -> Any:
        due = real_search(*args, **kwargs)
        if any(r.id == made["id"] for r in due.items):  # a planner extends it right now
            extended = put_expiry(client, staff_a, made["id"], later(days=1))
            assert extended.status_code == 200, extended.data
        return due

    monkeypatch.setattr(inventory, "search_reservations", search_then_extend)
    cursor = cursor_now(client, staff_a)
    sweep_once(gateway_app)
    monkeypatch.undo()
    assert inventory.get_reservation(made["id"]).status.value == "OPEN"
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryReservationExtended"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"expiresAt": 12345}',
        b'{"expiresAt": ""}',
        b'{"expiresAt": "tomorrow"}',
        b'{"expiresAt": "2031-01-01T00:00:00"}',  # naive
        b'{"expiresAt": "9999-12-31T23:59:59-14:00"}',  # past what a legacy stamp carries
        b'{"expiresAt": "0001-01-01T00:00:00+00:00"}',
        b'{"expiresAt": ["2031-01-01T00:00:00Z"]}',
        b'{"expiresAt": null, "expiresAt": "2031-01-01T00:00:00Z"}',  # a duplicate key
        b'{"expiresAt": "2031-01-01T00:00:00Z", "reservationId": "other"}',  # an extra field
        b'{}',
        b'[]',
        b'null',
        b'"2031-01-01T00:00:00Z"',
        b'{"expiresAt": "2031-01-01T00:00:00Z"',
    ],
)  # fmt: skip
def test_a_hostile_expiry_body_is_a_400_and_changes_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, raw: bytes,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1208", WAREHOUSE, Decimal(500))
    made = reserve(client, staff_a, "RM-1208", 1, expiresAt=later(hours=3))
    released_afterwards.append(made["id"])
    answer = client.put(f"{RESERVATIONS}/{made['id']}/expiry", data=raw,
                        headers={**staff_a, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.data
    assert problem_code(answer) in ("request.invalid", "inventory.reservation.invalid_expiry")
    assert expiry_of(inventory, made["id"]) == moment(made["expiresAt"])


def test_an_expiry_in_year_9999_is_kept_exactly(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, released_afterwards: list[str]
) -> None:
    set_available(inventory, "RM-1208", WAREHOUSE, Decimal(500))
    made = reserve(client, staff_a, "RM-1208", 1, expiresAt=later(hours=3))
    released_afterwards.append(made["id"])
    far = "9999-12-29T12:00:00+00:00"
    answer = put_expiry(client, staff_a, made["id"], far)
    assert answer.status_code == 200, answer.data
    assert moment(answer.get_json()["expiresAt"]) == moment(far)
    shown = client.get(f"{RESERVATIONS}/{made['id']}", headers=staff_a).get_json()
    assert moment(shown["expiresAt"]) == moment(far)


# --- partial consumes ----------------------------------------------------------------------


def test_a_whole_quantity_consume_racing_a_partial_one_is_refused_not_shrunk(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, monkeypatch: Any
) -> None:
    """A picker consumes 10 of a 10 reservation; between the gateway's read and its write
    another consume takes 4. The legacy system holds 6: consuming 10 is more than reserved
    (over_consume), never a silent consume of the 6 left reported as success."""
    set_available(inventory, "RM-1209", WAREHOUSE, Decimal(40))
    made = reserve(client, staff_a, "RM-1209", 10)
    on_hand = inventory.get_stock_level("RM-1209", WAREHOUSE).on_hand
    real = inventory.get_reservation
    raced: list[str] = []

    def read_then_another_consume(reservation_id: str) -> Any:
        seen = real(reservation_id)
        if reservation_id == made["id"] and not raced:
            raced.append(reservation_id)
            inventory.consume(reservation_id, f"RACE-{uuid.uuid4().hex[:12]}",
                              quantity=Decimal(4))  # fmt: skip
        return seen

    monkeypatch.setattr(inventory, "get_reservation", read_then_another_consume)
    answer = consume(client, staff_a, made["id"], quantity=10)
    monkeypatch.undo()
    assert raced, "the race was not staged"
    assert answer.status_code == 409, answer.get_json()
    assert problem_code(answer) == "inventory.reservation.over_consume"
    left = inventory.get_reservation(made["id"])
    assert (left.status.value, left.quantity) == ("OPEN", Decimal(6))
    assert inventory.get_stock_level("RM-1209", WAREHOUSE).on_hand == on_hand - 4


def test_a_partial_consume_whose_answer_is_lost_lands_once_with_one_event(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1209", WAREHOUSE, Decimal(40))
    made = reserve(client, staff_a, "RM-1209", 10)
    released_afterwards.append(made["id"])
    on_hand = inventory.get_stock_level("RM-1209", WAREHOUSE).on_hand
    cursor = cursor_now(client, staff_a)
    faults.inventory.knobs.update({"lose_answer_of_write": 1, "operations": ["Consume"]})
    answer = consume(client, staff_a, made["id"], quantity=3)
    faults.inventory.knobs.reset()
    assert answer.status_code == 200, answer.data
    picked = answer.get_json()
    assert (picked["consumedQuantity"], picked["remainingQuantity"]) == (3, 7)
    left = inventory.get_reservation(made["id"])
    assert (left.status.value, left.quantity) == ("OPEN", Decimal(7))
    assert inventory.get_stock_level("RM-1209", WAREHOUSE).on_hand == on_hand - 3
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryPartiallyConsumed"]


def test_a_partial_consume_whose_answer_and_look_up_were_lost_gets_its_event_on_the_retry(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """The part is taken but every answer is lost, the look-up's too. The keyed retry answers
    the part consumed (the legacy system repeats it on its reference) and the movement that
    happened must then have its one InventoryPartiallyConsumed event."""
    set_available(inventory, "RM-1209", WAREHOUSE, Decimal(40))
    made = reserve(client, staff_a, "RM-1209", 10)
    released_afterwards.append(made["id"])
    cursor = cursor_now(client, staff_a)
    key = {"Idempotency-Key": f"cns-{uuid.uuid4().hex}"}
    faults.inventory.knobs.update({"drop_after_commit": 50, "operations": ["Consume"]})
    lost = client.put(f"{RESERVATIONS}/{made['id']}/consume", json={"quantity": 3},
                      headers={**staff_a, **key})  # fmt: skip
    faults.inventory.knobs.reset()
    assert lost.status_code >= 500, lost.data
    assert inventory.get_reservation(made["id"]).quantity == Decimal(7)  # it landed
    retried = client.put(f"{RESERVATIONS}/{made['id']}/consume", json={"quantity": 3},
                         headers={**staff_a, **key})  # fmt: skip
    assert retried.status_code == 200, retried.data
    assert retried.get_json()["consumedQuantity"] == 3
    assert inventory.get_reservation(made["id"]).quantity == Decimal(7)  # not twice
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryPartiallyConsumed"]


def test_a_keyed_consume_replay_with_another_quantity_is_refused_and_takes_nothing_more(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, released_afterwards: list[str]
) -> None:
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(40))
    made = reserve(client, staff_a, "RM-1219", 10)
    released_afterwards.append(made["id"])
    cursor = cursor_now(client, staff_a)
    key = {**staff_a, "Idempotency-Key": f"cns-{uuid.uuid4().hex}"}
    path = f"{RESERVATIONS}/{made['id']}/consume"
    first = client.put(path, json={"quantity": 2}, headers=key)
    assert first.status_code == 200, first.data
    other = client.put(path, json={"quantity": 5}, headers=key)
    assert problem_code(other) == "idempotency.key_reused"
    remainder = client.put(path, json={"quantity": 2, "releaseRemainder": True}, headers=key)
    assert problem_code(remainder) == "idempotency.key_reused"
    again = client.put(path, json={"quantity": 2}, headers=key)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    left = inventory.get_reservation(made["id"])
    assert (left.status.value, left.quantity) == ("OPEN", Decimal(8))
    assert events_of(client, staff_a, cursor, made["id"]) == ["InventoryPartiallyConsumed"]


def test_a_partial_consume_racing_a_release_takes_nothing_from_a_released_reservation(
    gateway_app: Flask, staff_a: dict[str, str], inventory: Any
) -> None:
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(40))
    with gateway_app.test_client() as client:
        made = reserve(client, staff_a, "RM-1219", 10)
        cursor = cursor_now(client, staff_a)
    on_hand = inventory.get_stock_level("RM-1219", WAREHOUSE).on_hand
    answers: dict[str, Any] = {}
    start = threading.Barrier(2)

    def act(name: str) -> None:
        with gateway_app.test_client() as own:
            start.wait(timeout=60)
            path = f"{RESERVATIONS}/{made['id']}/{name}"
            answers[name] = (own.put(path, json={"quantity": 4}, headers=staff_a)
                             if name == "consume" else own.put(path, headers=staff_a))  # fmt: skip

    threads = [threading.Thread(target=act, args=(name,)) for name in ("consume", "release")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(answers) == {"consume", "release"}
    assert answers["release"].status_code == 200, answers["release"].data
    after = inventory.get_reservation(made["id"])
    assert after.status.value == "RELEASED"
    with gateway_app.test_client() as client:
        seen = events_of(client, staff_a, cursor, made["id"])
    if answers["consume"].status_code == 200:  # the part went first: 4 left on-hand
        assert after.quantity == 6
        assert inventory.get_stock_level("RM-1219", WAREHOUSE).on_hand == on_hand - 4
        assert seen == ["InventoryPartiallyConsumed", "InventoryReleased"]
    else:
        assert problem_code(answers["consume"]) == "inventory.reservation.already_released"
        assert inventory.get_stock_level("RM-1219", WAREHOUSE).on_hand == on_hand
        assert seen == ["InventoryReleased"]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"quantity": 1e20}',
        b'{"quantity": 0.0001}',
        b'{"quantity": -0}',
        b'{"quantity": -2.5}',
        b'{"quantity": NaN}',
        b'{"quantity": Infinity}',
        b'{"quantity": true}',
        b'{"quantity": [1]}',
        b'{"quantity": {"value": 1}}',
        b'{"quantity": "1"}',
        b'{"quantity": 1, "quantity": 2}',
        b'{"quantity": 1, "releaseRemainder": null}',
        b'{"quantity": 1, "releaseRemainder": 1}',
        b'{"quantity": 1, "releaseRemainder": 1.0}',
        b'{"quantity": 1, "releaseRemainder": 0}',
        b'{"quantity": 1, "reservationId": "x"}',
        b'[1]',
        b'{"quantity": 1',
    ],
)  # fmt: skip
def test_a_hostile_consume_body_is_a_400_and_takes_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, raw: bytes,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(500))
    made = reserve(client, staff_a, "RM-1219", 5)
    released_afterwards.append(made["id"])
    answer = client.put(f"{RESERVATIONS}/{made['id']}/consume", data=raw,
                        headers={**staff_a, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.data
    left = inventory.get_reservation(made["id"])
    assert (left.status.value, left.quantity) == ("OPEN", Decimal(5))


@pytest.mark.parametrize(
    "raw", [b'{"quantity": null}', b'{"quantity": null, "releaseRemainder": true}']
)
def test_a_null_quantity_is_refused_not_taken_as_the_whole(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, raw: bytes,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """An explicit null where a number goes (a careless client's unset field) must not consume
    everything: leaving quantity out is the whole consume, null is not a quantity."""
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(500))
    made = reserve(client, staff_a, "RM-1219", 5)
    released_afterwards.append(made["id"])
    answer = client.put(f"{RESERVATIONS}/{made['id']}/consume", data=raw,
                        headers={**staff_a, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.data
    left = inventory.get_reservation(made["id"])
    assert (left.status.value, left.quantity) == ("OPEN", Decimal(5))


def test_a_quantity_of_three_decimals_is_consumed_exactly(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, released_afterwards: list[str]
) -> None:
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(500))
    made = reserve(client, staff_a, "RM-1219", 5)
    released_afterwards.append(made["id"])
    answer = client.put(f"{RESERVATIONS}/{made['id']}/consume", data=b'{"quantity": 1.234}',
                        headers={**staff_a, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.data
    assert inventory.get_reservation(made["id"]).quantity == Decimal("3.766")
    assert Decimal(str(answer.get_json()["remainingQuantity"])) == Decimal("3.766")


# --- another owner learns nothing ----------------------------------------------------------


def test_another_owners_caller_cannot_tell_a_reservation_from_a_missing_one(
    client: FlaskClient, staff_a: dict[str, str], plant_b: dict[str, str], inventory: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    made = reserve(client, staff_a, "RM-1218", 2, expiresAt=later(hours=4))
    released_afterwards.append(made["id"])
    missing = "RSV-99999999"
    attempts = [("expiry", {"expiresAt": later(days=1)}), ("expiry", {"expiresAt": None}),
                ("consume", {"quantity": 1}), ("consume", {"quantity": 99}),
                ("consume", {"quantity": 1, "releaseRemainder": True})]  # fmt: skip
    for suffix, payload in attempts:
        real = client.put(f"{RESERVATIONS}/{made['id']}/{suffix}", json=payload, headers=plant_b)
        none = client.put(f"{RESERVATIONS}/{missing}/{suffix}", json=payload, headers=plant_b)
        assert anonymised(real, made["id"]) == anonymised(none, missing), (suffix, payload)
        assert real.status_code == 404
    past = client.put(f"{RESERVATIONS}/{made['id']}/expiry", json={"expiresAt": later(days=-1)},
                      headers=plant_b)  # fmt: skip
    past_missing = client.put(f"{RESERVATIONS}/{missing}/expiry",
                              json={"expiresAt": later(days=-1)}, headers=plant_b)  # fmt: skip
    assert anonymised(past, made["id"]) == anonymised(past_missing, missing)
    kept = inventory.get_reservation(made["id"])
    assert (kept.status.value, kept.quantity) == ("OPEN", Decimal(2))
    assert kept.expires_at == moment(made["expiresAt"])


def test_another_owners_caller_cannot_tell_a_source_from_a_missing_one(
    client: FlaskClient, staff_a: dict[str, str], plant_b: dict[str, str], inventory: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    made = reserve(client, staff_a, "RM-1218", 1, source=order, expiresAt=later(hours=4))
    released_afterwards.append(made["id"])
    missing = f"SO-{uuid.uuid4().hex[:10]}"
    real = client.put(f"{SOURCES}/sales_order/{order['id']}/expiry", json={"expiresAt": None},
                      headers=plant_b)  # fmt: skip
    none = client.put(f"{SOURCES}/sales_order/{missing}/expiry", json={"expiresAt": None},
                      headers=plant_b)  # fmt: skip
    assert anonymised(real, order["id"]) == anonymised(none, missing)
    assert expiry_of(inventory, made["id"]) == moment(made["expiresAt"])


def test_another_owners_caller_cannot_tell_a_warehouse_of_a_split_from_a_missing_one(
    client: FlaskClient, staff_a: dict[str, str], plant_b: dict[str, str], inventory: Any
) -> None:
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))

    def split_in(*warehouses: str) -> Any:
        request = {"itemSkuId": "RM-1218", "warehouseIds": list(warehouses), "quantity": 1,
                   "type": "SALES",
                   "source": {"type": "sales_order", "id": "SO-SPLITB"}}  # fmt: skip
        return client.post(RESERVATIONS, json=request, headers=plant_b)

    real, none = split_in("W03", "W01"), split_in("W03", "W9Z")
    assert real.status_code == none.status_code and real.status_code >= 400
    assert anonymised(real, "W01") == anonymised(none, "W9Z")
    assert inventory.get_stock_level("RM-1218", WAREHOUSE).available == Decimal(50)


# --- paths with odd ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    "reservation_id",
    ["R" * 40, "R" * 41, "..", "%2e%2e", "RSV%20000001", "RSV-é", "RSV-1;DROP", "RSV-\u202e1",
     "RSV-1%3Cx%3E", "0", "-1"],
)  # fmt: skip
def test_an_odd_reservation_id_in_a_path_is_not_found_never_a_500(
    client: FlaskClient, staff_a: dict[str, str], reservation_id: str
) -> None:
    for suffix, payload in (("expiry", {"expiresAt": later(days=1)}),
                            ("consume", {"quantity": 1})):  # fmt: skip
        answer = client.put(f"{RESERVATIONS}/{reservation_id}/{suffix}", json=payload,
                            headers=staff_a)  # fmt: skip
        assert answer.status_code in (400, 404), (suffix, answer.status_code, answer.data)


@pytest.mark.parametrize(
    "source_id", ["S" * 21, "S" * 40, "SO-é", "SO 1", " SO-1", "SO-1%3Cx%3E", "SO-\u202e1"]
)
def test_an_odd_source_id_in_a_path_is_not_found_never_a_500(
    client: FlaskClient, staff_a: dict[str, str], source_id: str
) -> None:
    answer = client.put(f"{SOURCES}/sales_order/{source_id}/expiry", json={"expiresAt": None},
                        headers=staff_a)  # fmt: skip
    assert answer.status_code in (400, 404), (answer.status_code, answer.data)


# --- split holds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "warehouses",
    [["W01"] * 10_000, [f"W{n:02d}" for n in range(11)], [], ["W01", "W01"], ["W01", None],
     ["W01", 1], "W01", None],
)  # fmt: skip
def test_a_hostile_warehouse_list_is_a_400_and_reserves_nothing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, warehouses: Any
) -> None:
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    request = {"itemSkuId": "RM-1218", "warehouseIds": warehouses, "quantity": 1,
               "type": "SALES", "source": {"type": "sales_order", "id": "SO-HOSTILE"},
               "ownerId": "PLANT-A"}  # fmt: skip
    answer = client.post(RESERVATIONS, json=request, headers=staff_a)
    assert answer.status_code == 400, answer.data
    assert inventory.get_stock_level("RM-1218", WAREHOUSE).available == Decimal(50)


@pytest.mark.parametrize("flag", ["true", 1, 1.0, 0, None, [True]])
def test_any_warehouse_must_be_a_json_boolean(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, flag: Any
) -> None:
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    request = {
        "itemSkuId": "RM-1218",
        "anyWarehouse": flag,
        "quantity": 1,
        "type": "SALES",
        "source": {"type": "sales_order", "id": "SO-HOSTILE"},
        "ownerId": "PLANT-A",
    }
    answer = client.post(RESERVATIONS, json=request, headers=staff_a)
    assert answer.status_code == 400, answer.data
    assert inventory.get_stock_level("RM-1218", WAREHOUSE).available == Decimal(50)


def test_concurrent_splits_never_reserve_more_than_the_warehouses_have(
    gateway_app: Flask, staff_a: dict[str, str], inventory: Any
) -> None:
    """Four splits of 6 over W01 and W02 (5 available in each): at most one can be covered at
    a time; every answer is 201 or a clear 409, never more reserved than was there, and each
    part has its one InventoryReserved event."""
    for warehouse in ("W01", "W02"):
        set_available(inventory, "RM-1218", warehouse, Decimal(5))
    with gateway_app.test_client() as client:
        cursor = cursor_now(client, staff_a)
    answers: list[Any] = []
    start = threading.Barrier(4)

    def split_six() -> None:
        order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
        request = {"itemSkuId": "RM-1218", "warehouseIds": ["W01", "W02"], "quantity": 6,
                   "type": "SALES", "ownerId": "PLANT-A", "source": order}  # fmt: skip
        with gateway_app.test_client() as own:
            start.wait(timeout=60)
            answers.append(own.post(RESERVATIONS, json=request, headers=staff_a))

    threads = [threading.Thread(target=split_six) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    try:
        assert len(answers) == 4
        made = [a for a in answers if a.status_code == 201]
        refused = [a for a in answers if a.status_code != 201]
        assert len(made) == 1, [a.data for a in answers]
        assert {problem_code(a) for a in refused} == {"inventory.reservation.insufficient_stock"}
        parts = made[0].get_json()["reservations"]
        assert sum(Decimal(str(p["quantity"])) for p in parts) == 6
        levels = [inventory.get_stock_level("RM-1218", w).available for w in ("W01", "W02")]
        assert sum(levels) == Decimal(4) and min(levels) >= 0
        with gateway_app.test_client() as client:
            seen = events_after(client, staff_a, cursor)
        part_ids = {p["id"] for p in parts}
        reserved = [e for e in seen if e["type"] == "InventoryReserved"
                    and e["payload"]["itemSkuId"] == "RM-1218"]  # fmt: skip
        assert sorted(e["aggregateId"] for e in reserved
                      if e["aggregateId"] in part_ids) == sorted(part_ids)  # fmt: skip
        cancelled = {e["aggregateId"] for e in reserved} - part_ids
        released = {e["aggregateId"] for e in seen if e["type"] == "InventoryReleased"}
        assert cancelled <= released  # a part undone after a race was cancelled, and says so
    finally:
        for warehouse in ("W01", "W02"):
            for left in inventory.list_reservations("RM-1218", warehouse):
                if left.status.value == "OPEN" and not (left.reference or "").startswith("FIX-"):
                    inventory.release(left.id, ReleaseReason.RELEASED)


def test_a_keyed_split_replayed_with_another_body_is_refused_and_reserves_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, released_afterwards: list[str]
) -> None:
    for warehouse in ("W01", "W02"):
        set_available(inventory, "RM-1218", warehouse, Decimal(5))
    request = {"itemSkuId": "RM-1218", "warehouseIds": ["W01", "W02"], "quantity": 7,
               "type": "SALES", "ownerId": "PLANT-A",
               "source": {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}}  # fmt: skip
    key = {**staff_a, "Idempotency-Key": f"split-{uuid.uuid4().hex}"}
    first = client.post(RESERVATIONS, json=request, headers=key)
    assert first.status_code == 201, first.data
    released_afterwards.extend(p["id"] for p in first.get_json()["reservations"])
    other = client.post(RESERVATIONS, json={**request, "quantity": 8}, headers=key)
    assert problem_code(other) == "idempotency.key_reused"
    again = client.post(RESERVATIONS, json=request, headers=key)
    assert again.status_code == 201 and again.get_json() == first.get_json()
    levels = [inventory.get_stock_level("RM-1218", w).available for w in ("W01", "W02")]
    assert levels == [Decimal(0), Decimal(3)]


@pytest.mark.parametrize("flag", [1, 1.0, 0])
def test_allow_partial_must_be_a_json_boolean(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, flag: Any
) -> None:
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    answer = create(client, staff_a, sku="RM-1218", warehouseId=WAREHOUSE, quantity=60,
                    allowPartial=flag)  # fmt: skip
    assert answer.status_code == 400, answer.data
    assert inventory.get_stock_level("RM-1218", WAREHOUSE).available == Decimal(50)


def test_a_lost_partial_consume_retried_after_the_rest_was_consumed_reports_no_release(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any
) -> None:
    """3 of 10 are picked but the answer (and its look-up's) is lost; another picker consumes
    the 7 left. The keyed retry is answered from the legacy repeat: 3 consumed, and nothing was
    released — not "released 4" (the closed reservation's 7 minus the 3)."""
    set_available(inventory, "RM-1209", WAREHOUSE, Decimal(40))
    made = reserve(client, staff_a, "RM-1209", 10)
    key = {**staff_a, "Idempotency-Key": f"cns-{uuid.uuid4().hex}"}
    path = f"{RESERVATIONS}/{made['id']}/consume"
    faults.inventory.knobs.update({"drop_after_commit": 50, "operations": ["Consume"]})
    lost = client.put(path, json={"quantity": 3}, headers=key)
    faults.inventory.knobs.reset()
    assert lost.status_code >= 500, lost.data
    inventory.consume(made["id"], f"OTHER-{uuid.uuid4().hex[:12]}")  # the other picker: the 7
    retried = client.put(path, json={"quantity": 3}, headers=key)
    assert retried.status_code == 200, retried.data
    answer = retried.get_json()
    assert answer["consumedQuantity"] == 3
    assert answer["releasedQuantity"] == 0, answer


def test_a_source_change_whose_second_answer_is_lost_changes_every_line_once(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1205", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [reserve(client, staff_a, "RM-1205", 1, source=order, expiresAt=later(hours=2))
             for _ in range(3)]  # fmt: skip
    released_afterwards.extend(line["id"] for line in lines)
    cursor = cursor_now(client, staff_a)
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6)
    key = {**staff_a, "Idempotency-Key": f"exs-{uuid.uuid4().hex}"}
    faults.inventory.knobs.update({"lose_answer_of_write": 2, "operations": ["ChangeExpiry"]})
    path = f"{SOURCES}/sales_order/{order['id']}/expiry"
    answer = client.put(path, json={"expiresAt": target.isoformat()}, headers=key)
    faults.inventory.knobs.reset()
    assert answer.status_code == 200, answer.data
    assert all(expiry_of(inventory, line["id"]) == target for line in lines)
    for line in lines:
        assert events_of(client, staff_a, cursor, line["id"]) == ["InventoryReservationExtended"]
    other = client.put(path, json={"expiresAt": None}, headers=key)
    assert problem_code(other) == "idempotency.key_reused"
    again = client.put(path, json={"expiresAt": target.isoformat()}, headers=key)
    assert again.status_code == 200 and again.get_json() == answer.get_json()
    assert all(expiry_of(inventory, line["id"]) == target for line in lines)


@pytest.mark.parametrize("role", ["Reservations.Staff", "Reservations.Manager"])
@pytest.mark.parametrize("operation", ["ChangeReservationExpiry", "ConsumeReservationPart",
                                       "ChangeSourceExpiry"])  # fmt: skip
def test_over_soap_another_plants_reservation_or_source_is_a_missing_one(
    gateway_app: Flask, sandbox: Any, client: FlaskClient, staff_a: dict[str, str],
    inventory: Any, operation: str, role: str, released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    made = reserve(client, staff_a, "RM-1218", 2, source=order, expiresAt=later(hours=4))
    released_afterwards.append(made["id"])
    plant_b = legacy_client(gateway_app, "PLANT-B", role)

    def attempt(identifier: str) -> Any:
        reference = f"RF-{uuid.uuid4().hex[:8]}"
        fields = {
            "ChangeReservationExpiry": {"reservationId": identifier, "neverExpires": "true",
                                        "reference": reference},
            "ConsumeReservationPart": {"reservationId": identifier, "quantity": "1",
                                       "releaseRemainder": "false", "reference": reference},
            "ChangeSourceExpiry": {"sourceType": "sales_order", "sourceId": identifier,
                                   "neverExpires": "true"},
        }[operation]  # fmt: skip
        return refusal(call(client, plant_b, operation, **fields), identifier)

    theirs_id = order["id"] if operation == "ChangeSourceExpiry" else made["id"]
    missing_id = f"SO-{uuid.uuid4().hex[:10]}" if operation == "ChangeSourceExpiry" else "99999999"
    with nothing_written(sandbox, gateway_app, [("RM-1218", WAREHOUSE)], (order["id"],)):
        theirs, missing = attempt(theirs_id), attempt(missing_id)
    assert_alike(theirs, missing, "inventory.reservation.not_found")


SOAP_FUTURE = "2031-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("operation", "fields"),
    [
        ("ConsumeReservationPart", {"quantity": "-1"}),
        ("ConsumeReservationPart", {"quantity": "0"}),
        ("ConsumeReservationPart", {"quantity": "0.0001"}),
        ("ConsumeReservationPart", {"quantity": "100000000000000000000"}),
        ("ConsumeReservationPart", {"quantity": "NaN"}),
        ("ConsumeReservationPart", {"quantity": "3"}),  # more than the 2 reserved
        ("ChangeReservationExpiry", {"expiresAt": "2031-06-01T00:00:00"}),  # naive
        ("ChangeReservationExpiry", {"expiresAt": SOAP_FUTURE, "neverExpires": "true"}),
        ("ChangeReservationExpiry", {}),  # neither: must not clear the expiry
        ("ChangeReservationExpiry", {"neverExpires": "false"}),
        ("ChangeReservationExpiry", {"expiresAt": "2020-01-01T00:00:00Z"}),
        ("ChangeReservationExpiry", {"expiresAt": "9999-12-31T23:59:59-14:00"}),
        ("ChangeSourceExpiry", {"expiresAt": SOAP_FUTURE, "neverExpires": "true"}),
        ("ChangeSourceExpiry", {}),
        ("ChangeSourceExpiry", {"sourceType": "purchase"}),
    ],
)  # fmt: skip
def test_over_soap_a_hostile_lifecycle_call_is_a_client_fault_and_changes_nothing(
    gateway_app: Flask, sandbox: Any, client: FlaskClient, staff_a: dict[str, str],
    inventory: Any, operation: str, fields: dict[str, str], released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1218", WAREHOUSE, Decimal(50))
    order = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    made = reserve(client, staff_a, "RM-1218", 2, source=order, expiresAt=later(hours=4))
    released_afterwards.append(made["id"])
    plant_a = legacy_client(gateway_app, "PLANT-A", "Reservations.Manager")
    reference = f"RF-{uuid.uuid4().hex[:8]}"
    if operation == "ChangeSourceExpiry":
        sent = {
            "sourceType": fields.get("sourceType", "sales_order"),
            "sourceId": order["id"],
            "expiresAt": fields.get("expiresAt"),
            "neverExpires": fields.get("neverExpires"),
        }
    elif operation == "ChangeReservationExpiry":
        sent = {
            "reservationId": made["id"],
            "expiresAt": fields.get("expiresAt"),
            "neverExpires": fields.get("neverExpires"),
            "reference": reference,
        }
    else:
        sent = {"reservationId": made["id"], "quantity": fields["quantity"],
                "releaseRemainder": "false", "reference": reference}  # fmt: skip
    with nothing_written(sandbox, gateway_app, [("RM-1218", WAREHOUSE)], (order["id"],)):
        answer = call(client, plant_a, operation, **sent)
    problem = refusal(answer, made["id"])
    assert problem.faultcode.endswith("Client"), (problem.code, problem.message)
    assert not problem.code.startswith(("internal", "upstream")), problem.code
    assert inventory.get_reservation(made["id"]).expires_at == moment(made["expiresAt"])


def test_a_key_reused_after_a_lost_answer_for_another_expiry_is_a_clear_4xx(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    """A write with a key lands but its answer is lost (the key is free again). The careless
    caller reuses the key for another expiry (next test: a consume of another reservation): the
    legacy system refuses the reused reference; the caller must get a clear 4xx, and nothing
    may change."""
    set_available(inventory, "RM-1207", WAREHOUSE, Decimal(50))
    first = reserve(client, staff_a, "RM-1207", 2, expiresAt=later(hours=4))
    released_afterwards.append(first["id"])
    key = {**staff_a, "Idempotency-Key": f"reuse-{uuid.uuid4().hex}"}
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    faults.inventory.knobs.update({"drop_after_commit": 50, "operations": ["ChangeExpiry"]})
    lost = client.put(f"{RESERVATIONS}/{first['id']}/expiry",
                      json={"expiresAt": target.isoformat()}, headers=key)  # fmt: skip
    faults.inventory.knobs.reset()
    assert lost.status_code >= 500
    other = client.put(f"{RESERVATIONS}/{first['id']}/expiry",
                       json={"expiresAt": later(days=9)}, headers=key)  # fmt: skip
    assert 400 <= other.status_code < 500, other.data  # not 502 upstream.fault (legacy 260)
    assert expiry_of(inventory, first["id"]) == target


def test_a_key_reused_after_a_lost_consume_for_another_reservation_is_a_clear_4xx(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, faults: Any,
    released_afterwards: list[str],
) -> None:  # fmt: skip
    set_available(inventory, "RM-1207", WAREHOUSE, Decimal(50))
    first, second = (reserve(client, staff_a, "RM-1207", 2) for _ in range(2))
    released_afterwards.extend([first["id"], second["id"]])
    key = {**staff_a, "Idempotency-Key": f"reuse-{uuid.uuid4().hex}"}
    faults.inventory.knobs.update({"drop_after_commit": 50, "operations": ["Consume"]})
    lost = client.put(f"{RESERVATIONS}/{first['id']}/consume", json={"quantity": 1}, headers=key)
    faults.inventory.knobs.reset()
    assert lost.status_code >= 500
    elsewhere = client.put(f"{RESERVATIONS}/{second['id']}/consume", json={"quantity": 1},
                           headers=key)  # fmt: skip
    assert 400 <= elsewhere.status_code < 500, elsewhere.data
    assert inventory.get_reservation(second["id"]).quantity == Decimal(2)


def test_another_owners_feed_shows_none_of_the_lifecycle_events(
    client: FlaskClient, staff_a: dict[str, str], plant_b: dict[str, str], inventory: Any
) -> None:
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(50))
    cursor_b = cursor_now(client, plant_b)
    cursor_a = cursor_now(client, staff_a)
    made = reserve(client, staff_a, "RM-1219", 5, expiresAt=later(hours=4))
    assert put_expiry(client, staff_a, made["id"], later(days=2)).status_code == 200
    assert consume(client, staff_a, made["id"], quantity=2).status_code == 200
    assert (
        consume(client, staff_a, made["id"], quantity=1, releaseRemainder=True).status_code == 200
    )
    mine = events_of(client, staff_a, cursor_a, made["id"])
    assert mine == ["InventoryReserved", "InventoryReservationExtended",
                    "InventoryPartiallyConsumed", "InventoryConsumed"]  # fmt: skip
    assert events_of(client, plant_b, cursor_b, made["id"]) == []


def test_any_warehouse_of_an_owner_outside_the_scope_answers_as_a_missing_owner(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any
) -> None:
    """PLANT-A's caller asking for "any warehouse" of PLANT-B learns nothing PLANT-Z (which
    does not exist) would not tell: not whether PLANT-B exists or holds the item."""
    set_available(inventory, "RM-1219", WAREHOUSE, Decimal(50))

    def any_of(owner: str) -> Any:
        order = {"type": "sales_order", "id": "SO-ANYB"}
        request = {"itemSkuId": "RM-1219", "anyWarehouse": True, "quantity": 1, "type": "SALES",
                   "source": order, "ownerId": owner}  # fmt: skip
        return client.post(RESERVATIONS, json=request, headers=staff_a)

    theirs, missing = any_of("PLANT-B"), any_of("PLANT-Z")
    assert 400 <= theirs.status_code < 500, theirs.data
    assert anonymised(theirs, "PLANT-B") == anonymised(missing, "PLANT-Z")
    assert inventory.get_stock_level("RM-1219", WAREHOUSE).available == Decimal(50)
