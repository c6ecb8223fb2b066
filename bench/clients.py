"""Who calls what: the gateway over HTTP, a plain zeep client, and a naive per-material client."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from typing import Any

import requests
import zeep
from lxml import etree

from adapters.inventory_soap import BINDING
from bench.stack import Stack
from gateway.services.ports import InventoryPort, WorkOrderPort

INVENTORY_AUDIENCE = "api://sandbox-inventory"
RSV = "{urn:legacy-erp:inventory:v1}RSV"


class GatewayClient:
    """A MES-like REST client: one keep-alive session per thread."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        self._base_url = base_url
        self._headers = headers
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def get(self, path: str, **params: Any) -> Any:
        answer = self._session().get(
            self._base_url + path, params=params, headers=self._headers, timeout=60
        )
        return _checked(answer, 200)

    def post(self, path: str, body: dict[str, Any], key: str) -> Any:
        headers = {**self._headers, "Idempotency-Key": key}
        answer = self._session().post(self._base_url + path, json=body, headers=headers, timeout=60)
        return _checked(answer, 201)


def _checked(answer: requests.Response, status: int) -> Any:
    if answer.status_code != status:
        raise RuntimeError(
            f"{answer.request.method} {answer.url}: {answer.status_code} {answer.text}"
        )
    return answer.json()


def plain_zeep(stack: Stack) -> Any:
    """The inventory service as a hand-written zeep script would call it (a held token)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.upstream_token(INVENTORY_AUDIENCE)}"
    wsdl = stack.gateway.app.config["INVENTORY_WSDL"]
    client = zeep.Client(wsdl, transport=zeep.Transport(session=session))
    return client, client.create_service(BINDING, stack.sandbox.describe()["inventoryUrl"])


def real_adapters(stack: Stack) -> Any:
    """The gateway's own adapters, built from its settings, used without the gateway."""
    from gateway.settings import Settings
    from gateway.wiring import build_adapters

    return build_adapters(Settings.from_mapping(stack.gateway.app.config))


@dataclass(frozen=True)
class NaiveMaterial:
    item_number: str
    description: str
    reservations: int


def naive_work_order_reservations(
    work_order_id: str, work_orders: WorkOrderPort, inventory: InventoryPort
) -> list[NaiveMaterial]:
    """One upstream call per material and question, one after the other."""
    work_order = work_orders.get_work_order(work_order_id)
    materials = []
    for operation in work_order.operations:
        for material in operation.materials:
            item = inventory.get_item(material.item_number)
            held = [
                r
                for r in inventory.list_reservations(material.item_number)
                if r.source.id == work_order.id
            ]
            materials.append(NaiveMaterial(material.item_number, item.description, len(held)))
    return materials


def three_calls(work_order_id: str, work_orders: WorkOrderPort, inventory: InventoryPort) -> int:
    """The gateway's three upstream calls for a work order, made directly, in sequence."""
    work_order = work_orders.get_work_order(work_order_id)
    reservations = inventory.list_reservations_by_sources([work_order.id])
    balances = inventory.get_item_balances(list(work_order.item_numbers()))
    return len(reservations) + len(balances)


def lxml_reservations(bodies: list[bytes]) -> list[dict[str, str | None]]:
    """The RSV records of SOAP answers with lxml alone: each field's text by element name."""
    rows = []
    for body in bodies:
        for record in etree.fromstring(body).iter(RSV):
            rows.append({field.tag.rpartition("}")[2]: field.text for field in record})
    return rows


class CannedAnswers(requests.adapters.BaseAdapter):
    """A transport that answers every request with the next captured body: no network."""

    def __init__(self, bodies: list[bytes]) -> None:
        super().__init__()
        self._bodies = bodies
        self._next = 0

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        body = self._bodies[self._next % len(self._bodies)]
        self._next += 1
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.headers["Content-Length"] = str(len(body))
        response.raw = io.BytesIO(body)
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        """Nothing to close."""
