"""Faults compared as a caller sees them, and "nothing written" checked, for the SOAP scope tests.

Two faults are alike when they have the same HTTP status, content type and fault document
(faultcode, faultstring, detail code, message and field errors) once the id asked for and the
correlation id are taken out. Nothing is written when the sandbox's balances of the items
involved, the reservations and transactions of the sources, the work orders, the sandbox's write
calls, and the gateway's own audit, events, plans, outbox and work-order locks stay as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from gateway.store import tables
from tests.integration.workorder_update_helpers import upstream_writes
from tests.soap_helpers import NS, PATH, envelope, fault_of, headers

GATEWAY_TABLES = (tables.audit_entries, tables.events, tables.write_plans, tables.outbox,
                  tables.work_order_locks)  # fmt: skip
PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def call(
    client: FlaskClient, auth: dict[str, str], operation: str, **fields: str | None
) -> TestResponse:
    """One call of ``operation`` with ``auth``'s headers; ``None`` fields are left out."""
    inner = "".join(f"<g:{name}>{value}</g:{name}>" for name, value in fields.items()
                    if value is not None)  # fmt: skip
    return client.post(PATH, data=envelope(operation, inner), headers=headers(operation, **auth))


@dataclass(frozen=True)
class Refusal:
    """A fault answer with the id asked for and the correlation id taken out."""

    status: int
    content_type: str
    faultcode: str
    faultstring: str
    code: str
    message: str
    errors: dict[str, str]
    document: bytes
    """The whole answer, canonical XML, with the same two things taken out."""


def refusal(response: TestResponse, identifier: str) -> Refusal:
    """The fault in ``response`` (failing the test if there is none), ``identifier`` taken out."""
    fault = fault_of(response.data)
    root = etree.fromstring(response.data, PARSER)
    for path in ("soap:Body/soap:Fault/faultstring", ".//g:GatewayFault/g:message"):
        element = root.find(path, NS)
        element.text = (element.text or "").replace(identifier, "<id>")
    root.find(".//g:GatewayFault/g:correlationId", NS).text = ""

    def plain(text: str) -> str:
        return text.replace(identifier, "<id>")

    return Refusal(
        response.status_code, response.content_type, fault.faultcode, plain(fault.faultstring),
        fault.code, plain(fault.message), {k: plain(v) for k, v in fault.errors.items()},
        etree.tostring(root, method="c14n"),
    )  # fmt: skip


def assert_alike(theirs: Refusal, missing: Refusal, code: str) -> None:
    """Another owner's id was refused exactly as a missing one, with ``code``, no upstream named."""
    assert theirs == missing
    assert missing.code == code
    assert "/work-orders" not in missing.message and "http" not in missing.message


@contextmanager
def nothing_written(
    sandbox: Any, app: Flask, stock: list[tuple[str, str]], sources: tuple[str, ...] = (),
    work_orders: tuple[str, ...] = (),
) -> Iterator[None]:  # fmt: skip
    """Fails unless the block leaves the state below as it found it."""
    before = state_of(sandbox, app, stock, sources, work_orders)
    yield
    assert state_of(sandbox, app, stock, sources, work_orders) == before


def state_of(
    sandbox: Any, app: Flask, stock: list[tuple[str, str]], sources: tuple[str, ...],
    work_orders: tuple[str, ...],
) -> dict[str, Any]:  # fmt: skip
    """Balances, the sources' reservations and transactions, the work orders, the sandbox's
    write calls and the gateway's own records."""
    store = sandbox.inventory_store
    with app.extensions["gateway"].store.engine.connect() as connection:
        gateway = {t.name: connection.scalar(select(func.count()).select_from(t))
                   for t in GATEWAY_TABLES}  # fmt: skip
    return {
        "balances": {
            (sku, warehouse): (Decimal(row["on_hand"]), Decimal(row["reserved"]))
            for sku, warehouse in stock
            for row in [store.balance(sku, warehouse)]
        },
        "reservations": [dict(row) for row in store.reservations_by_sources(list(sources))],
        "transactions": [dict(row) for source in sources for row in store.transactions(source)],
        "workOrders": [sandbox.workorder_store.get_work_order(w) for w in work_orders],
        "upstreamWrites": upstream_writes(sandbox),
        "gateway": gateway,
    }
