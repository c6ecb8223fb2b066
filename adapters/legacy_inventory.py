"""Legacy inventory fields ⇄ the common model.

The old system pads item numbers to 18 characters, writes blanks for "none", uses one-letter
codes and stamps ``YYYYMMDDHHMMSS`` on the plant's wall clock. Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from gateway.domain.errors import ItemNotFound, ReservationNotFound
from gateway.domain.model import (
    Consumption,
    InventoryTransaction,
    Item,
    ItemBalances,
    ReleaseReason,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    StockLevel,
)

ITEMNO_WIDTH = 18
STAMP_FORMAT = "%Y%m%d%H%M%S"

STATUS = {
    "O": ReservationStatus.OPEN,
    "R": ReservationStatus.RELEASED,
    "C": ReservationStatus.CLOSED,
}
TYPE = {
    "S": ReservationType.SALES,
    "P": ReservationType.PRODUCTION,
    "T": ReservationType.TRANSFER,
    "V": ReservationType.SERVICE,
}
SOURCE = {
    "WO": SourceType.WORK_ORDER,
    "SO": SourceType.SALES_ORDER,
    "TR": SourceType.TRANSFER,
    "AP": SourceType.APPOINTMENT,
    "TX": SourceType.TRANSACTION,
}
RELEASE_REASON = {
    "R": ReleaseReason.RELEASED,
    "E": ReleaseReason.EXPIRED,
    "C": ReleaseReason.CANCELLED,
}
TYPE_LETTER = {v: k for k, v in TYPE.items()}
SOURCE_CODE = {v: k for k, v in SOURCE.items()}
RELEASE_LETTER = {v: k for k, v in RELEASE_REASON.items()}


class LegacyDataError(ValueError):
    """The legacy system sent something the contract does not allow."""


class PlantClock:
    """Plant-local ``YYYYMMDDHHMMSS`` stamps ⇄ timezone-aware UTC.

    Where the plant's clock jumps, a local reading is resolved explicitly:
    - in the spring gap (a time that never happened) the offset in force *before* the jump
      is used, which is what naive "local + N minutes" arithmetic on the legacy side means;
    - in the autumn overlap (a time that happened twice) the *first* occurrence is used, except
      where ``later`` asks for the second: an expiry (``EXPDTM``) is read as the later instant,
      so that it never fires before the instant the caller gave
      (docs/decisions/010-plant-local-stamps.md).
    """

    def __init__(self, zone: ZoneInfo | str) -> None:
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)

    def to_utc(self, stamp: str | None, later: bool = False) -> datetime | None:
        """A legacy stamp (blank = none) as an aware UTC datetime; ``later``: fold=1."""
        if stamp is None or not stamp.strip():
            return None
        naive = _read_stamp(stamp.strip())
        # One round trip through the zone finds both the instant and whether it is in a gap:
        # a listing converts tens of thousands of stamps, so no second trip to ask.
        moment = naive.replace(tzinfo=self.zone, fold=int(later)).astimezone(UTC)
        if moment.astimezone(self.zone).replace(tzinfo=None) != naive:
            before_jump = self.zone.utcoffset(naive - timedelta(hours=3)) or timedelta()
            return (naive - before_jump).replace(tzinfo=UTC)
        return moment

    def to_legacy(self, moment: datetime | None) -> str:
        """An aware datetime as a plant-local stamp; none → blank."""
        if moment is None:
            return ""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("a naive datetime has no place on the plant's clock")
        return moment.astimezone(self.zone).strftime(STAMP_FORMAT)


def _read_stamp(stamp: str) -> datetime:
    """``YYYYMMDDHHMMSS`` exactly; sliced by hand, since strptime costs twice the rest."""
    if len(stamp) != len("YYYYMMDDHHMMSS") or not (stamp.isascii() and stamp.isdigit()):
        raise LegacyDataError(f"malformed legacy timestamp {stamp!r}")
    try:
        return datetime(
            int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]),
            int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14]),
        )  # fmt: skip
    except ValueError:
        raise LegacyDataError(f"malformed legacy timestamp {stamp!r}") from None


def pad_item_number(sku: str) -> str:
    """The fixed-width ITEMNO the legacy system expects; a longer one cannot exist there."""
    if len(sku) > ITEMNO_WIDTH:
        raise ItemNotFound(f"No item {sku}: item numbers have at most {ITEMNO_WIDTH} characters")
    return sku.ljust(ITEMNO_WIDTH)


RSVNO = re.compile("[0-9]{1,10}")


def reservation_number(reservation_id: str) -> str:
    """The legacy RSVNO (1–10 ASCII digits); any other id cannot exist there."""
    if not RSVNO.fullmatch(reservation_id):
        raise ReservationNotFound(f"No reservation {reservation_id}")
    return reservation_id


def text(value: Any) -> str | None:
    """Trimmed text; blank → None."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def required_text(record: Mapping[str, Any], name: str) -> str:
    value = text(record.get(name))
    if value is None:
        raise LegacyDataError(f"{name} is blank")
    return value


