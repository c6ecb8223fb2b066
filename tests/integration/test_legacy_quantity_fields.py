"""Legacy quantities are DECIMAL(13, 3) (issue 16.3): in the served contract and on the wire.

The adapter is driven directly, past the gateway's own edge checks, so what is tested is the
sandbox's fault 240 and the adapter's mapping of it to ``inventory.reservation.invalid_quantity``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from lxml import etree

from adapters.inventory_soap import InventorySoapClient
from gateway.domain.errors import InvalidQuantity
from gateway.domain.model import (
    InventoryTransaction,
    ReleaseReason,
    ReservationRequest,
    ReservationType,
    Source,
    SourceType,
)
from gateway.domain.reservation_rules import (
    LEGACY_FRACTION_DIGITS,
    LEGACY_INTEGER_DIGITS,
    LEGACY_QUANTITY_MAX,
)

XS = "http://www.w3.org/2001/XMLSchema"
CHECKED_IN = Path(__file__).parents[2] / "wsdl" / "inventory.wsdl"
QUANTITY_FIELDS = {"QTY", "QTYOH", "QTYRSV", "MINSTK", "REORDPT", "QTYPRV", "QTYNEW"}
UNHOLDABLE = ["12345678901", "1.2345", "NaN", "Infinity", "1" + "0" * 40, "1E-400"]
SKU, WAREHOUSE = "RM-1025", "W01"  # allows negative stock: only the quantity's width can refuse


@pytest.fixture(scope="module")
def inventory(gateway_app: Any) -> InventorySoapClient:
    client: InventorySoapClient = gateway_app.extensions["gateway"].adapters.inventory
    return client


def reservation(quantity: str, source_id: str) -> ReservationRequest:
    return ReservationRequest(
        reference=f"IT-{uuid.uuid4().hex[:16]}", item_sku_id=SKU, warehouse_id=WAREHOUSE,
        quantity=Decimal(quantity), type=ReservationType.PRODUCTION,
        source=Source(SourceType.WORK_ORDER, source_id), owner_id="PLANT-A", override=True,
    )  # fmt: skip


def movement(quantity: str) -> InventoryTransaction:
    return InventoryTransaction(
        reference=f"IT-{uuid.uuid4().hex[:16]}", item_sku_id=SKU, warehouse_id=WAREHOUSE,
        quantity=Decimal(quantity), transaction_type="ADJ", transaction_date=datetime.now(UTC),
        source=Source(SourceType.TRANSACTION, "IT-QTY"),
    )  # fmt: skip


def stock(inventory: InventorySoapClient) -> tuple[Decimal, Decimal]:
    level = inventory.get_stock_level(SKU, WAREHOUSE)
    return level.on_hand, level.reserved


@pytest.mark.parametrize("quantity", UNHOLDABLE)
def test_a_reserve_the_legacy_field_cannot_hold_is_invalid_quantity_and_reserves_nothing(
    inventory: InventorySoapClient, quantity: str
) -> None:
    source_id = f"WO-{uuid.uuid4().hex[:12]}"
    before = stock(inventory)
    with pytest.raises(InvalidQuantity) as error:
        inventory.reserve(reservation(quantity, source_id))
    assert error.value.code == "inventory.reservation.invalid_quantity"
    assert error.value.extra["legacy_error"] == 240
    assert stock(inventory) == before
    assert inventory.list_reservations_by_sources([source_id]) == []


@pytest.mark.parametrize("quantity", UNHOLDABLE)
def test_a_transaction_the_legacy_field_cannot_hold_is_invalid_quantity_and_moves_nothing(
    inventory: InventorySoapClient, quantity: str
) -> None:
    before = stock(inventory)
    with pytest.raises(InvalidQuantity):
        inventory.post_transaction(movement(quantity))
    assert stock(inventory) == before


def test_a_reserve_that_fits_the_field_reaches_the_legacy_system(
    inventory: InventorySoapClient,
) -> None:
    source_id = f"WO-{uuid.uuid4().hex[:12]}"
    made = inventory.reserve(reservation("0.001", source_id))
    assert made.quantity == Decimal("0.001")
    inventory.release(made.id, ReleaseReason.RELEASED)


def served_wsdl(sandbox: Any) -> etree._Element:
    answer = requests.get(sandbox.describe()["inventoryUrl"] + "?wsdl", timeout=10)
    assert answer.status_code == 200
    return etree.fromstring(answer.content)


def quantity_facets(wsdl: etree._Element) -> dict[str, str]:
    quantity = wsdl.find(f".//{{{XS}}}simpleType[@name='QUANTITY']/{{{XS}}}restriction")
    assert quantity is not None and quantity.get("base") == "xs:decimal"
    return {etree.QName(facet).localname: facet.get("value") or "" for facet in quantity}


def test_the_served_wsdl_types_every_quantity_as_decimal_13_3(sandbox: Any) -> None:
    wsdl = served_wsdl(sandbox)
    assert quantity_facets(wsdl) == {
        "totalDigits": "13",
        "fractionDigits": "3",
        "minInclusive": "-9999999999.999",
        "maxInclusive": "9999999999.999",
    }
    typed = {
        element.get("name"): element.get("type")
        for element in wsdl.iter(f"{{{XS}}}element")
        if element.get("name") in QUANTITY_FIELDS
    }
    assert set(typed) == QUANTITY_FIELDS
    assert set(typed.values()) == {"tns:QUANTITY"}
    assert not [e for e in wsdl.iter(f"{{{XS}}}element") if e.get("type") == "xs:decimal"]


def test_the_gateway_bounds_its_quantities_as_the_checked_in_contract_does() -> None:
    facets = quantity_facets(etree.parse(CHECKED_IN).getroot())
    assert int(facets["totalDigits"]) == LEGACY_INTEGER_DIGITS + LEGACY_FRACTION_DIGITS
    assert int(facets["fractionDigits"]) == LEGACY_FRACTION_DIGITS
    assert Decimal(facets["maxInclusive"]) == LEGACY_QUANTITY_MAX
