"""The shortage view (issue 15.5) against the sandbox: OPEN reservations on-hand no longer
covers after an ERP count, by priority then age, owner-scoped and paginated."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from gateway.domain.model import InventoryTransaction, Source, SourceType
from tests.integration.reservation_helpers import create, set_available

SKU, WAREHOUSE = "RM-1226", "W01"  # a pair no other test reserves
SHORTAGES = "/api/inventory/alerts/shortages"


@pytest.fixture
def made(client: FlaskClient, staff_a: dict[str, str], inventory: Any) -> Iterator[list[str]]:
    """Three OPEN reservations on a pair with exactly 10 on-hand free for them; released after."""
    set_available(inventory, SKU, WAREHOUSE, Decimal(10))
    ids: list[str] = []
    for quantity, priority in ((4, 50), (3, 90), (3, 50)):
        response = create(client, staff_a, sku=SKU, warehouseId=WAREHOUSE, quantity=quantity,
                          priority=priority)  # fmt: skip
        assert response.status_code == 201, response.data
        ids.append(response.get_json()["id"])
    yield ids
    for reservation_id in ids:
        client.put(f"/api/inventory/reservations/{reservation_id}/release", headers=staff_a)


def count(inventory: Any, quantity: Decimal) -> None:
    """An ERP stock count that moves on-hand by ``quantity``."""
    inventory.post_transaction(InventoryTransaction(
        reference=f"CNT-{uuid.uuid4().hex[:16]}", item_sku_id=SKU, warehouse_id=WAREHOUSE,
        quantity=quantity, transaction_type="ADJ", transaction_date=datetime.now(UTC),
        source=Source(SourceType.TRANSACTION, "COUNT"),
    ))  # fmt: skip


def shortages(client: FlaskClient, headers: dict[str, str], query: str = "") -> Any:
    response = client.get(f"{SHORTAGES}?itemSkuId={SKU}&warehouseId={WAREHOUSE}{query}",
                          headers=headers)  # fmt: skip
    assert response.status_code == 200, response.data
    return response.get_json()


def test_reservations_are_short_once_a_count_drops_on_hand_the_lowest_served_first(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, made: list[str]
) -> None:
    assert shortages(client, staff_a)["items"] == []
    count(inventory, Decimal(-5))  # 10 → 5 on-hand for 3 (prio 90) + 4 + 3 (prio 50) reserved
    page = shortages(client, staff_a)
    assert page["total"] == 2
    short = [(s["reservation"]["id"], s["shortQuantity"], s["onHand"]) for s in page["items"]]
    assert short == [(made[0], Decimal(2), Decimal(5)), (made[2], Decimal(3), Decimal(5))]
    assert page["items"][0]["reservation"]["status"] == "OPEN"


def test_the_shortage_view_is_paginated_like_the_listing(
    client: FlaskClient, staff_a: dict[str, str], inventory: Any, made: list[str]
) -> None:
    count(inventory, Decimal(-8))  # 2 on-hand: all three are short
    first = shortages(client, staff_a, "&limit=2")
    rest = shortages(client, staff_a, "&offset=2&limit=2")
    assert (first["total"], first["limit"], rest["offset"]) == (3, 2, 2)
    ids = [s["reservation"]["id"] for s in first["items"] + rest["items"]]
    assert ids == [made[1], made[0], made[2]]
    bad = client.get(f"{SHORTAGES}?limit=0", headers=staff_a)
    assert bad.status_code == 400 and bad.get_json()["code"] == "request.invalid"


def test_another_owner_sees_nothing_of_a_plants_shortages(
    client: FlaskClient, mint: Callable[..., str], inventory: Any, made: list[str]
) -> None:
    count(inventory, Decimal(-10))
    staff_b = {"Authorization": f"Bearer {mint(owners=('PLANT-B',), subject='staff-b')}"}
    everything = client.get(f"{SHORTAGES}?limit=500", headers=staff_b).get_json()
    assert all(s["reservation"]["ownerId"] == "PLANT-B" for s in everything["items"])
    assert shortages(client, staff_b) == {"items": [], "total": 0, "offset": 0, "limit": 50}
    no_role = {"Authorization": f"Bearer {mint(roles=('Gateway.Admin',))}"}
    assert client.get(SHORTAGES, headers=no_role).status_code == 403
