"""What ERP users do at their own screens, behind the gateway's back: reservations made,
released and consumed straight in the inventory tables, never through the SOAP service.

``/_sandbox/inventory/reservations`` (POST), ``…/<id>/release`` and ``…/<id>/consume`` (POST):
tests and people use them to prove that the gateway sees changes it did not make.
"""

from __future__ import annotations

import secrets
import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, jsonify, request

from sandbox.inventory.errors import INVALID_CODE, RESERVATION_NOT_FOUND, LegacyError
from sandbox.inventory.store import InventoryStore, NewReservation

ERP_USER = "ERPUSER"
"""CRTUSR of what the admin call creates: a person at an ERP screen, not the gateway."""


def erp_users_blueprint(store: InventoryStore) -> Blueprint:
    """The admin calls that change reservations directly in the store."""
    bp = Blueprint("sandbox_erp_users", __name__, url_prefix="/_sandbox/inventory")

    @bp.post("/reservations")
    def create() -> Any:
        return _answer(lambda: store.reserve(_new_reservation(store, _body())), 201)

    @bp.post("/reservations/<reservation_id>/release")
    def release(reservation_id: str) -> Any:
        reason = str(_body().get("reason", "R"))  # E needs no passed expiry here: a person decides
        return _answer(lambda: store.release(reservation_id, reason, at_screen=True))

    @bp.post("/reservations/<reservation_id>/consume")
    def consume(reservation_id: str) -> Any:
        reference = str(_body().get("reference") or f"ERP-CNS-{secrets.token_hex(8)}")
        return _answer(lambda: store.consume(reservation_id, reference)[0])

    return bp


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _new_reservation(store: InventoryStore, body: dict[str, Any]) -> NewReservation:
    """A reservation as an ERP user keys it in; the owner is the warehouse's, as the ERP does."""
    try:
        sku, warehouse = str(body["sku"]), str(body["warehouse"])
        quantity = Decimal(str(body["quantity"]))
    except (KeyError, InvalidOperation):
        raise LegacyError(INVALID_CODE, "sku, warehouse and quantity are required") from None
    return NewReservation(
        refno=str(body.get("refno") or f"ERP-{secrets.token_hex(8)}"),
        sku=sku,
        warehouse=warehouse,
        quantity=quantity,
        type=str(body.get("type", "P")),
        source_type=str(body.get("sourceType", "WO")),
        source_id=str(body.get("sourceId", f"ERP-{secrets.token_hex(4)}")),
        owner=store.balance(sku, warehouse)["owner"] or "",
        priority=int(body.get("priority", 50)),
        created_by=ERP_USER,
    )


def _answer(change: Any, status: int = 200) -> Any:
    try:
        row: sqlite3.Row = change()
    except LegacyError as error:
        code = 404 if error.number == RESERVATION_NOT_FOUND else 409
        return jsonify({"error": error.number, "message": error.message}), code
    return jsonify(_reservation(row)), status


def _reservation(row: sqlite3.Row) -> dict[str, Any]:
    """The row as the tables keep it (legacy codes), quantities as text."""
    return {key: row[key] for key in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
