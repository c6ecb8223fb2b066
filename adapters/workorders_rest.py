"""The work-order operations service over REST/JSON (requests): the ``WorkOrderPort``.

requests exceptions never leave this module: not found becomes WorkOrderNotFound or
RecipeNotFound, connection errors and 5xx UpstreamUnavailable, timeouts UpstreamTimeout,
anything else UpstreamFault. Only idempotent calls (GET, PUT, DELETE) go through ``retry``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import requests
import simplejson

from adapters.bearer import BearerAuth
from adapters.call_guard import CallGuard
from adapters.http_session import transport_error
from gateway.domain.errors import (
    GatewayError,
    RecipeNotFound,
    UpstreamFault,
    UpstreamUnavailable,
    WorkOrderNotFound,
)
from gateway.domain.model import (
    BatchRule,
    Material,
    Operation,
    Recipe,
    RecipeOperation,
    WorkOrder,
    WorkOrderStatus,
)
from gateway.observability import tracing
from gateway.observability.correlation import HEADER as CORRELATION_HEADER
from gateway.observability.correlation import correlation_id
from gateway.services.ports import TokenProvider

T = TypeVar("T")
Retry = Callable[[Callable[[], Any]], Any]
UPSTREAM = "workorders"
log = logging.getLogger(__name__)


def call_once(fn: Callable[[], T]) -> T:
    """The default retry policy: no retry."""
    return fn()


def _headers() -> dict[str, str]:
    headers = {"Accept": "application/json", "Content-Type": "application/json"}
    if correlation_id():
        headers[CORRELATION_HEADER] = str(correlation_id())
    return {**headers, **tracing.outbound_headers()}


class WorkOrderRestClient:
    """Work orders, their materials and recipes from the work-order operations service."""

    def __init__(
        self,
        base_url: str,
        session: requests.Session,
        token_provider: TokenProvider,
        scope: str,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retry: Retry | None = None,
        guard: CallGuard | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/") + "/api/v1"
        self._session = session
        self._auth = BearerAuth(token_provider, scope)
        self._timeout = (connect_timeout, read_timeout)
        self._retry: Retry = retry or call_once
        self._guard = guard or CallGuard(UPSTREAM)

    def get_work_order(self, work_order_id: str) -> WorkOrder:
        """The work order with its operations and materials; WorkOrderNotFound if unknown."""
        path = f"/work-orders/{_segment(work_order_id)}"
        body = self._retry(
            lambda: self._call("GET", path, not_found=WorkOrderNotFound, operation="get_work_order")
        )
        return _translated(work_order_from_json, body)

    def get_recipe(self, name: str) -> Recipe:
        """The recipe (work definition); RecipeNotFound if unknown."""
        path = f"/recipes/{_segment(name)}"
        body = self._retry(
            lambda: self._call("GET", path, not_found=RecipeNotFound, operation="get_recipe")
        )
        return _translated(recipe_from_json, body)

    def update_work_order(
        self,
        work_order_id: str,
        batch_quantity: Decimal | None = None,
        planned_start: datetime | None = None,
    ) -> WorkOrder:
        """Change the header fields given; not retried (the caller decides)."""
        changes: dict[str, Any] = {}
        if batch_quantity is not None:
            changes["batchQuantity"] = batch_quantity
        if planned_start is not None:
            changes["plannedStart"] = planned_start.isoformat()
        path = f"/work-orders/{_segment(work_order_id)}"
        body = self._call(
            "PATCH", path, payload=changes, not_found=WorkOrderNotFound,
            operation="update_work_order",
        )  # fmt: skip
        return _translated(work_order_from_json, body)

    def put_material(
        self, work_order_id: str, operation_sequence: int, material: Material
    ) -> Material:
        """Add or replace a material of an operation (idempotent, so retried)."""
        path = _material_path(work_order_id, operation_sequence, material.item_number)
        payload = {
            "quantity": material.quantity,
            "uom": material.uom,
            "lot": material.lot,
            "isRework": material.is_rework,
        }
        body = self._retry(
            lambda: self._call(
                "PUT", path, payload=payload, not_found=WorkOrderNotFound, operation="put_material"
            )
        )
        return _translated(material_from_json, body)

    def delete_material(
        self, work_order_id: str, operation_sequence: int, item_number: str
    ) -> None:
        """Remove a material of an operation; absent already is fine (idempotent, retried)."""
        path = _material_path(work_order_id, operation_sequence, item_number)
        self._retry(
            lambda: self._call(
                "DELETE", path, not_found=WorkOrderNotFound, operation="delete_material"
            )
        )

    def _call(
        self,
        method: str,
        path: str,
        not_found: type[GatewayError],
        payload: dict[str, Any] | None = None,
        operation: str = "call",
    ) -> Any:
        """One guarded HTTP exchange (breaker, metrics); the parsed JSON answer or an error."""
        return self._guard(operation, lambda: self._exchange(method, path, not_found, payload))

    def _exchange(
        self,
        method: str,
        path: str,
        not_found: type[GatewayError],
        payload: dict[str, Any] | None,
    ) -> Any:
        """One HTTP exchange; the parsed JSON answer (None when empty) or a domain error."""
        url = self._base_url + path
        data = None if payload is None else simplejson.dumps(payload, use_decimal=True)
        log.debug("workorders %s %s body=%s", method, url, data)
        try:
            response = self._session.request(
                method,
                url,
                data=data,
                headers=_headers(),
                auth=self._auth,
                timeout=self._timeout,
            )
        except requests.RequestException as exc:
            detail = f"{method} {path}: {type(exc).__name__}"
            failed = transport_error(UPSTREAM, exc, detail) or UpstreamFault(UPSTREAM, detail)
            raise failed from exc
        if log.isEnabledFor(logging.DEBUG):
            log.debug("workorders %s %s -> %s %s", method, url, response.status_code, response.text)
        return _answer(response, f"{method} {path}", not_found)


def _answer(response: requests.Response, what: str, not_found: type[GatewayError]) -> Any:
    status = response.status_code
    # The upstream path stays in the log: no answer of ours names an upstream path or host.
    if status >= 400:
        log.warning("workorders %s -> HTTP %s", what, status)
    if status == 404:
        raise not_found()  # its title; the use case names the id it asked for
    if status >= 500:
        raise UpstreamUnavailable(UPSTREAM, f"HTTP {status}", status=status)
    if status >= 400:
        raise UpstreamFault(UPSTREAM, f"HTTP {status}", status=status)
    if not response.content:
        return None
    try:
        return json.loads(response.text, parse_float=Decimal)
    except ValueError as exc:
        raise UpstreamFault(UPSTREAM, f"{what}: the answer is not JSON") from exc


def _segment(value: str) -> str:
    return quote(value, safe="")


def _material_path(work_order_id: str, sequence: int, item_number: str) -> str:
    return (
        f"/work-orders/{_segment(work_order_id)}/operations/{int(sequence)}"
        f"/materials/{_segment(item_number)}"
    )


def _translated(translate: Callable[[Any], T], body: Any) -> T:
    """Translate an answer; a shape we do not understand is the upstream's fault."""
    try:
        return translate(body)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise UpstreamFault(UPSTREAM, f"unexpected answer: {type(exc).__name__}: {exc}") from exc


