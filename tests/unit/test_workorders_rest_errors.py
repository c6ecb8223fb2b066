"""The work-order REST adapter: translation, exact decimals, bearer tokens, and typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
import requests
import responses

from adapters.workorders_rest import WorkOrderRestClient
from gateway.domain.errors import (
    RecipeNotFound,
    UpstreamFault,
    UpstreamTimeout,
    UpstreamUnavailable,
    WorkOrderNotFound,
)
from gateway.domain.model import Material, WorkOrderStatus
from tests.fakes import FakeTokens

T = TypeVar("T")
BASE = "http://workorders.test"
SCOPE = "api://sandbox-workorders/.default"
WO_URL = f"{BASE}/api/v1/work-orders/WO-1001"
WORK_ORDER = """{"id": "WO-1001", "status": "RELEASED", "recipeName": "BREAD-WHITE",
 "batchQuantity": 500, "uom": "KG", "plannedStart": "2027-03-15T05:00:00Z", "ownerId": "PLANT-A",
 "operations": [{"sequence": 10, "name": "Mixing", "materials": [
   {"itemNumber": "RM-1004", "quantity": 12.345, "uom": "KG", "lot": null, "isRework": false},
   {"itemNumber": "RW-9001", "quantity": 0.1, "uom": "KG", "lot": "L2611-010", "isRework": true}
 ]}]}"""
RECIPE = """{"name": "BREAD-WHITE", "batch": {"min": 100, "max": 1000, "increment": 50.5},
 "operations": [{"sequence": 10, "name": "Mixing", "allowedItems": ["RM-1001", "RW-9001"]}],
 "reworkItems": ["RW-9001"]}"""


class TwoAttempts:
    """A retry policy for tests: one more attempt after an UpstreamUnavailable."""

    def __init__(self) -> None:
        self.used = 0

    def __call__(self, fn: Callable[[], T]) -> T:
        self.used += 1
        try:
            return fn()
        except UpstreamUnavailable:
            return fn()


@pytest.fixture
def tokens() -> FakeTokens:
    return FakeTokens()


@pytest.fixture
def client(tokens: FakeTokens) -> WorkOrderRestClient:
    return WorkOrderRestClient(BASE, requests.Session(), tokens, SCOPE)


def reply(method: str, url: str, **kwargs: Any) -> None:
    responses.add(method, url, **kwargs)


@responses.activate
def test_work_order_quantities_come_back_as_exact_decimals(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, body=WORK_ORDER, content_type="application/json")
    wo = client.get_work_order("WO-1001")
    flour, rework = wo.operations[0].materials
    assert flour.quantity == Decimal("12.345") and isinstance(flour.quantity, Decimal)
    assert rework.quantity == Decimal("0.1")
    assert rework.is_rework and rework.lot == "L2611-010"
    assert wo.batch_quantity == Decimal(500)
    assert wo.status is WorkOrderStatus.RELEASED
    assert wo.planned_start == datetime(2027, 3, 15, 5, 0, tzinfo=UTC)


@responses.activate
def test_requests_carry_the_bearer_token_for_the_configured_scope(
    client: WorkOrderRestClient, tokens: FakeTokens
) -> None:
    reply("GET", WO_URL, body=WORK_ORDER)
    client.get_work_order("WO-1001")
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-123"
    assert tokens.scopes == [SCOPE]


@responses.activate
def test_every_request_has_connect_and_read_timeouts(tokens: FakeTokens) -> None:
    client = WorkOrderRestClient(BASE, requests.Session(), tokens, SCOPE, 1.5, 7.0)
    reply("GET", WO_URL, body=WORK_ORDER)
    client.get_work_order("WO-1001")
    sent: Any = responses.calls[0].request  # responses records the keyword arguments
    assert sent.req_kwargs["timeout"] == (1.5, 7.0)


@responses.activate
def test_recipe_translates_batch_rule_and_rework_items(client: WorkOrderRestClient) -> None:
    reply("GET", f"{BASE}/api/v1/recipes/BREAD-WHITE", body=RECIPE)
    recipe = client.get_recipe("BREAD-WHITE")
    assert recipe.batch.increment == Decimal("50.5")
    assert recipe.operations[0].allowed_items == frozenset({"RM-1001", "RW-9001"})
    assert recipe.rework_items == frozenset({"RW-9001"})


@responses.activate
def test_unknown_work_order_is_work_order_not_found(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, status=404, json={"error": "not_found"})
    with pytest.raises(WorkOrderNotFound):
        client.get_work_order("WO-1001")


@responses.activate
def test_unknown_recipe_is_recipe_not_found(client: WorkOrderRestClient) -> None:
    reply("GET", f"{BASE}/api/v1/recipes/CAKE", status=404, json={"error": "not_found"})
    with pytest.raises(RecipeNotFound):
        client.get_recipe("CAKE")


@responses.activate
def test_503_is_upstream_unavailable(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, status=503, json={"error": "unavailable"})
    with pytest.raises(UpstreamUnavailable) as caught:
        client.get_work_order("WO-1001")
    assert caught.value.upstream == "workorders"


@responses.activate
def test_connection_error_is_upstream_unavailable(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(UpstreamUnavailable):
        client.get_work_order("WO-1001")


@responses.activate
def test_read_timeout_is_upstream_timeout(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(UpstreamTimeout):
        client.get_work_order("WO-1001")


@responses.activate
def test_connect_timeout_is_upstream_timeout_not_unavailable(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, body=requests.ConnectTimeout("no syn-ack"))
    with pytest.raises(UpstreamTimeout):
        client.get_work_order("WO-1001")


@responses.activate
def test_garbage_json_is_upstream_fault(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, body="<html>oops</html>", content_type="text/html")
    with pytest.raises(UpstreamFault):
        client.get_work_order("WO-1001")


@responses.activate
def test_json_of_the_wrong_shape_is_upstream_fault(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, json={"id": "WO-1001", "status": "RELEASED"})
    with pytest.raises(UpstreamFault):
        client.get_work_order("WO-1001")


@responses.activate
def test_rejected_token_is_upstream_fault(client: WorkOrderRestClient) -> None:
    reply("GET", WO_URL, status=401, json={"error": "invalid_token"})
    with pytest.raises(UpstreamFault) as caught:
        client.get_work_order("WO-1001")
    assert caught.value.extra["status"] == 401


@responses.activate
def test_put_material_sends_the_quantity_as_an_exact_json_number(
    client: WorkOrderRestClient,
) -> None:
    url = f"{WO_URL}/operations/10/materials/RM-1004"
    echo = {"itemNumber": "RM-1004", "quantity": 12.345, "uom": "KG", "lot": None}
    reply("PUT", url, json=echo | {"isRework": False})
    material = Material("RM-1004", Decimal("12.3450000000000000001"), "KG")
    client.put_material("WO-1001", 10, material)
    sent = responses.calls[0].request.body
    assert sent is not None
    assert json.loads(sent, parse_float=Decimal)["quantity"] == material.quantity


@responses.activate
def test_idempotent_calls_go_through_the_retry_policy(tokens: FakeTokens) -> None:
    retry = TwoAttempts()
    client = WorkOrderRestClient(BASE, requests.Session(), tokens, SCOPE, retry=retry)
    reply("GET", WO_URL, status=503)
    reply("GET", WO_URL, body=WORK_ORDER)
    assert client.get_work_order("WO-1001").id == "WO-1001"
    assert retry.used == 1 and len(responses.calls) == 2


@responses.activate
def test_patch_is_never_retried(tokens: FakeTokens) -> None:
    retry = TwoAttempts()
    client = WorkOrderRestClient(BASE, requests.Session(), tokens, SCOPE, retry=retry)
    reply("PATCH", WO_URL, status=503)
    with pytest.raises(UpstreamUnavailable):
        client.update_work_order("WO-1001", batch_quantity=Decimal("550"))
    assert retry.used == 0 and len(responses.calls) == 1
