"""Hostile REST input (issue 16): each gets its own 4xx and nothing is written upstream."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from tests.integration.reservation_helpers import body, problem_code
from tests.live_server import serving

SKU, WAREHOUSE = "RM-1002", "W02"
RESERVE = "/api/inventory/reservations"


def _raw(overrides: dict[str, Any]) -> str:
    """A create body as JSON text, with ``overrides`` written verbatim (no re-encoding)."""
    document = {k: v for k, v in body(SKU).items() if k not in overrides}
    text = json.dumps({k: str(v) if isinstance(v, Decimal) else v for k, v in document.items()})
    text = text.replace('"quantity": "1"', '"quantity": 1')
    members = ", ".join(f'"{key}": {value}' for key, value in overrides.items())
    return text[:-1] + (", " if members else "") + members + "}"


HOSTILE: list[tuple[str, str, int, str]] = [
    ("quantity 1e309", _raw({"quantity": "1e309"}), 400, "inventory.reservation.invalid_quantity"),
    ("quantity of 40 digits", _raw({"quantity": "9" * 40}), 400,
     "inventory.reservation.invalid_quantity"),
    ("quantity 1E-400", _raw({"quantity": "1E-400"}), 400,
     "inventory.reservation.invalid_quantity"),
    ("40 fraction digits", _raw({"quantity": "0." + "1" * 40}), 400,
     "inventory.reservation.invalid_quantity"),
    ("four fraction digits", _raw({"quantity": "1.0001"}), 400,
     "inventory.reservation.invalid_quantity"),
    ("eleven integer digits", _raw({"quantity": "10000000000"}), 400,
     "inventory.reservation.invalid_quantity"),
    ("quantity as a string", _raw({"quantity": '"12.5"'}), 400, "request.invalid"),
    ("quantity as a padded string", _raw({"quantity": '" 3 "'}), 400, "request.invalid"),
    ("quantity NaN", _raw({"quantity": "NaN"}), 400, "request.invalid"),
    ("quantity Infinity", _raw({"quantity": "Infinity"}), 400, "request.invalid"),
    ("quantity true", _raw({"quantity": "true"}), 400, "request.invalid"),
    ("priority 50.5", _raw({"priority": "50.5"}), 400, "request.invalid"),
    ("priority as a string", _raw({"priority": '"50"'}), 400, "request.invalid"),
    ("expiry in year 9999", _raw({"expiresAt": '"9999-12-31T23:00:00+00:00"'}), 400,
     "request.invalid"),
    ("expiry past year 9999 by its offset", _raw({"expiresAt": '"9999-12-31T23:59:59-01:00"'}),
     400, "request.invalid"),
    ("naive expiry", _raw({"expiresAt": '"2030-01-01T00:00:00"'}), 400, "request.invalid"),
    ("SKU with a no-break space", _raw({"itemSkuId": '"\\u00a0RM-1002"'}), 400,
     "request.invalid"),
    ("SKU with a leading space", _raw({"itemSkuId": '" RM-1002"'}), 400, "request.invalid"),
    ("SKU with a trailing tab", _raw({"itemSkuId": '"RM-1002\\t"'}), 400, "request.invalid"),
    ("lot with an ideographic space", _raw({"lot": '"L1\\u3000"'}), 400, "request.invalid"),
    ("source id with a zero-width space", _raw({"source": '{"type": "sales_order", '
                                                          '"id": "SO\\u200b1"}'}), 400,
     "request.invalid"),
    ("duplicate quantity", _raw({"quantity": "1", "quantity ": "1"}).replace(
        '"quantity ": 1', '"quantity": 250000'), 400, "request.invalid"),
    ("nested 1,000 deep", _raw({"extra": "[" * 1000 + "]" * 1000}), 400, "request.invalid"),
    ("nested 20 deep", _raw({"extra": "[" * 20 + "]" * 20}), 400, "request.invalid"),
]  # fmt: skip


@pytest.fixture
def nothing_written(inventory: Any) -> Iterator[None]:
    """Available and the OPEN reservations of the item are what they were."""
    before = _state(inventory)
    yield
    assert _state(inventory) == before


def _state(inventory: Any) -> tuple[Decimal, Decimal, int]:
    level = inventory.get_stock_level(SKU, WAREHOUSE)
    return level.on_hand, level.reserved, level.available


@pytest.mark.parametrize(("name", "text", "status", "code"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_create_body_is_refused_with_its_code_and_writes_nothing(
    client: FlaskClient,
    staff_a: dict[str, str],
    nothing_written: None,
    name: str,
    text: str,
    status: int,
    code: str,
) -> None:
    headers = {**staff_a, "Content-Type": "application/json"}
    response = client.post(RESERVE, data=text.encode(), headers=headers)
    assert response.status_code == status, (name, response.data)
    assert problem_code(response) == code
    if code == "inventory.reservation.invalid_quantity":
        assert "9999999999.999" in response.get_json()["detail"]


def test_the_largest_quantity_the_legacy_fields_hold_is_accepted(
    client: FlaskClient, staff_a: dict[str, str], mint: Callable[..., str]
) -> None:
    """The bound itself is fine: refused for stock, not for its size (no override)."""
    headers = {**staff_a, "Content-Type": "application/json"}
    response = client.post(RESERVE, data=_raw({"quantity": "9999999999.999"}), headers=headers)
    assert problem_code(response) == "inventory.reservation.insufficient_stock"


def test_a_batch_line_with_an_unholdable_quantity_writes_no_line(
    client: FlaskClient, staff_a: dict[str, str], nothing_written: None
) -> None:
    text = '{"lines": [' + _raw({}) + ", " + _raw({"quantity": "1e309"}) + "]}"
    response = client.post(
        RESERVE + "/batch",
        data=text.encode(),
        headers={**staff_a, "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.data
    assert problem_code(response) == "inventory.reservation.invalid_quantity"


@pytest.mark.parametrize(
    ("field", "value"),
    [("transactionDate", "0001-01-01T00:00:30+00:00"), ("plannedStart", "9999-12-31T23:30:00Z")],
)
def test_work_order_update_timestamps_outside_the_legacy_years_are_a_400(
    client: FlaskClient, staff_a: dict[str, str], field: str, value: str
) -> None:
    update = {"batchQuantity": 500, "plannedStart": "2030-03-15T05:00:00Z", field: value}
    response = client.put(
        "/api/v2/work-orders/WO-1001?recipe-name=BREAD-WHITE", json=update, headers=staff_a
    )
    assert response.status_code == 400, response.data
    assert problem_code(response) == "request.invalid"
    assert field in response.get_json()["errors"]


def _chunks(size: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    prefix = _raw({"padding": '"'}).encode()
    yield prefix
    sent = len(prefix)
    while sent < size:
        yield b"x" * piece
        sent += piece
    yield b'"}'


@pytest.mark.parametrize("size", [3 * 1024 * 1024, 40 * 1024 * 1024])
def test_a_chunked_body_over_the_limit_is_a_413_and_writes_nothing(
    gateway_app: Flask, staff_a: dict[str, str], nothing_written: None, size: int
) -> None:
    with serving(gateway_app) as url:
        response = requests.post(
            url + RESERVE,
            data=_chunks(size),
            headers={**staff_a, "Content-Type": "application/json"},
            timeout=120,
        )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "request.too_large"


def test_a_declared_body_over_the_limit_is_a_413(
    gateway_app: Flask, staff_a: dict[str, str], nothing_written: None
) -> None:
    data = _raw({"padding": '"' + "x" * (3 * 1024 * 1024) + '"'}).encode()
    with serving(gateway_app) as url:
        response = requests.post(
            url + RESERVE, data=data, headers={**staff_a, "Content-Type": "application/json"},
            timeout=120,
        )  # fmt: skip
    assert response.status_code == 413 and response.json()["code"] == "request.too_large"


def test_a_small_chunked_body_is_read_whole_and_served(
    gateway_app: Flask, staff_a: dict[str, str]
) -> None:
    reference = f"SO-{uuid.uuid4().hex[:10]}"
    document = json.loads(_raw({}))
    document["source"]["id"] = reference
    data = json.dumps(document).encode()
    with serving(gateway_app) as url:
        response = requests.post(
            url + RESERVE, data=iter([data[:10], data[10:]]),
            headers={**staff_a, "Content-Type": "application/json"}, timeout=120,
        )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["source"]["id"] == reference
