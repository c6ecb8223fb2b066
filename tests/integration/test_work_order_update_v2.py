"""PUT /api/v2/work-orders/{id}?recipe-name=R through the gateway, against the real sandbox.

One test per numbered step of SPEC §5.2, then zero writes for unchanged materials, the
transaction date across DST, a completed work order, every k-th write failing, and replays.
Each test works on a work order of its own (tests/integration/workorder_update_helpers.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import problem_code
from tests.integration.workorder_update_helpers import (
    own_work_order,
    upstream_state,
    upstream_writes,
)

START = "2027-05-03T07:00:00+02:00"  # the own work order's start, written another way


@pytest.fixture
def order(sandbox: Any) -> Iterator[str]:
    with own_work_order(sandbox) as work_order_id:
        yield work_order_id


def body(**fields: Any) -> dict[str, Any]:
    return {"batchQuantity": 500, "plannedStart": START, **fields}


def line(item: str, quantity: str, operation: int = 10, uom: str = "KG") -> dict[str, Any]:
    return {"operation": operation, "itemNumber": item, "quantity": Decimal(quantity), "uom": uom}


def put(
    client: FlaskClient, headers: dict[str, str], work_order_id: str, recipe: str = "BREAD-WHITE",
    **fields: Any,
) -> Any:  # fmt: skip
    return client.put(
        f"/api/v2/work-orders/{work_order_id}?recipe-name={recipe}", json=body(**fields),
        headers=headers,
    )  # fmt: skip


def stored_transactions(sandbox: Any, work_order_id: str) -> list[Any]:
    rework = {"RWK", "RWR"}
    return [t for t in sandbox.inventory_store.transactions(work_order_id) if t["type"] in rework]


def available(client: FlaskClient, headers: dict[str, str], sku: str = "RW-9001") -> Decimal:
    answer = client.get(f"/api/inventory/items/{sku}/stock?warehouseId=W01", headers=headers)
    assert answer.status_code == 200
    return Decimal(str(answer.get_json()["available"]))


# --- SPEC §5.2, step by step -------------------------------------------------------------


def test_step_1_transactions_carry_now_minus_59_seconds_by_default(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    assert put(client, staff_a, order, materials=[line("RW-9001", "14")]).status_code == 200
    after = datetime.now(UTC)
    [posted] = stored_transactions(sandbox, order)
    stamp = datetime.fromisoformat(posted["transaction_date"])
    assert before - timedelta(seconds=59) <= stamp <= after - timedelta(seconds=59)


@pytest.mark.parametrize(
    ("work_order_id", "recipe", "code"),
    [
        ("WO-0000", "BREAD-WHITE", "workorder.not_found"),
        ("WO-2001", "BREAD-RYE", "workorder.not_found"),  # PLANT-B's: outside the scope
        ("OWN", "NO-SUCH-RECIPE", "recipe.not_found"),
    ],
)
def test_step_2_unknown_work_order_or_recipe_is_404(
    client: FlaskClient, staff_a: dict[str, str], order: str, work_order_id: str, recipe: str,
    code: str,
) -> None:  # fmt: skip
    target = order if work_order_id == "OWN" else work_order_id
    response = put(client, staff_a, target, recipe)
    assert response.status_code == 404
    assert problem_code(response) == code


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"batchQuantity": 525}, 422, "workorder.invalid_batch_quantity"),
        ({"batchQuantity": 1050}, 422, "workorder.invalid_batch_quantity"),
        ({"plannedStart": "2020-01-01T06:00:00Z"}, 422, "workorder.start_not_in_future"),
        ({"plannedStart": "2027-06-01T06:00:00"}, 400, "request.invalid"),  # naive
    ],
)
def test_step_3_batch_quantity_and_planned_start_are_checked_before_any_write(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str,
    fields: dict[str, Any], status: int, code: str,
) -> None:  # fmt: skip
    writes, before = upstream_writes(sandbox), upstream_state(sandbox, order)
    response = put(client, staff_a, order, materials=[line("RW-9001", "20")], **fields)
    assert (response.status_code, problem_code(response)) == (status, code)
    assert upstream_writes(sandbox) == writes
    assert upstream_state(sandbox, order) == before


def test_step_4_without_materials_only_the_work_order_itself_is_updated(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    calls = sandbox.workorders.calls.counts().get("update_work_order", 0)
    writes = upstream_writes(sandbox)
    later = "2027-06-01T06:00:00+02:00"
    assert put(client, staff_a, order, batchQuantity=650, plannedStart=later).status_code == 200
    stored = sandbox.workorder_store.get_work_order(order)
    assert stored["batchQuantity"] == Decimal(650)
    assert stored["plannedStart"] == "2027-06-01T04:00:00Z"
    assert sandbox.workorders.calls.counts()["update_work_order"] == calls + 1
    assert upstream_writes(sandbox) == writes + 1


def test_step_5_changed_and_new_materials_are_written_the_rest_stays(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    materials = [line("RM-1003", "6.5"), line("RM-1005", "2"), line("PK-2002", "40", 30, "EA")]
    assert put(client, staff_a, order, materials=materials).status_code == 200
    stored = sandbox.workorder_store.get_work_order(order)
    quantities = {
        (op["sequence"], m["itemNumber"]): m["quantity"]
        for op in stored["operations"]
        for m in op["materials"]
    }
    assert quantities[(10, "RM-1003")] == Decimal("6.5")
    assert quantities[(10, "RM-1005")] == Decimal(2)
    assert quantities[(30, "PK-2002")] == Decimal(40)
    assert quantities[(10, "RM-1001")] == Decimal(250)  # not named: untouched


def test_step_5_quantities_reach_the_work_order_with_every_digit(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    lines = (
        '{"operation": 10, "itemNumber": "RM-1003", "uom": "KG",'
        ' "quantity": 9999999999.999},'
        ' {"operation": 10, "itemNumber": "RM-1005", "quantity": 2.500, "uom": "KG"}'
    )
    text = f'{{"batchQuantity": 500.000, "plannedStart": "{START}", "materials": [{lines}]}}'
    response = client.put(
        f"/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE", data=text,
        content_type="application/json", headers=staff_a,
    )  # fmt: skip
    assert response.status_code == 200
    mixing = sandbox.workorder_store.get_work_order(order)["operations"][0]["materials"]
    stored = {m["itemNumber"]: str(m["quantity"]) for m in mixing}
    assert stored["RM-1003"] == "9999999999.999"
    assert stored["RM-1005"] == "2.500"


def test_step_5_a_quantity_the_legacy_fields_cannot_hold_is_400_and_writes_nothing(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    before = sandbox.workorder_store.get_work_order(order)
    line = '{"operation": 10, "itemNumber": "RM-1003", "uom": "KG", "quantity": 12.3456}'
    text = f'{{"batchQuantity": 500, "plannedStart": "{START}", "materials": [{line}]}}'
    response = client.put(
        f"/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE", data=text,
        content_type="application/json", headers=staff_a,
    )  # fmt: skip
    assert response.status_code == 400
    assert response.get_json()["code"] == "inventory.reservation.invalid_quantity"
    assert sandbox.workorder_store.get_work_order(order) == before


def test_step_5_a_material_the_recipe_does_not_allow_is_422_and_writes_nothing(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    writes, before = upstream_writes(sandbox), upstream_state(sandbox, order)
    materials = [line("RM-1003", "6.5"), line("RM-1100", "1")]
    response = put(client, staff_a, order, batchQuantity=600, materials=materials)
    assert (response.status_code, problem_code(response)) == (
        422, "workorder.material_not_in_recipe"
    )  # fmt: skip
    assert upstream_writes(sandbox) == writes
    assert upstream_state(sandbox, order) == before


def test_step_6_a_rework_increase_is_reserved_for_the_work_order_and_posted(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    assert put(client, staff_a, order, materials=[line("RW-9001", "15")]).status_code == 200
    reservations = sandbox.inventory_store.reservations_by_sources([order])
    made = [r for r in reservations if r["refno"].startswith("WU-")]
    assert [(r["sku"], Decimal(r["quantity"]), r["status"], r["type"]) for r in made] == [
        ("RW-9001", Decimal("2.5"), "O", "P")
    ]
    [posted] = stored_transactions(sandbox, order)
    assert Decimal(posted["quantity"]) == Decimal("-2.5")
    assert posted["type"] == "RWR"  # the memo: the reservation holds it, on-hand waits
    assert Decimal(posted["previous_on_hand"]) == Decimal(posted["new_on_hand"])


@pytest.mark.parametrize("status", ["RELEASED", "COMPLETED"])
def test_step_6_a_rework_increase_moves_available_exactly_once(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, status: str
) -> None:
    with own_work_order(sandbox, status) as work_order:
        before = available(client, staff_a)
        answer = put(client, staff_a, work_order, materials=[line("RW-9001", "15")])
        assert answer.status_code == 200
        assert available(client, staff_a) == before - Decimal("2.5")


def test_step_6_a_rework_decrease_releases_what_it_frees(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    assert put(client, staff_a, order, materials=[line("RW-9001", "3.5")]).status_code == 200
    held = [
        Decimal(r["quantity"])
        for r in sandbox.inventory_store.reservations_by_sources([order])
        if r["status"] == "O"
    ]
    assert held == [Decimal("3.5")]
    [posted] = stored_transactions(sandbox, order)
    assert Decimal(posted["quantity"]) == Decimal(9)


def test_step_6_insufficient_rework_stock_is_409_and_writes_nothing(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    writes = upstream_writes(sandbox)
    materials = [line("RM-1003", "6"), line("RW-9003", "3")]  # only 2.000 KG in W01
    response = put(client, staff_a, order, materials=materials)
    assert (response.status_code, problem_code(response)) == (
        409, "inventory.reservation.insufficient_stock"
    )  # fmt: skip
    assert upstream_writes(sandbox) == writes


def test_step_7_answers_200_with_the_work_order_and_its_inventory_as_in_5_1(
    client: FlaskClient, staff_a: dict[str, str], order: str
) -> None:
    response = put(client, staff_a, order, batchQuantity=550, materials=[line("RW-9001", "15")])
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["workOrder"]["batchQuantity"] == 550
    dough = next(m for m in answer["materials"] if m["itemNumber"] == "RW-9001")
    assert dough["quantity"] == Decimal(15) and dough["description"]
    assert sum(r["quantity"] for r in dough["reservations"] if r["status"] == "OPEN") == 15
    read = client.get(f"/api/work-orders/{order}/reservations", headers=staff_a).get_json()
    assert answer == read


# --- the other tests the issue asks for --------------------------------------------------


def test_unchanged_materials_cause_zero_writes_upstream(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    writes = upstream_writes(sandbox)
    materials = [
        line("RM-1001", "250"),
        line("RW-9001", "12.500"),
        line("RM-1006", "1.25", 20, "L"),
    ]
    response = put(client, staff_a, order, materials=materials)
    assert response.status_code == 200
    assert upstream_writes(sandbox) == writes


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2026-11-20T10:00:00+01:00", "2026-11-20T08:59:01+00:00"),
        # The Berlin overlap: 02:00:30 CET, the second 02:00; 59 s earlier is 02:59:31 CEST.
        ("2026-10-25T01:00:30Z", "2026-10-25T00:59:31+00:00"),
        # The spring gap: 03:00:30 CEST; 59 s earlier is 01:59:31 CET.
        ("2026-03-29T01:00:30Z", "2026-03-29T00:59:31+00:00"),
    ],
)
def test_the_stored_transaction_carries_exactly_transaction_date_minus_59_seconds(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str, given: str,
    stored: str,
) -> None:  # fmt: skip
    response = put(client, staff_a, order, transactionDate=given, materials=[line("RW-9001", "13")])
    assert response.status_code == 200
    [posted] = stored_transactions(sandbox, order)
    assert posted["transaction_date"] == stored


def test_completed_work_order_with_a_rework_change_gets_the_transaction_but_no_reservation(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any
) -> None:
    with own_work_order(sandbox, "COMPLETED") as completed:
        reserves = sandbox.inventory.calls.counts().get("Reserve", 0)
        response = put(client, staff_a, completed, materials=[line("RW-9001", "15")])
        assert response.status_code == 200
        [posted] = stored_transactions(sandbox, completed)
        assert Decimal(posted["quantity"]) == Decimal("-2.5") and posted["type"] == "RWK"
        held = sandbox.inventory_store.reservations_by_sources([completed])
        assert [r["status"] for r in held] == ["C", "C"]
        assert sandbox.inventory.calls.counts().get("Reserve", 0) == reserves


def test_a_replay_with_the_same_idempotency_key_returns_the_first_answer_and_writes_nothing(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, order: str
) -> None:
    headers = {**staff_a, "Idempotency-Key": str(uuid.uuid4())}
    materials = [line("RM-1003", "7"), line("RW-9001", "14")]
    first = put(client, headers, order, batchQuantity=600, materials=materials)
    assert first.status_code == 200
    writes = upstream_writes(sandbox)
    second = put(client, headers, order, batchQuantity=600, materials=materials)
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert upstream_writes(sandbox) == writes


@pytest.mark.parametrize(
    ("roles", "status"),
    [(("Gateway.Admin",), 403), (("Reservations.Manager",), 200), (("Reservations.Owner",), 200)],
)
def test_staff_manager_and_owner_may_update_admin_may_not(
    client: FlaskClient, mint: Callable[..., str], order: str, roles: tuple[str, ...], status: int
) -> None:
    headers = {"Authorization": f"Bearer {mint(roles=roles)}"}
    assert put(client, headers, order).status_code == status


def test_another_plants_work_order_is_updated_as_a_missing_one_and_not_at_all(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any
) -> None:
    before = sandbox.workorder_store.get_work_order("WO-2001")
    update = {"batchQuantity": 500, "plannedStart": START}
    answers = [
        client.put(f"/api/v2/work-orders/{wo}?recipe-name=BREAD-WHITE", json=update,
                   headers=staff_a)
        for wo in ("WO-2001", "WO-9999")
    ]  # fmt: skip
    foreign, missing = (a.get_json() for a in answers)
    assert [a.status_code for a in answers] == [404, 404]
    assert (foreign["code"], foreign["title"]) == (missing["code"], missing["title"])
    assert foreign["detail"].replace("WO-2001", "X") == missing["detail"].replace("WO-9999", "X")
    assert sandbox.workorder_store.get_work_order("WO-2001") == before