def decimal(value: Any, name: str = "quantity") -> Decimal:
    """A decimal exactly as sent; never through float."""
    if isinstance(value, Decimal):
        return value
    if value is None or isinstance(value, float):
        raise LegacyDataError(f"{name} is not a decimal: {value!r}")
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise LegacyDataError(f"{name} is not a decimal: {value!r}") from None


def flag(value: Any) -> bool:
    return (text(value) or "N").upper() == "Y"


def code(table: Mapping[str, Any], value: Any, name: str) -> Any:
    key = text(value) or ""
    if key not in table:
        raise LegacyDataError(f"unknown {name} code {value!r}")
    return table[key]


def item_from_legacy(record: Mapping[str, Any]) -> Item:
    return Item(
        sku_id=required_text(record, "ITEMNO"),
        description=text(record.get("ITEMDSC")) or "",
        uom=text(record.get("UOM")) or "",
        stock_tracked=flag(record.get("STKTRK")),
        allow_negative_stock=flag(record.get("NEGALW")),
    )


def item_balances_from_legacy(record: Mapping[str, Any]) -> ItemBalances:
    item = item_from_legacy(record)
    rows = (record.get("BALANCES") or {}).get("WHSBAL") or []
    return ItemBalances(item=item, levels=tuple(stock_level(item, row) for row in rows))


def stock_level(item: Item, row: Mapping[str, Any]) -> StockLevel:
    return StockLevel(
        item_sku_id=item.sku_id,
        warehouse_id=required_text(row, "WHSE"),
        on_hand=decimal(row.get("QTYOH"), "QTYOH"),
        reserved=decimal(row.get("QTYRSV"), "QTYRSV"),
        stock_tracked=item.stock_tracked,
        allow_negative_stock=item.allow_negative_stock,
        min_stock_level=decimal(row.get("MINSTK") or 0, "MINSTK"),
        reorder_point=decimal(row.get("REORDPT") or 0, "REORDPT"),
        owner_id=text(row.get("OWNER")),
    )


def reservation_from_legacy(record: Mapping[str, Any], clock: PlantClock) -> Reservation:
    reason = text(record.get("RELRSN"))
    return Reservation(
        id=required_text(record, "RSVNO"),
        reference=text(record.get("REFNO")),
        item_sku_id=required_text(record, "ITEMNO"),
        warehouse_id=required_text(record, "WHSE"),
        location=text(record.get("LOC")),
        lot=text(record.get("LOTNO")),
        quantity=decimal(record.get("QTY"), "QTY"),
        uom=text(record.get("UOM")),
        type=code(TYPE, record.get("RSVTYP"), "RSVTYP"),
        source=Source(
            type=code(SOURCE, record.get("SRCTYP"), "SRCTYP"),
            id=required_text(record, "SRCID"),
        ),
        priority=int(record.get("PRIO") or 0),
        status=code(STATUS, record.get("RSVSTS"), "RSVSTS"),
        owner_id=required_text(record, "OWNER"),
        created_at=clock.to_utc(record.get("CRTDTM")),
        created_by=text(record.get("CRTUSR")),
        expires_at=clock.to_utc(record.get("EXPDTM"), later=True),
        release_reason=code(RELEASE_REASON, reason, "RELRSN") if reason else None,
        released_at=clock.to_utc(record.get("RELDTM")),
        closed_at=clock.to_utc(record.get("CLSDTM")),
    )


