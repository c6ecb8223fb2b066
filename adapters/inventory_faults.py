"""Legacy fault numbers and transport failures → the gateway's error codes."""

from __future__ import annotations

from lxml import etree

from adapters.http_session import transport_error
from adapters.inventory_answers import UnreadableAnswer
from gateway.domain.errors import (
    ConsumeExceedsReserved,
    GatewayError,
    InsufficientStock,
    InvalidQuantity,
    ItemNotFound,
    ItemNotStockTracked,
    ReferenceReused,
    ReservationAlreadyClosed,
    ReservationAlreadyReleased,
    ReservationNotExpired,
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
    245: ConsumeExceedsReserved,
    260: ReferenceReused,
    270: ReservationNotExpired,
}
UNKNOWN_WAREHOUSE = 120


def legacy_error_number(detail: etree._Element | None) -> int | None:
    """``detail/LEGACYERR/ERRNO`` of a legacy fault, if it has one."""
    if detail is None:
        return None
    found = detail.findtext(".//ERRNO")
    return int(found) if found and found.strip().isdigit() else None


def error_for_fault(
    upstream: str, faultstring: str | None, detail: etree._Element | None
) -> GatewayError:
    """A SOAP fault's domain error, by its legacy error number."""
    number = legacy_error_number(detail)
    message = (faultstring or "").strip()
    if number in LEGACY_ERRORS:
        return LEGACY_ERRORS[number](message.capitalize() or None, legacy_error=number)
    if number == UNKNOWN_WAREHOUSE:
        return UnknownWarehouse()
    return UpstreamFault(upstream, f"legacy error {number}: {message}", legacy_error=number)


def error_for_status(upstream: str, status: int) -> GatewayError:
    """An answer that is no envelope (not XML, or empty), by its HTTP status."""
    if status >= 500:
        return UpstreamUnavailable(upstream, f"HTTP {status}")
    return UpstreamFault(upstream, f"HTTP {status}")


def error_for_transport(upstream: str, error: Exception) -> GatewayError:
    """A failed exchange, an answer refused or not the contract's, a request zeep refused."""
    failed = transport_error(upstream, error)
    if failed is not None:
        return failed
    reason = error.reason if isinstance(error, UnreadableAnswer) else type(error).__name__
    return UpstreamFault(upstream, f"unreadable answer ({reason})")
