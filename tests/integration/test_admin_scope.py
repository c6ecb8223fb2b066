"""A Gateway.Admin sees the audit and the outbox of its own owner scope; ``*`` sees all (SPEC §7,
issue 16.10)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from tests.integration.reservation_helpers import body, problem_code


def admin(mint: Callable[..., str], *owners: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',), owners=owners)}"}


def test_an_admin_sees_the_audit_of_its_own_plants_only(
    client: FlaskClient, staff_a: dict[str, str], mint: Callable[..., str]
) -> None:
    made = client.post("/api/inventory/reservations", json=body(quantity=1), headers=staff_a)
    assert made.status_code == 201
    rid = made.get_json()["id"]

    def audit_of(headers: dict[str, str]) -> list[dict[str, Any]]:
        page = client.get(f"/admin/audit?targetId={rid}&limit=1000", headers=headers)
        assert page.status_code == 200
        entries: list[dict[str, Any]] = page.get_json()["entries"]
        return entries

    assert [e["action"] for e in audit_of(admin(mint, "PLANT-A"))] == ["reservation.create"]
    assert audit_of(admin(mint, "PLANT-A"))[0]["ownerId"] == "PLANT-A"
    assert audit_of(admin(mint, "PLANT-B")) == []
    assert [e["action"] for e in audit_of(admin(mint, "*"))] == ["reservation.create"]


def test_the_gateways_own_entries_are_for_admins_of_every_owner(
    client: FlaskClient, mint: Callable[..., str]
) -> None:
    everyone = client.get("/admin/audit?limit=1000", headers=admin(mint, "*")).get_json()
    plant = client.get("/admin/audit?limit=1000", headers=admin(mint, "PLANT-A")).get_json()
    assert all(e["ownerId"] == "PLANT-A" for e in plant["entries"])
    ownerless = [e for e in everyone["entries"] if e["ownerId"] is None]
    assert all(e["targetType"] != "reservation" for e in ownerless)
    assert {e["id"] for e in plant["entries"]} <= {e["id"] for e in everyone["entries"]}


def test_an_admin_sees_the_outbox_of_its_own_plants_only(
    client: FlaskClient, staff_a: dict[str, str], faults: Any, mint: Callable[..., str]
) -> None:
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source), body(quantity=10**9, source=source)]
    pending = {
        scope: client.get("/admin/outbox", headers=admin(mint, scope)).get_json()["pending"]
        for scope in ("PLANT-A", "PLANT-B", "*")
    }
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})
    failed = client.post("/api/inventory/reservations/batch", json={"lines": lines},
                         headers=staff_a)  # fmt: skip
    faults.inventory.knobs.reset()
    assert problem_code(failed) == "inventory.reservation.insufficient_stock"
    seen = {
        scope: client.get("/admin/outbox?state=pending&limit=1000",
                          headers=admin(mint, scope)).get_json()
        for scope in ("PLANT-A", "PLANT-B", "*")
    }  # fmt: skip
    assert seen["PLANT-A"]["pending"] == pending["PLANT-A"] + 1
    assert seen["*"]["pending"] == pending["*"] + 1
    assert seen["PLANT-B"]["pending"] == pending["PLANT-B"]
    assert all(e["ownerId"] == "PLANT-A" for e in seen["PLANT-A"]["entries"])
    assert all(e["ownerId"] == "PLANT-B" for e in seen["PLANT-B"]["entries"])
    assert not any(e["ownerId"] == "PLANT-A" for e in seen["PLANT-B"]["entries"])
