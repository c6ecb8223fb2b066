"""Work orders of their own in the shared sandbox, their state, and the outbox drained by hand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from gateway.background import drain_outbox_once
from sandbox.inventory.store import NewReservation, NewTransaction

WORKORDER_WRITES = ("update_work_order", "put_material", "delete_material")
INVENTORY_WRITES = ("Reserve", "Release", "Consume", "PostTransaction")
MEMO_TYPES = ("RWR",)
"""Transactions that record a change without moving on-hand (sandbox MEMO_TYPES)."""
REWORK_BINS = (("5.000", "C-23-01", "L2611-010"), ("7.500", "C-23-01", "L2611-010"))


def work_order_json(work_order_id: str, status: str, planned_start: str) -> dict[str, Any]:
    """A WO-1001 look-alike on BREAD-WHITE: rework RW-9001 12.5 KG in Mixing."""

    def item(number: str, quantity: str, uom: str = "KG", rework: bool = False) -> dict[str, Any]:
        return {"itemNumber": number, "quantity": quantity, "uom": uom, "lot": None,
                "isRework": rework}  # fmt: skip

    return {
        "id": work_order_id, "status": status, "recipeName": "BREAD-WHITE",
        "batchQuantity": "500", "uom": "KG", "plannedStart": planned_start, "ownerId": "PLANT-A",
        "operations": [
            {"sequence": 10, "name": "Mixing", "materials": [
                item("RM-1001", "250.000"), item("RM-1003", "5.000"),
                item("RW-9001", "12.500", rework=True)]},
            {"sequence": 20, "name": "Baking", "materials": [item("RM-1006", "1.250", "L")]},
            {"sequence": 30, "name": "Packaging", "materials": [item("PK-2001", "1000.000", "EA")]},
        ],
    }  # fmt: skip


@contextmanager
def own_work_order(sandbox: Any, status: str = "RELEASED") -> Iterator[str]:
    """A fresh work order holding 5 + 7.5 KG of RW-9001 in W01 (consumed when COMPLETED).

    Afterwards its OPEN reservations are released and its stock movements netted out, so
    the shared sandbox's balances are as they were.
    """
    work_order_id = f"WO-U{uuid.uuid4().hex[:8].upper()}"
    start = "2026-10-12T05:00:00Z" if status == "COMPLETED" else "2027-05-03T05:00:00Z"
    sandbox.workorder_store.add_work_order(work_order_json(work_order_id, status, start))
    stock = sandbox.inventory_store
    for n, (quantity, location, lot) in enumerate(REWORK_BINS):
        held = stock.reserve(NewReservation(
            refno=f"{work_order_id}-H{n}", sku="RW-9001", warehouse="W01",
            quantity=Decimal(quantity), type="P", source_type="WO", source_id=work_order_id,
            owner="PLANT-A", priority=60, uom="KG", location=location, lot=lot,
        ))  # fmt: skip
        if status == "COMPLETED":
            stock.consume(str(held["id"]), f"{work_order_id}-C{n}")
    try:
        yield work_order_id
    finally:
        _tidy_up(sandbox, work_order_id)


def _tidy_up(sandbox: Any, work_order_id: str) -> None:
    stock = sandbox.inventory_store
    for row in stock.reservations_by_sources([work_order_id]):
        if row["status"] == "O":
            stock.release(str(row["id"]), "C")
    for (sku, warehouse), net in net_movements(sandbox, work_order_id, on_hand_only=True).items():
        if net:
            stock.post_transaction(NewTransaction(
                refno=f"{work_order_id}-ADJ-{sku}", sku=sku, warehouse=warehouse, quantity=-net,
                type="ADJ", transaction_date="2026-11-20T00:00:00+00:00",
                source_type="TX", source_id="TEST-ADJ",
            ))  # fmt: skip


def net_movements(
    sandbox: Any, work_order_id: str, on_hand_only: bool = False
) -> dict[tuple[str, str], Decimal]:
    """The work order's stock movements summed per item and warehouse (with ``on_hand_only``,
    without the memos that never moved on-hand)."""
    net: dict[tuple[str, str], Decimal] = {}
    for row in sandbox.inventory_store.transactions(work_order_id):
        if on_hand_only and row["type"] in MEMO_TYPES:
            continue
        key = (row["sku"], row["warehouse"])
        net[key] = net.get(key, Decimal(0)) + Decimal(row["quantity"])
    return net


def upstream_state(sandbox: Any, work_order_id: str) -> dict[str, Any]:
    """What "exactly as before" compares (docs/decisions/039-v2-all-or-nothing.md)."""
    stock = sandbox.inventory_store
    open_ones = sorted(
        (r["sku"], r["warehouse"], r["location"] or "", r["lot"] or "", Decimal(r["quantity"]))
        for r in stock.reservations_by_sources([work_order_id])
        if r["status"] == "O"
    )
    balance = stock.balance("RW-9001", "W01")
    return {
        "workOrder": sandbox.workorder_store.get_work_order(work_order_id),
        "openReservations": open_ones,
        "netMovements": {k: v for k, v in net_movements(sandbox, work_order_id).items() if v},
        "rw9001": (Decimal(balance["on_hand"]), Decimal(balance["reserved"])),
    }


def upstream_writes(sandbox: Any) -> int:
    """Write calls both sandbox services have received so far."""
    orders, stock = sandbox.workorders.calls.counts(), sandbox.inventory.calls.counts()
    return sum(orders.get(op, 0) for op in WORKORDER_WRITES) + sum(
        stock.get(op, 0) for op in INVENTORY_WRITES
    )


def drain_outbox(app: Flask, correlation_id: str) -> int:
    """Let the gateway's outbox worker run every pending entry now; how many were the request's.

    Fails if any of the request's entries is still pending afterwards.
    """
    queue = app.extensions["gateway"].store.outbox

    def pending() -> list[Any]:
        return [e for e in queue.entries("pending", 10_000) if e.correlation_id == correlation_id]

    queued = len(pending())
    queue.make_all_due(datetime.now(UTC))
    drain_outbox_once(app)
    assert pending() == []
    return queued
