"""How the legacy system speaks SOAP: its faults, and quantities read before the schema."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from spyne.protocol.soap import Soap11

from sandbox.inventory.errors import LegacyError
from sandbox.inventory.quantity import check_quantity
from sandbox.inventory.types import LEGACYFAULT, NAMESPACE, QUANTITY_FIELDS

QUANTITY_TAGS = tuple(f"{{{NAMESPACE}}}{name}" for name in sorted(QUANTITY_FIELDS))


def legacy_fault(error: LegacyError) -> LEGACYFAULT:
    """The SOAP fault the legacy system answers ``error`` with."""
    return LEGACYFAULT(
        faultcode="Client" if error.is_client_error else "Server",
        faultstring=error.message,
        detail={"LEGACYERR": {"ERRNO": str(error.number), "ERRMSG": error.message}},
    )


class LegacySoap11(Soap11):
    """SOAP 1.1 with schema validation, after the quantity fields' own check.

    The QUANTITY facets would refuse a number the DECIMAL(13, 3) column cannot hold with
    spyne's SchemaValidationError; the legacy system answers its fault 240 for that, as the
    store does for the same number, so a request's quantities are read first. Text that is no
    number at all is left to the schema.
    """

    def validate_body(self, ctx: Any, message: Any) -> None:
        if message is self.REQUEST:
            for element in ctx.in_body_doc.iter(*QUANTITY_TAGS):
                _check_quantity_text(element.text)
        super().validate_body(ctx, message)


def _check_quantity_text(text: str | None) -> None:
    try:
        value = Decimal((text or "").strip())
    except InvalidOperation:
        return
    try:
        check_quantity(value)
    except LegacyError as error:
        raise legacy_fault(error) from None