def reservation_request_to_legacy(request: ReservationRequest, clock: PlantClock) -> dict[str, Any]:
    return {
        "REFNO": request.reference,
        "ITEMNO": pad_item_number(request.item_sku_id),
        "WHSE": request.warehouse_id,
        "LOC": request.location or "",
        "LOTNO": request.lot or "",
        "QTY": request.quantity,
        "UOM": request.uom or "",
        "RSVTYP": TYPE_LETTER[request.type],
        "SRCTYP": SOURCE_CODE[request.source.type],
        "SRCID": request.source.id,
        "PRIO": request.priority,
        "OWNER": request.owner_id,
        "EXPDTM": clock.to_legacy(request.expires_at),
        "CRTUSR": request.created_by or "",
        "OVRIDE": "Y" if request.override else "N",
    }


def consume_to_legacy(
    reservation_id: str, reference: str, quantity: Decimal | None, release_remainder: bool
) -> dict[str, Any]:
    """Consume's RSVNO, REFNO, QTY (absent: the whole reservation) and RELREM (a Y/N flag)."""
    return {
        "RSVNO": reservation_number(reservation_id),
        "REFNO": reference,
        "QTY": quantity,
        "RELREM": "Y" if release_remainder else "N",
    }


def expiry_change_to_legacy(
    reservation_id: str, expires_at: datetime | None, reference: str, clock: PlantClock
) -> dict[str, Any]:
    """ChangeExpiry's RSVNO, EXPDT (stamped as Reserve's EXPDTM; blank: no expiry) and REFNO."""
    return {
        "RSVNO": reservation_number(reservation_id),
        "EXPDT": clock.to_legacy(expires_at),
        "REFNO": reference,
    }


def transaction_to_legacy(transaction: InventoryTransaction, clock: PlantClock) -> dict[str, Any]:
    return {
        "REFNO": transaction.reference,
        "ITEMNO": pad_item_number(transaction.item_sku_id),
        "WHSE": transaction.warehouse_id,
        "LOC": transaction.location or "",
        "LOTNO": transaction.lot or "",
        "QTY": transaction.quantity,
        "TRNTYP": transaction.transaction_type,
        "TRNDTM": clock.to_legacy(transaction.transaction_date),
        "SRCTYP": SOURCE_CODE[transaction.source.type],
        "SRCID": transaction.source.id,
    }


def transaction_from_legacy(record: Mapping[str, Any], clock: PlantClock) -> InventoryTransaction:
    posted = clock.to_utc(record.get("TRNDTM"))
    if posted is None:
        raise LegacyDataError("TRNDTM is blank")
    return InventoryTransaction(
        reference=required_text(record, "REFNO"),
        item_sku_id=required_text(record, "ITEMNO"),
        warehouse_id=required_text(record, "WHSE"),
        quantity=decimal(record.get("QTY"), "QTY"),
        transaction_type=required_text(record, "TRNTYP"),
        transaction_date=posted,
        source=Source(
            type=code(SOURCE, record.get("SRCTYP"), "SRCTYP"),
            id=required_text(record, "SRCID"),
        ),
        location=text(record.get("LOC")),
        lot=text(record.get("LOTNO")),
        previous_on_hand=decimal(record.get("QTYPRV"), "QTYPRV"),
        new_on_hand=decimal(record.get("QTYNEW"), "QTYNEW"),
    )


def consumption_from_legacy(record: Mapping[str, Any], clock: PlantClock) -> Consumption:
    """A CNSRES: the closed reservation and the consume transaction."""
    return Consumption(
        reservation=reservation_from_legacy(part(record, "RSV"), clock),
        transaction=transaction_from_legacy(part(record, "TRN"), clock),
    )


def part(record: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """A nested record that the contract requires."""
    found = record.get(name)
    if not isinstance(found, Mapping):
        raise LegacyDataError(f"{name} is missing")
    return found
