"""The sandbox work-order service on a real socket, driven by the real REST adapter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import requests

from adapters.http_session import make_session
from adapters.workorders_rest import WorkOrderRestClient
from gateway.domain.errors import RecipeNotFound, UpstreamUnavailable, WorkOrderNotFound
from gateway.domain.model import Material, WorkOrderStatus
from sandbox.faults import CallLog, FaultKnobs
from sandbox.fixtures import load_fixtures
from sandbox.servers import BackgroundServer
from sandbox.workorders import WorkOrderStore, create_workorders_app
from tests.fakes import FakeTokens

GOOD_TOKEN = "good"
SCOPE = "api://sandbox-workorders/.default"


def accept_only_good(token: str) -> dict[str, Any]:
    if token != GOOD_TOKEN:
        raise ValueError("token rejected")
    return {"aud": "api://sandbox-workorders"}


@dataclass
class Service:
    url: str
    store: WorkOrderStore
    knobs: FaultKnobs
    calls: CallLog

    def faults(self, **settings: Any) -> None:
        requests.put(f"{self.url}/_sandbox/faults", json=settings, timeout=5).raise_for_status()

    def api(self, method: str, path: str, token: str | None = GOOD_TOKEN, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=5, **kw
        )


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return load_fixtures()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    store = WorkOrderStore(tmp_path_factory.mktemp("workorders") / "workorders.db")
    knobs, calls = FaultKnobs(), CallLog()
    server = BackgroundServer(create_workorders_app(store, accept_only_good, knobs, calls))
    server.start()
    yield Service(server.url, store, knobs, calls)
    server.stop()


@pytest.fixture
def service(running: Service, demo: dict[str, Any]) -> Service:
    """The module's server, back to the demo data with no faults and no calls counted."""
    running.store.seed(demo, replace=True)
    running.knobs.reset()
    running.calls.reset()
    return running


@pytest.fixture
def client(service: Service) -> WorkOrderRestClient:
    return WorkOrderRestClient(service.url, make_session(), FakeTokens(GOOD_TOKEN), SCOPE)


def test_wo_1001_reads_with_its_materials_and_exact_quantities(client: WorkOrderRestClient) -> None:
    wo = client.get_work_order("WO-1001")
    assert (wo.status, wo.recipe_name, wo.owner_id) == (
        WorkOrderStatus.RELEASED,
        "BREAD-WHITE",
        "PLANT-A",
    )
    assert wo.planned_start == datetime(2027, 3, 15, 5, 0, tzinfo=UTC)
    materials = {m.item_number: m for op in wo.operations for m in op.materials}
    assert len(materials) == 6
    assert materials["RM-1004"].quantity == Decimal("4.500")
    assert str(materials["RM-1004"].quantity) == "4.500"
    assert materials["RW-9001"].is_rework


def test_quantities_are_json_numbers_on_the_wire(service: Service) -> None:
    text = service.api("GET", "/work-orders/WO-1001").text
    assert '"quantity": 4.500' in text


def test_a_work_order_with_240_materials_comes_in_one_call(
    client: WorkOrderRestClient, service: Service
) -> None:
    wo = client.get_work_order("WO-3000")
    assert len(wo.item_numbers()) == 240
    assert service.calls.counts() == {"get_work_order": 1}


def test_unknown_work_order_is_not_found(client: WorkOrderRestClient, service: Service) -> None:
    with pytest.raises(WorkOrderNotFound):
        client.get_work_order("WO-0000")
    assert service.api("GET", "/work-orders/WO-0000").json()["error"] == "not_found"


def test_recipe_reads_with_batch_rule_and_rework_items(client: WorkOrderRestClient) -> None:
    recipe = client.get_recipe("BREAD-WHITE")
    assert (recipe.batch.min, recipe.batch.max, recipe.batch.increment) == (100, 1000, 50)
    assert "RW-9001" in recipe.rework_items
    mixing = next(op for op in recipe.operations if op.sequence == 10)
    assert {"RM-1001", "RM-1005", "RW-9001"} <= mixing.allowed_items


def test_unknown_recipe_is_not_found(client: WorkOrderRestClient) -> None:
    with pytest.raises(RecipeNotFound):
        client.get_recipe("CAKE")


