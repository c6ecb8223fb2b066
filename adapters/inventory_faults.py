"""Legacy fault numbers and transport failures → the gateway's error codes."""

from __future__ import annotations

import zeep.exceptions

from adapters.http_session import transport_error
from gateway.domain.errors import (
    GatewayError,
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotFound,
    UnknownWarehouse,
    UpstreamFault,
    UpstreamUnavailable,
)

LEGACY_ERRORS: dict[int, type[GatewayError]] = {
    100: ItemNotFound,
    110: ItemNotStockTracked,
    200: InsufficientStock,
    210: ReservationNotFound,
    220: ReservationAlreadyReleased,
    230: ReservationAlreadyClosed,
    240: InvalidQuantity,
}
UNKNOWN_WAREHOUSE = 120


def legacy_error_number(fault: zeep.exceptions.Fault) -> int | None:
    """``detail/LEGACYERR/ERRNO`` of a legacy fault, if it has one."""
    if fault.detail is None:
        return None
    found = fault.detail.findtext(".//ERRNO")
    return int(found) if found and found.strip().isdigit() else None


def error_for_fault(upstream: str, fault: zeep.exceptions.Fault) -> GatewayError:
    number = legacy_error_number(fault)
    message = (fault.message or "").strip()
    if number in LEGACY_ERRORS:
        return LEGACY_ERRORS[number](message.capitalize() or None, legacy_error=number)
    if number == UNKNOWN_WAREHOUSE:
        return UnknownWarehouse()
    return UpstreamFault(upstream, f"legacy error {number}: {message}", legacy_error=number)


def error_for_transport(upstream: str, error: Exception) -> GatewayError:
    failed = transport_error(upstream, error)
    if failed is not None:
        return failed
    if isinstance(error, zeep.exceptions.TransportError):
        if error.status_code >= 500:
            return UpstreamUnavailable(upstream, f"HTTP {error.status_code}")
        return UpstreamFault(upstream, f"HTTP {error.status_code}")
    return UpstreamFault(upstream, f"unreadable answer ({type(error).__name__})")
