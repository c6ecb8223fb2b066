"""Work-order update v2 never leaves anything half-done, whichever upstream write fails.

The sandbox's ``fail_writes_from`` knob refuses the k-th write of one service and every one
after it (retries and compensations included) until it is cleared. Afterwards the work order,
its OPEN reservations, its net stock movements and the RW-9001 balance are exactly as before:
at once, or once the outbox has drained after the fault is cleared.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import problem_code
from tests.integration.workorder_update_helpers import (
    INVENTORY_WRITES,
    WORKORDER_WRITES,
    drain_outbox,
    own_work_order,
    upstream_state,
)


def line(item: str, quantity: str) -> dict[str, Any]:
    return {"operation": 10, "itemNumber": item, "quantity": Decimal(quantity), "uom": "KG"}


SCENARIOS = {
    # PATCH, 3 material PUTs | Reserve, PostTransaction
    "increase": [line("RM-1003", "6"), line("RM-1005", "2"), line("RW-9001", "15")],
    # PATCH, 2 material PUTs | Release (7.5), Release (5), Reserve (3.5 again), PostTransaction
    "decrease": [line("RM-1003", "6"), line("RW-9001", "3.5")],
}
WRITES = {
    "increase": {"workorders": 4, "inventory": 2},
    "decrease": {"workorders": 3, "inventory": 4},
}
CASES = [
    (scenario, service, k)
    for scenario, per_service in WRITES.items()
    for service, count in per_service.items()
    for k in range(1, count + 1)
]


def update(client: FlaskClient, headers: dict[str, str], order: str, scenario: str) -> Any:
    return client.put(
        f"/api/v2/work-orders/{order}?recipe-name=BREAD-WHITE",
        json={"batchQuantity": 600, "plannedStart": "2027-07-01T05:00:00Z",
              "materials": SCENARIOS[scenario]},
        headers=headers,
    )  # fmt: skip


def writes_by_service(sandbox: Any) -> dict[str, int]:
    orders, stock = sandbox.workorders.calls.counts(), sandbox.inventory.calls.counts()
    return {
        "workorders": sum(orders.get(op, 0) for op in WORKORDER_WRITES),
        "inventory": sum(stock.get(op, 0) for op in INVENTORY_WRITES),
    }


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_each_scenario_makes_the_writes_the_failure_cases_count_on(
    client: FlaskClient, staff_a: dict[str, str], sandbox: Any, scenario: str
) -> None:
    with own_work_order(sandbox) as order:
        before = writes_by_service(sandbox)
        assert update(client, staff_a, order, scenario).status_code == 200
        after = writes_by_service(sandbox)
    assert {k: after[k] - before[k] for k in after} == WRITES[scenario]


@pytest.mark.parametrize(("scenario", "service", "k"), CASES)
def test_failing_the_kth_write_leaves_the_upstreams_as_before(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, gateway_app: Flask,
    scenario: str, service: str, k: int,
) -> None:  # fmt: skip
    knobs = getattr(faults, service).knobs
    with own_work_order(faults) as order:
        before = upstream_state(faults, order)
        correlation_id = str(uuid.uuid4())
        knobs.update({"fail_writes_from": k})
        response = update(client, {**staff_a, "X-Request-ID": correlation_id}, order, scenario)
        assert (response.status_code, problem_code(response)) == (503, "upstream.unavailable")
        knobs.reset()
        at_once = upstream_state(faults, order) == before
        queued = drain_outbox(gateway_app, correlation_id)
        assert at_once or queued > 0  # if not at once, the outbox had what was missing
        assert upstream_state(faults, order) == before
