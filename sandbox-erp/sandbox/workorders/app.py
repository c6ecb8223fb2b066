"""The work-order operations REST service: an ERP-ish JSON API over ``WorkOrderStore``.

Every ``/api`` call needs ``Authorization: Bearer <jwt>``, is counted in the ``CallLog`` under
its operation name, and passes through the ``FaultKnobs`` (latency, 503s, and for writes a
refusal before or a connection dropped after the commit). Quantities travel as exact JSON numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, ParamSpec

import simplejson
from flask import Blueprint, Flask, Response, request

from sandbox.faults import CallLog, FaultKnobs, admin_blueprint, drop_connection
from sandbox.workorders.store import NotFound, WorkOrderStore

P = ParamSpec("P")
View = Callable[P, Response]
TokenVerifier = Callable[[str], dict[str, Any]]
STATUSES = frozenset({"PLANNED", "RELEASED", "IN_PROGRESS", "COMPLETED", "CANCELLED"})
PATCH_FIELDS = frozenset({"batchQuantity", "plannedStart", "status"})
MATERIAL_FIELDS = frozenset({"itemNumber", "quantity", "uom", "lot", "isRework"})


class BadInput(ValueError):
    """The request body or query is not what the API accepts."""


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response whose Decimals are written as exact JSON numbers."""
    text = simplejson.dumps(body, use_decimal=True)
    return Response(text, status=status, mimetype="application/json")


def _error(status: int, error: str, detail: str | None = None) -> Response:
    body = {"error": error} if detail is None else {"error": error, "detail": detail}
    return json_response(body, status)


class _Gate:
    """Counts a call, applies the fault knobs, checks the bearer token; drops after commits."""

    def __init__(self, verify_token: TokenVerifier, knobs: FaultKnobs, calls: CallLog) -> None:
        self._verify_token = verify_token
        self._knobs = knobs
        self._calls = calls

    def __call__(self, operation: str, write: bool = False) -> Callable[[View[P]], View[P]]:
        def decorate(view: View[P]) -> View[P]:
            @functools.wraps(view)
            def guarded(*args: P.args, **kwargs: P.kwargs) -> Response:
                refused = self._before(operation, write)
                if refused is not None:
                    return refused
                response = view(*args, **kwargs)
                if write and response.status_code < 300:
                    self._maybe_drop(operation)
                return response

            return guarded

        return decorate

    def _before(self, operation: str, write: bool) -> Response | None:
        self._calls.record(operation, http_header=request.headers.get("X-Request-ID"))
        self._calls.record_trace(operation, request.headers.get("traceparent"))
        self._knobs.delay(operation)
        if self._knobs.should_error(operation):
            return _error(503, "unavailable", "fault injected by the sandbox")
        if not self._authorised():
            response = _error(401, "invalid_token")
            response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
            return response
        if write and self._knobs.take_write_failure(operation):
            return _error(503, "unavailable", "write refused by the sandbox (fail_writes_from)")
        canned = self._knobs.canned_answer_for(operation)
        if canned is not None:
            return Response(canned, 200, mimetype="application/json")
        return None

    def _authorised(self) -> bool:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            self._verify_token(token.strip())
        except Exception:  # any failure of the verifier means the token is not accepted
            return False
        return True

    def _maybe_drop(self, operation: str) -> None:
        if not self._knobs.take_drop_after_commit(operation):
            return
        drop_connection(request.environ)


def create_workorders_app(
    store: WorkOrderStore, verify_token: TokenVerifier, knobs: FaultKnobs, calls: CallLog
) -> Flask:
    """The work-order service as a Flask app, with the sandbox admin endpoints mounted."""
    app = Flask(__name__)
    app.register_blueprint(admin_blueprint(knobs, calls))
    app.register_blueprint(_api(store, _Gate(verify_token, knobs, calls)))
    app.register_error_handler(404, lambda _: _error(404, "not_found"))
    app.register_error_handler(405, lambda _: _error(405, "method_not_allowed"))
    return app


