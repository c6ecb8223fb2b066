"""Answers the real sandbox serves as the inventory's (its ``raw_answer`` knob), read by the real
adapter with lxml (decision 154): a contract answer reads, and an answer with an element out of
the contract, a required element missing, nesting past ``XML_MAX_DEPTH`` or a DOCTYPE is
``upstream.fault``, over REST too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.errors import UpstreamFault
from gateway.domain.model import ReservationStatus
from tests.integration.reservation_helpers import problem_code

SAMPLE = Path(__file__).parents[1] / "legacy_messages" / "release_answer.xml"
ANSWER = SAMPLE.read_text().replace("ReleaseRes", "GetReservationRes")  # Response and Result
CLOSE = "<tns:CLSDTM></tns:CLSDTM>"


def deep(levels: int) -> str:
    """The answer with ``levels`` elements nested inside its LOC (itself five levels down)."""
    return ANSWER.replace(
        "<tns:LOC></tns:LOC>", f"<tns:LOC>{'<a>' * levels}{'</a>' * levels}</tns:LOC>"
    )


REFUSED = {
    "an unexpected extra element": (
        ANSWER.replace(CLOSE, CLOSE + "<tns:EXTRA>1</tns:EXTRA>"),
        "unreadable answer (XMLParseError)",
    ),
    "an element twice": (
        ANSWER.replace("<tns:WHSE>W02</tns:WHSE>", "<tns:WHSE>W02</tns:WHSE>" * 2),
        "unreadable answer (XMLParseError)",
    ),
    "a missing required element": (
        ANSWER.replace("<tns:RSVNO>42</tns:RSVNO>", ""),
        "unexpected answer: RSVNO is blank",
    ),
    "a garbled quantity": (
        ANSWER.replace("<tns:QTY>1.500</tns:QTY>", "<tns:QTY>1,5</tns:QTY>"),
        "unexpected answer: QTY is not a decimal: '1,5'",
    ),
    "an empty result": (
        ANSWER.split("<tns:GetReservationResult>")[0]
        + "<tns:GetReservationResult/></tns:GetReservationResponse></soap11env:Body>"
        + "</soap11env:Envelope>",
        "unexpected answer: the result is empty",
    ),
    "nesting one past the depth limit": (deep(96), "unreadable answer (UnsafeAnswer)"),
    "nesting past libxml2's own limit": (deep(5_000), "unreadable answer (UnsafeAnswer)"),
    "a DOCTYPE with an entity": (
        ANSWER.replace("?>", '?><!DOCTYPE soap11env:Envelope [<!ENTITY w "W02">]>', 1).replace(
            ">W02<", ">&w;<"
        ),
        "unreadable answer (UnsafeAnswer)",
    ),
}


@pytest.fixture(scope="module")
def inventory(gateway_app: Flask) -> InventorySoapClient:
    client: InventorySoapClient = gateway_app.extensions["gateway"].adapters.inventory
    return client


def serve(faults: Any, answer: str) -> None:
    faults.inventory.knobs.update({"raw_answer": answer, "operations": ["GetReservation"]})


def test_a_contract_answer_served_raw_is_read(inventory: InventorySoapClient, faults: Any) -> None:
    serve(faults, ANSWER)
    read = inventory.get_reservation("42")
    assert (read.id, read.item_sku_id, str(read.quantity)) == ("42", "RM-1002", "1.500")
    assert read.status is ReservationStatus.RELEASED and read.location is None


def test_nesting_up_to_the_depth_limit_is_read(inventory: InventorySoapClient, faults: Any) -> None:
    serve(faults, deep(95))  # LOC is level 5: its deepest child is level 100
    assert inventory.get_reservation("42").id == "42"


@pytest.mark.parametrize("case", REFUSED)
def test_an_answer_outside_the_contract_is_an_upstream_fault(
    inventory: InventorySoapClient, faults: Any, case: str
) -> None:
    answer, detail = REFUSED[case]
    serve(faults, answer)
    with pytest.raises(UpstreamFault) as refused:
        inventory.get_reservation("42")
    assert refused.value.detail == detail


@pytest.mark.parametrize("case", ["an unexpected extra element", "a DOCTYPE with an entity"])
def test_over_rest_a_refused_answer_is_upstream_fault(
    gateway_app: Flask, staff_a: dict[str, str], faults: Any, case: str
) -> None:
    serve(faults, REFUSED[case][0])
    answer = gateway_app.test_client().get("/api/inventory/reservations/42", headers=staff_a)
    assert problem_code(answer) == "upstream.fault"
    assert answer.status_code == 502