def work_order_from_json(body: dict[str, Any]) -> WorkOrder:
    """The service's work-order JSON as the domain WorkOrder."""
    return WorkOrder(
        id=_text(body["id"]),
        status=WorkOrderStatus(body["status"]),
        recipe_name=_text(body["recipeName"]),
        batch_quantity=_decimal(body["batchQuantity"]),
        uom=_text(body["uom"]),
        planned_start=_moment(body.get("plannedStart")),
        owner_id=_text(body["ownerId"]),
        operations=tuple(
            Operation(
                sequence=_integer(op["sequence"]),
                name=_text(op["name"]),
                materials=tuple(material_from_json(m) for m in op["materials"]),
            )
            for op in body["operations"]
        ),
    )


def material_from_json(body: dict[str, Any]) -> Material:
    """One material of an operation as the domain Material."""
    lot = body.get("lot")
    return Material(
        item_number=_text(body["itemNumber"]),
        quantity=_decimal(body["quantity"]),
        uom=_text(body["uom"]),
        lot=None if lot is None else _text(lot),
        is_rework=bool(body.get("isRework", False)),
    )


def recipe_from_json(body: dict[str, Any]) -> Recipe:
    """The service's recipe JSON as the domain Recipe."""
    batch = body["batch"]
    return Recipe(
        name=_text(body["name"]),
        batch=BatchRule(
            min=_decimal(batch["min"]),
            max=_decimal(batch["max"]),
            increment=_decimal(batch["increment"]),
        ),
        operations=tuple(
            RecipeOperation(
                sequence=_integer(op["sequence"]),
                name=_text(op["name"]),
                allowed_items=frozenset(_text(i) for i in op["allowedItems"]),
            )
            for op in body["operations"]
        ),
        rework_items=frozenset(_text(i) for i in body.get("reworkItems", [])),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _decimal(value: Any) -> Decimal:
    """JSON numbers arrive as Decimal or int (parse_float=Decimal); strings are accepted too."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _moment(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    if moment.utcoffset() is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return moment.astimezone(UTC)
