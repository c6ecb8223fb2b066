"""A compensation that cannot run now waits in the outbox, visible to admins, until it runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from gateway.background import drain_outbox_once
from tests.integration.reservation_helpers import body, problem_code


def test_failed_cancellation_of_a_batch_is_retried_from_the_outbox(
    gateway_app: Flask, client: FlaskClient, staff_a: dict[str, str], faults: Any,
    mint: Callable[..., str],
) -> None:  # fmt: skip
    admin = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',))}"}
    pending_before = client.get("/admin/outbox?state=pending", headers=admin).get_json()["pending"]
    source = {"type": "sales_order", "id": f"SO-{uuid.uuid4().hex[:10]}"}
    lines = [body(quantity=1, source=source), body(quantity=10**9, source=source)]
    faults.inventory.knobs.update({"error_rate": 1.0, "operations": ["Release"]})

    response = client.post(
        "/api/inventory/reservations/batch", json={"lines": lines}, headers=staff_a
    )

    assert problem_code(response) == "inventory.reservation.insufficient_stock"
    outbox = client.get("/admin/outbox?state=pending", headers=admin).get_json()
    assert outbox["pending"] == pending_before + 1
    (entry,) = [e for e in outbox["entries"] if e["kind"] == "inventory.cancel_reservation"][:1]
    stuck = client.get(f"/api/inventory/reservations?sourceId={source['id']}", headers=staff_a)
    assert [r["status"] for r in stuck.get_json()["items"]] == ["OPEN"]

    # Other tests' entries share this database: only this entry's own record is looked at.
    drain_outbox_once(gateway_app)  # the upstream still fails: it backs off
    failing = _pending(client, admin, entry["id"])
    assert failing["attempts"] == 1 and "503" in failing["lastError"]
    drain_outbox_once(gateway_app)
    assert _pending(client, admin, entry["id"])["attempts"] == 1  # not due again yet

    faults.inventory.knobs.reset()
    gateway_app.extensions["gateway"].store.outbox.make_all_due(_now())
    done, _ = drain_outbox_once(gateway_app)

    assert done >= 1
    after = client.get(f"/api/inventory/reservations?sourceId={source['id']}", headers=staff_a)
    assert [(r["status"], r["releaseReason"]) for r in after.get_json()["items"]] == [
        ("RELEASED", "cancelled")
    ]
    done_entries = client.get("/admin/outbox?state=done", headers=admin).get_json()["entries"]
    assert entry["id"] in {e["id"] for e in done_entries}


def test_outbox_is_for_admins_only(client: FlaskClient, staff_a: dict[str, str]) -> None:
    assert client.get("/admin/outbox", headers=staff_a).status_code == 403


def _pending(client: FlaskClient, admin: dict[str, str], entry_id: int) -> dict[str, Any]:
    entries = client.get("/admin/outbox?state=pending", headers=admin).get_json()["entries"]
    entry: dict[str, Any] = next(e for e in entries if e["id"] == entry_id)
    return entry


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)