def _api(store: WorkOrderStore, gate: _Gate) -> Blueprint:
    bp = Blueprint("workorders_api", __name__, url_prefix="/api/v1")
    bp.register_error_handler(NotFound, lambda exc: _error(404, "not_found", str(exc)))
    bp.register_error_handler(BadInput, lambda exc: _error(400, "bad_request", str(exc)))
    work_order = "/work-orders/<work_order_id>"
    material = f"{work_order}/operations/<int:sequence>/materials/<item_number>"

    @bp.get("/work-orders")
    @gate("list_work_orders")
    def list_work_orders() -> Response:
        status = request.args.get("status") or None
        if status is not None and status not in STATUSES:
            raise BadInput(f"status must be one of {sorted(STATUSES)}")
        owner = request.args.get("ownerId") or None
        return json_response({"workOrders": store.list_work_orders(owner, status)})

    @bp.get(work_order)
    @gate("get_work_order")
    def get_work_order(work_order_id: str) -> Response:
        return json_response(store.get_work_order(work_order_id))

    @bp.patch(work_order)
    @gate("update_work_order", write=True)
    def update_work_order(work_order_id: str) -> Response:
        changes = _work_order_changes(_body(PATCH_FIELDS))
        return json_response(store.update_work_order(work_order_id, **changes))

    @bp.put(material)
    @gate("put_material", write=True)
    def put_material(work_order_id: str, sequence: int, item_number: str) -> Response:
        fields = _material(_body(MATERIAL_FIELDS), item_number)
        created = store.put_material(work_order_id, sequence, fields)
        return json_response(fields, 201 if created else 200)

    @bp.delete(material)
    @gate("delete_material", write=True)
    def delete_material(work_order_id: str, sequence: int, item_number: str) -> Response:
        store.delete_material(work_order_id, sequence, item_number)
        return Response(status=204)

    @bp.get("/recipes/<name>")
    @gate("get_recipe")
    def get_recipe(name: str) -> Response:
        return json_response(store.get_recipe(name))

    return bp


def _body(allowed: frozenset[str]) -> dict[str, Any]:
    try:
        body = simplejson.loads(request.get_data(as_text=True), use_decimal=True)
    except simplejson.JSONDecodeError as exc:
        raise BadInput(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise BadInput("the body must be a JSON object")
    unknown = set(body) - allowed
    if unknown:
        raise BadInput(f"unknown fields: {sorted(unknown)}")
    return body


def _work_order_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if body.get("batchQuantity") is not None:
        changes["batch_quantity"] = _quantity(body["batchQuantity"], "batchQuantity", positive=True)
    if body.get("plannedStart") is not None:
        changes["planned_start"] = _timestamp(body["plannedStart"], "plannedStart")
    if body.get("status") is not None:
        if body["status"] not in STATUSES:
            raise BadInput(f"status must be one of {sorted(STATUSES)}")
        changes["status"] = body["status"]
    return changes


def _material(body: dict[str, Any], item_number: str) -> dict[str, Any]:
    if body.get("itemNumber", item_number) != item_number:
        raise BadInput("itemNumber in the body differs from the one in the path")
    uom, lot, is_rework = body.get("uom"), body.get("lot"), body.get("isRework", False)
    if not isinstance(uom, str) or not uom:
        raise BadInput("uom is required and must be a string")
    if lot is not None and not isinstance(lot, str):
        raise BadInput("lot must be a string or null")
    if not isinstance(is_rework, bool):
        raise BadInput("isRework must be a boolean")
    return {
        "itemNumber": item_number,
        "quantity": _quantity(body.get("quantity"), "quantity", positive=False),
        "uom": uom,
        "lot": lot,
        "isRework": is_rework,
    }


def _quantity(value: Any, name: str, positive: bool) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise BadInput(f"{name} must be a number")
    try:
        quantity = Decimal(value)
    except ArithmeticError as exc:
        raise BadInput(f"{name} must be a number") from exc
    if not quantity.is_finite():
        raise BadInput(f"{name} must be a finite number")
    if quantity < 0 or (positive and quantity == 0):
        raise BadInput(f"{name} must be {'positive' if positive else 'zero or more'}")
    return quantity


def _timestamp(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise BadInput(f"{name} must be an ISO 8601 timestamp with a time zone offset")
    return moment
