"""Legacy fault numbers → domain errors: each number the contract documents has its code."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.inventory_faults import error_for_fault
from gateway.domain.errors import (
    STATUS_BY_CODE,
    ConsumeExceedsReserved,
    GatewayError,
    ReferenceReused,
    ReservationNotExpired,
)


def detail(number: int, message: str) -> etree._Element:
    return etree.fromstring(
        f"<detail><LEGACYERR><ERRNO>{number}</ERRNO><ERRMSG>{message}</ERRMSG></LEGACYERR></detail>"
    )


@pytest.mark.parametrize(
    ("number", "message", "kind", "code"),
    [
        (245, "QUANTITY EXCEEDS RESERVED", ConsumeExceedsReserved,
         "inventory.reservation.over_consume"),
        (270, "RESERVATION NOT EXPIRED", ReservationNotExpired,
         "inventory.reservation.not_expired"),
    ],
)  # fmt: skip
def test_the_new_legacy_faults_are_their_own_conflicts(
    number: int, message: str, kind: type[GatewayError], code: str
) -> None:
    error = error_for_fault("inventory", message, detail(number, message))
    assert type(error) is kind
    assert (error.code, STATUS_BY_CODE[error.code]) == (code, 409)
    assert error.extra["legacy_error"] == number
    assert error.detail == message.capitalize()


def test_a_reused_reference_is_a_key_reused_with_its_number() -> None:
    """A key (or SOAP reference) used before for another request: the caller's 422, not 502."""
    error = error_for_fault("inventory", "REFNO ALREADY USED", detail(260, "REFNO ALREADY USED"))
    assert type(error) is ReferenceReused
    assert (error.code, STATUS_BY_CODE[error.code]) == ("idempotency.key_reused", 422)
    assert error.extra["legacy_error"] == 260
