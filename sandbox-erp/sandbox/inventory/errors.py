"""Legacy error numbers, as the old inventory system reports them in its faults."""

from __future__ import annotations

ITEM_NOT_FOUND = 100
ITEM_NOT_STOCK_TRACKED = 110
WAREHOUSE_NOT_FOUND = 120
INSUFFICIENT_STOCK = 200
RESERVATION_NOT_FOUND = 210
RESERVATION_ALREADY_RELEASED = 220
RESERVATION_ALREADY_CLOSED = 230
INVALID_QUANTITY = 240
INVALID_CODE = 250
REFERENCE_REUSED = 260
INVALID_DATE = 300
NOT_AUTHORIZED = 900
SYSTEM_ERROR = 999

MESSAGES = {
    ITEM_NOT_FOUND: "ITEM NOT FOUND",
    ITEM_NOT_STOCK_TRACKED: "ITEM NOT STOCK TRACKED",
    WAREHOUSE_NOT_FOUND: "WAREHOUSE NOT FOUND",
    INSUFFICIENT_STOCK: "INSUFFICIENT STOCK",
    RESERVATION_NOT_FOUND: "RESERVATION NOT FOUND",
    RESERVATION_ALREADY_RELEASED: "RESERVATION ALREADY RELEASED",
    RESERVATION_ALREADY_CLOSED: "RESERVATION ALREADY CLOSED",
    INVALID_QUANTITY: "INVALID QUANTITY",
    INVALID_CODE: "INVALID CODE",
    REFERENCE_REUSED: "REFNO ALREADY USED FOR OTHER DATA",
    INVALID_DATE: "INVALID DATE",
    NOT_AUTHORIZED: "NOT AUTHORIZED",
    SYSTEM_ERROR: "SYSTEM ERROR",
}


class LegacyError(Exception):
    """An error the legacy system reports as a SOAP fault with its number."""

    def __init__(self, number: int, message: str | None = None) -> None:
        self.number = number
        self.message = message or MESSAGES.get(number, "ERROR")
        super().__init__(f"{number} {self.message}")

    @property
    def is_client_error(self) -> bool:
        return self.number < 900
