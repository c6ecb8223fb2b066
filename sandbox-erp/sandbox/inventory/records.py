"""Table rows ⇄ the legacy records the SOAP service sends and receives."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sandbox.inventory.browse import ReservationCriteria
from sandbox.inventory.errors import INVALID_CODE, INVALID_DATE, ITEM_NOT_FOUND, LegacyError
from sandbox.inventory.legacy_format import local_stamp, padded, trimmed, utc_from_stamp
from sandbox.inventory.store import NewReservation, NewTransaction
from sandbox.inventory.types import ITEM, ITEMBAL, RSV, TRN, WHSBAL

MISSING = "REQUIRED FIELD MISSING"


def key(item_number: str | None) -> str:
    """The item number as the tables key it; fault 100 if blank."""
    found = trimmed(item_number)
    if found is None:
        raise LegacyError(ITEM_NOT_FOUND)
    return found


def required(value: str | None) -> str:
    """A required text field, trimmed; fault 250 if blank."""
    found = trimmed(value)
    if found is None:
        raise LegacyError(INVALID_CODE, MISSING)
    return found


def owner_list(owners: Iterable[str | None] | None) -> tuple[str, ...]:
    """The distinct, trimmed owners of an OWNERLIST; blanks dropped."""
    return tuple(sorted({o for o in (trimmed(owner) for owner in owners or []) if o}))


def stamp_to_utc(stamp: str | None, zone: ZoneInfo) -> str | None:
    """A plant-local stamp as stored UTC; fault 300 if it is no date at all."""
    try:
        return utc_from_stamp(stamp, zone)
    except ValueError:
        raise LegacyError(INVALID_DATE) from None


def _flag(value: Any) -> str:
    return "Y" if value else "N"


def is_yes(flag: str | None) -> bool:
    """A Y/N flag of a request (absent or blank = N)."""
    return (flag or "N").strip() == "Y"


def item_record(row: sqlite3.Row) -> ITEM:
    """An ``items`` row as ITEM."""
    return ITEM(
        ITEMNO=padded(row["sku"]),
        ITEMDSC=row["description"],
        UOM=row["uom"],
        STKTRK=_flag(row["stock_tracked"]),
        NEGALW=_flag(row["allow_negative"]),
    )


def item_balances_record(item: sqlite3.Row, balances: Sequence[sqlite3.Row]) -> ITEMBAL:
    """An item with its balance rows (each carrying its warehouse's ``owner``) as ITEMBAL."""
    return ITEMBAL(
        ITEMNO=padded(item["sku"]),
        ITEMDSC=item["description"],
        UOM=item["uom"],
        STKTRK=_flag(item["stock_tracked"]),
        NEGALW=_flag(item["allow_negative"]),
        BALANCES=[
            WHSBAL(
                WHSE=row["warehouse"],
                QTYOH=Decimal(row["on_hand"]),
                QTYRSV=Decimal(row["reserved"]),
                MINSTK=Decimal(row["min_stock"]),
                REORDPT=Decimal(row["reorder_point"]),
                OWNER=row["owner"] or "",
            )
            for row in balances
        ],
    )


def balances_by_item(
    items: Sequence[sqlite3.Row], balances: Sequence[sqlite3.Row]
) -> list[ITEMBAL]:
    """One ITEMBAL per item, each with its own balance rows, in the order of ``items``."""
    by_sku: dict[str, list[sqlite3.Row]] = {}
    for row in balances:
        by_sku.setdefault(row["sku"], []).append(row)
    return [item_balances_record(item, by_sku.get(item["sku"], [])) for item in items]


def rsv_record(row: sqlite3.Row, zone: ZoneInfo) -> RSV:
    """A ``reservations`` row as RSV, times on the plant's wall clock."""
    return RSV(
        RSVNO=str(row["id"]),
        REFNO=row["refno"] or "",
        ITEMNO=padded(row["sku"]),
        WHSE=row["warehouse"],
        LOC=row["location"] or "",
        LOTNO=row["lot"] or "",
        QTY=Decimal(row["quantity"]),
        UOM=row["uom"] or "",
        RSVTYP=row["type"],
        SRCTYP=row["source_type"],
        SRCID=row["source_id"],
        PRIO=row["priority"],
        RSVSTS=row["status"],
        RELRSN=row["release_reason"] or "",
        OWNER=row["owner"],
        CRTDTM=local_stamp(row["created_at"], zone),
        CRTUSR=row["created_by"] or "",
        EXPDTM=local_stamp(row["expires_at"], zone),
        RELDTM=local_stamp(row["released_at"], zone),
        CLSDTM=local_stamp(row["closed_at"], zone),
    )


def trn_record(row: sqlite3.Row, zone: ZoneInfo) -> TRN:
    """A ``transactions`` row as TRN with QTYPRV and QTYNEW."""
    return TRN(
        TRNNO=str(row["id"]),
        REFNO=row["refno"] or "",
        ITEMNO=padded(row["sku"]),
        WHSE=row["warehouse"],
        LOC=row["location"] or "",
        LOTNO=row["lot"] or "",
        QTY=Decimal(row["quantity"]),
        TRNTYP=row["type"],
        TRNDTM=local_stamp(row["transaction_date"], zone),
        SRCTYP=row["source_type"] or "",
        SRCID=row["source_id"] or "",
        QTYPRV=Decimal(row["previous_on_hand"]),
        QTYNEW=Decimal(row["new_on_hand"]),
    )


def criteria_from(criteria: Any, zone: ZoneInfo) -> ReservationCriteria:
    """A CRITERIA record (absent = everything) as the browse's criteria."""
    if criteria is None:
        return ReservationCriteria()
    return ReservationCriteria(
        sku=trimmed(criteria.ITEMNO),
        warehouse=trimmed(criteria.WHSE),
        status=trimmed(criteria.RSVSTS),
        source_type=trimmed(criteria.SRCTYP),
        source_id=trimmed(criteria.SRCID),
        owners=owner_list(criteria.OWNERS),
        expires_before=stamp_to_utc(criteria.EXPBEFORE, zone),
    )


def page_from(page: Any) -> tuple[int, int]:
    """SKIP and MAXROWS of a PAGE record."""
    if page is None or page.SKIP is None or page.MAXROWS is None:
        raise LegacyError(INVALID_CODE, MISSING)
    return int(page.SKIP), int(page.MAXROWS)


def new_reservation(req: Any, zone: ZoneInfo) -> NewReservation:
    """An RSVREQ as a reservation to make; fault 250 if a required field is blank."""
    if req.QTY is None or not req.WHSE or not req.RSVTYP or not req.SRCTYP or not req.SRCID:
        raise LegacyError(INVALID_CODE, MISSING)
    return NewReservation(
        refno=req.REFNO.strip(),
        sku=key(req.ITEMNO),
        warehouse=req.WHSE.strip(),
        quantity=req.QTY,
        type=req.RSVTYP.strip(),
        source_type=req.SRCTYP.strip(),
        source_id=req.SRCID.strip(),
        owner=(req.OWNER or "").strip(),
        priority=50 if req.PRIO is None else int(req.PRIO),
        uom=trimmed(req.UOM),
        location=trimmed(req.LOC),
        lot=trimmed(req.LOTNO),
        expires_at=stamp_to_utc(req.EXPDTM, zone),
        created_by=trimmed(req.CRTUSR),
        override=is_yes(req.OVRIDE),
    )


def new_transaction(trn: Any, zone: ZoneInfo) -> NewTransaction:
    """A TRN as a movement to post; fault 250 if a required field is blank."""
    stamp = stamp_to_utc(trn.TRNDTM, zone)
    if trn.QTY is None or not trn.WHSE or not trn.REFNO or not trn.TRNTYP or stamp is None:
        raise LegacyError(INVALID_CODE, MISSING)
    return NewTransaction(
        refno=trn.REFNO.strip(),
        sku=key(trn.ITEMNO),
        warehouse=trn.WHSE.strip(),
        quantity=trn.QTY,
        type=trn.TRNTYP.strip(),
        transaction_date=stamp,
        source_type=trimmed(trn.SRCTYP),
        source_id=trimmed(trn.SRCID),
        location=trimmed(trn.LOC),
        lot=trimmed(trn.LOTNO),
    )
