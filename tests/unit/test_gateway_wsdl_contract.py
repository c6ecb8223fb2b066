"""wsdl/gateway.wsdl is what /soap/gateway?wsdl serves (regenerate with `make wsdl`)."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.app import create_app
from gateway.soap.wsdl import PLACEHOLDER_ADDRESS, gateway_wsdl
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders
from tests.wsdl_contract import contract

CHECKED_IN = Path(__file__).parents[2] / "wsdl" / "gateway.wsdl"
OPERATIONS = {
    "GetWorkOrderReservations",
    "UpdateWorkOrder",
    "CreateReservation",
    "ReleaseReservation",
    "ConsumeReservation",
    "ListReservations",
    "GetStockLevel",
    "ConsumeReservationPart",
    "ChangeReservationExpiry",
    "ChangeSourceExpiry",
    "ListBackorders",
    "ListShortages",
    "CancelBackorder",
}
LEGACY_NAMES = ("ITEMNO", "WHSE", "QTYOH", "RSVSTS", "REFNO", "LOTNO", "SRCID")


def served_wsdl() -> bytes:
    adapters = Adapters(FakeInventory(), FakeWorkOrders(), FakeTokenValidator())
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}, adapters=adapters)
    response = app.test_client().get("/soap/gateway?wsdl")
    assert response.status_code == 200
    return response.data


def test_the_served_wsdl_is_the_checked_in_file_but_for_the_address() -> None:
    served = served_wsdl().replace(b"http://localhost/soap/gateway", PLACEHOLDER_ADDRESS.encode())
    assert served == CHECKED_IN.read_bytes(), "wsdl/gateway.wsdl drifted: run `make wsdl`"


def test_the_generated_wsdl_is_stable() -> None:
    assert gateway_wsdl() == gateway_wsdl() == CHECKED_IN.read_bytes()


def test_the_contract_has_its_thirteen_operations_each_with_the_gateway_fault() -> None:
    operations = contract(CHECKED_IN.read_bytes())["operations"]
    assert set(operations) == OPERATIONS
    assert all(faults == ("tns:GatewayFault",) for _, _, faults in operations.values())


def test_types_use_the_common_models_names_not_the_legacy_ones() -> None:
    text = CHECKED_IN.read_text()
    assert not [name for name in LEGACY_NAMES if re.search(rf'name="{name}"', text)]
    for name in ("itemSkuId", "warehouseId", "onHand", "ownerId", "expiresAt", "reference"):
        assert f'name="{name}"' in text


def test_a_changed_type_is_detected_as_drift() -> None:
    original = CHECKED_IN.read_bytes()
    tampered = original.replace(
        b'name="onHand" type="xs:decimal"', b'name="onHand" type="xs:float"'
    )
    assert tampered != original
    assert contract(tampered) != contract(original)
