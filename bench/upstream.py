"""The upstream side of a comparison: the SOAP envelopes the gateway sends, the sandbox's real
answers to them, and those answers installed as the sandbox's canned (pre-rendered) answers.

Envelopes are built with zeep from the WSDL, as the gateway's adapter builds them (without its
CorrelationId header); nothing here calls the gateway's code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import zeep
from lxml import etree

from bench.processes import Sandbox

BINDING = "{urn:legacy-erp:inventory:v1}InventoryService"
WSDL = Path(__file__).resolve().parents[1] / "wsdl" / "inventory.wsdl"
INVENTORY_AUDIENCE = "api://sandbox-inventory"
WORKORDERS_AUDIENCE = "api://sandbox-workorders"
RSV = "{urn:legacy-erp:inventory:v1}RSV"


@dataclass(frozen=True)
class Envelope:
    operation: str
    body: str


class Upstream:
    """Envelopes, raw requests and canned answers for one running sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.inventory_token = sandbox.token(INVENTORY_AUDIENCE)
        self.workorders_token = sandbox.token(WORKORDERS_AUDIENCE)
        self._client = zeep.Client(str(WSDL))
        self._service = self._client.create_service(BINDING, sandbox.describe["inventoryUrl"])

    def envelope(self, operation: str, **arguments: Any) -> Envelope:
        message = self._client.create_message(self._service, operation, **arguments)
        return Envelope(operation, etree.tostring(message, encoding="unicode"))

    def soap_request(self, envelope: Envelope) -> dict[str, Any]:
        """A load-generator request: the envelope POSTed raw to the inventory service."""
        return {
            "method": "POST",
            "path": urlsplit(self.sandbox.describe["inventoryUrl"]).path,
            "headers": {"Content-Type": "text/xml; charset=utf-8",
                        "SOAPAction": f'"{envelope.operation}"',
                        "Authorization": f"Bearer {self.inventory_token}"},
            "body": envelope.body,
        }  # fmt: skip

    def work_order_request(self, work_order_id: str) -> dict[str, Any]:
        return {
            "method": "GET",
            "path": f"/api/v1/work-orders/{work_order_id}",
            "headers": {"Authorization": f"Bearer {self.workorders_token}"},
        }

    def soap_answer(self, envelope: Envelope) -> str:
        """The sandbox's own answer to ``envelope`` (its service runs: canned answers off)."""
        request = self.soap_request(envelope)
        answer = requests.post(
            self.sandbox.describe["inventoryUrl"], data=envelope.body.encode(),
            headers=request["headers"], timeout=120,
        )  # fmt: skip
        answer.raise_for_status()
        return answer.text

    def work_order_answer(self, work_order_id: str) -> str:
        answer = requests.get(
            self.sandbox.describe["workOrdersUrl"] + f"/api/v1/work-orders/{work_order_id}",
            headers={"Authorization": f"Bearer {self.workorders_token}"}, timeout=60,
        )  # fmt: skip
        answer.raise_for_status()
        return answer.text

    def can(self, inventory: dict[str, str], workorders: dict[str, str] | None = None) -> None:
        """From now on the sandbox answers these operations with these bodies, after L."""
        self.sandbox.faults("inventory", canned_answers=inventory)
        self.sandbox.faults("workOrders", canned_answers=workorders or {})


def numbered_reservation(answer: str) -> str:
    """A Reserve answer whose reservation number the sandbox counts up (``{seq}``)."""
    return re.sub(r"(<(?:\w+:)?RSVNO>)[^<]*(</)", r"\1{seq}\2", answer, count=1)