@pytest.mark.parametrize("token", [None, "forged"])
def test_calls_without_a_valid_token_are_401(service: Service, token: str | None) -> None:
    response = service.api("GET", "/work-orders/WO-1001", token=token)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token"}


def test_list_filters_by_owner_and_status(service: Service) -> None:
    plant_b = service.api("GET", "/work-orders", params={"ownerId": "PLANT-B"}).json()
    assert [wo["id"] for wo in plant_b["workOrders"]] == ["WO-2001"]
    planned = service.api("GET", "/work-orders", params={"status": "PLANNED"}).json()
    assert {wo["status"] for wo in planned["workOrders"]} == {"PLANNED"}


def test_patch_changes_batch_quantity_and_planned_start(client: WorkOrderRestClient) -> None:
    start = datetime(2027, 6, 1, 7, 30, tzinfo=timezone(timedelta(hours=2)))
    client.update_work_order("WO-1001", batch_quantity=Decimal("550.5"), planned_start=start)
    wo = client.get_work_order("WO-1001")
    assert wo.batch_quantity == Decimal("550.5")
    assert wo.planned_start == datetime(2027, 6, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [{"batchQuantity": "abc"}, {"plannedStart": "2027-06-01T07:30:00"}, {"colour": "red"}],
)
def test_patch_with_bad_input_is_400(service: Service, body: dict[str, Any]) -> None:
    response = service.api("PATCH", "/work-orders/WO-1001", json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_put_then_delete_material_round_trips(client: WorkOrderRestClient) -> None:
    added = Material("RM-1005", Decimal("7.125"), "KG")
    client.put_material("WO-1001", 10, added)
    client.put_material("WO-1001", 10, added)
    mixing = client.get_work_order("WO-1001").operations[0].materials
    assert [m for m in mixing if m.item_number == "RM-1005"] == [added]
    client.delete_material("WO-1001", 10, "RM-1005")
    client.delete_material("WO-1001", 10, "RM-1005")
    assert "RM-1005" not in client.get_work_order("WO-1001").item_numbers()


def test_put_material_on_a_missing_operation_is_not_found(client: WorkOrderRestClient) -> None:
    with pytest.raises(WorkOrderNotFound):
        client.put_material("WO-1001", 99, Material("RM-1005", Decimal(1), "KG"))


def test_error_rate_knob_makes_the_service_unavailable(
    client: WorkOrderRestClient, service: Service
) -> None:
    service.faults(error_rate=1.0, operations=["get_work_order"])
    with pytest.raises(UpstreamUnavailable):
        client.get_work_order("WO-1001")
    assert client.get_recipe("BREAD-WHITE").name == "BREAD-WHITE"


def test_dropped_answer_after_commit_still_commits_the_write(
    client: WorkOrderRestClient, service: Service
) -> None:
    service.faults(drop_after_commit=1, operations=["put_material"])
    with pytest.raises(UpstreamUnavailable):
        client.put_material("WO-1001", 20, Material("RM-1009", Decimal("0.333"), "KG"))
    baking = client.get_work_order("WO-1001").operations[1]
    assert Material("RM-1009", Decimal("0.333"), "KG") in baking.materials
    client.put_material("WO-1001", 20, Material("RM-1009", Decimal("0.5"), "KG"))


def test_call_log_counts_calls_per_operation(client: WorkOrderRestClient, service: Service) -> None:
    client.get_work_order("WO-1001")
    client.get_work_order("WO-1005")
    client.get_recipe("BREAD-WHITE")
    counts = requests.get(f"{service.url}/_sandbox/calls", timeout=5).json()
    assert counts == {"get_work_order": 2, "get_recipe": 1}


def test_a_canned_answer_replaces_the_service_but_not_the_token_check(
    client: WorkOrderRestClient, service: Service
) -> None:
    real = service.api("GET", "/work-orders/WO-1001").text
    service.faults(canned_answers={"get_work_order": real.replace("WO-1001", "WO-CANNED")})
    assert client.get_work_order("WO-1005").id == "WO-CANNED"
    assert service.api("GET", "/work-orders/WO-1005", token=None).status_code == 401
