"""The WSDL the sandbox serves is the checked-in contract, in operations and types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.wsdl_contract import contract

CHECKED_IN = Path(__file__).parents[2] / "wsdl" / "inventory.wsdl"


def test_served_wsdl_matches_the_checked_in_contract(sandbox: Any) -> None:
    served = requests.get(sandbox.describe()["inventoryUrl"] + "?wsdl", timeout=10)
    assert served.status_code == 200
    assert contract(served.content) == contract(CHECKED_IN.read_bytes())


def test_contract_has_the_batch_operations() -> None:
    operations = contract(CHECKED_IN.read_bytes())["operations"]
    assert {"GetBalances", "ListReservationsBySources", "Reserve", "PostTransaction"} <= set(
        operations
    )
    assert all(faults == ("tns:LEGACYFAULT",) for _, _, faults in operations.values())


@pytest.mark.parametrize(
    ("checked_in", "changed"),
    [
        (b'name="QTYOH" type="tns:QUANTITY"', b'name="QTYOH" type="xs:decimal"'),
        (b'<xs:fractionDigits value="3"/>', b'<xs:fractionDigits value="4"/>'),
    ],
)
def test_a_changed_type_is_detected_as_drift(checked_in: bytes, changed: bytes) -> None:
    original = CHECKED_IN.read_bytes()
    tampered = original.replace(checked_in, changed)
    assert tampered != original
    assert contract(tampered) != contract(original)
