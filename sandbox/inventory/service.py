"""The legacy inventory SOAP service (spyne, SOAP 1.1 document/literal wrapped)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from spyne import Application, Iterable, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11

from sandbox.faults import DROP_CONNECTION_KEY, FaultKnobs
from sandbox.inventory.errors import INVALID_CODE, ITEM_NOT_FOUND, LegacyError
from sandbox.inventory.legacy_format import local_stamp, padded, trimmed, utc_from_stamp
from sandbox.inventory.store import InventoryStore, NewReservation, NewTransaction
from sandbox.inventory.types import (
    CNSRES,
    ITEM,
    ITEMBAL,
    ITEMNOLIST,
    LEGACYFAULT,
    NAMESPACE,
    RSV,
    RSVREQ,
    SRCIDLIST,
    TRN,
    WHSBAL,
)

T = TypeVar("T")
WRITES = {"Reserve", "Release", "Consume", "PostTransaction"}


def create_inventory_application(
    store: InventoryStore, zone: ZoneInfo, knobs: FaultKnobs
) -> Application:
    """The spyne application; every method runs through ``_guarded`` for faults and knobs."""

    def guarded(ctx: Any, operation: str, work: Callable[[], T]) -> T:
        legacy_number = knobs.soap_fault_for(operation)
        if legacy_number is not None:
            raise _fault(LegacyError(legacy_number))
        try:
            result = work()
        except LegacyError as error:
            raise _fault(error) from None
        if operation in WRITES and knobs.take_drop_after_commit(operation):
            ctx.transport.req_env[DROP_CONNECTION_KEY] = True
        return result

    class InventoryService(ServiceBase):
        @rpc(Unicode(min_occurs=1), _returns=ITEM, _faults=[LEGACYFAULT])
        def GetItem(ctx, ITEMNO):
            return guarded(ctx, "GetItem", lambda: _item(store.item(_key(ITEMNO))))

        @rpc(Unicode(min_occurs=1), Unicode(min_occurs=1), _returns=ITEMBAL, _faults=[LEGACYFAULT])
        def GetBalance(ctx, ITEMNO, WHSE):
            def work() -> ITEMBAL:
                row = store.balance(_key(ITEMNO), WHSE.strip())
                return _item_balances(store.item(row["sku"]), [row])

            return guarded(ctx, "GetBalance", work)

        @rpc(ITEMNOLIST, _returns=Iterable(ITEMBAL), _faults=[LEGACYFAULT])
        def GetBalances(ctx, ITEMNOS):
            def work() -> list[ITEMBAL]:
                skus = [_key(i) for i in ITEMNOS or []]
                by_sku: dict[str, list[sqlite3.Row]] = {}
                for row in store.balances(skus):
                    by_sku.setdefault(row["sku"], []).append(row)
                items = store.items(skus)
                return [_item_balances(item, by_sku.get(item["sku"], [])) for item in items]

            return guarded(ctx, "GetBalances", work)

        @rpc(Unicode(min_occurs=1), Unicode, _returns=Iterable(RSV), _faults=[LEGACYFAULT])
        def ListReservations(ctx, ITEMNO, WHSE):
            def work() -> list[RSV]:
                rows = store.reservations_by_item(_key(ITEMNO), trimmed(WHSE))
                return [_rsv(row, zone) for row in rows]

            return guarded(ctx, "ListReservations", work)

        @rpc(SRCIDLIST, _returns=Iterable(RSV), _faults=[LEGACYFAULT])
        def ListReservationsBySources(ctx, SRCIDS):
            def work() -> list[RSV]:
                ids = [i.strip() for i in SRCIDS or []]
                return [_rsv(row, zone) for row in store.reservations_by_sources(ids)]

            return guarded(ctx, "ListReservationsBySources", work)

        @rpc(RSVREQ.customize(min_occurs=1), _returns=RSV, _faults=[LEGACYFAULT])
        def Reserve(ctx, RSVREQ):
            return guarded(
                ctx, "Reserve", lambda: _rsv(store.reserve(_new_reservation(RSVREQ, zone)), zone)
            )

        @rpc(Unicode(min_occurs=1), Unicode, _returns=RSV, _faults=[LEGACYFAULT])
        def Release(ctx, RSVNO, RELRSN):
            reason = (RELRSN or "R").strip() or "R"
            return guarded(ctx, "Release", lambda: _rsv(store.release(RSVNO, reason), zone))

        @rpc(Unicode(min_occurs=1), Unicode(min_occurs=1), _returns=CNSRES, _faults=[LEGACYFAULT])
        def Consume(ctx, RSVNO, REFNO):
            def work() -> CNSRES:
                reservation, transaction = store.consume(RSVNO, REFNO)
                return CNSRES(RSV=_rsv(reservation, zone), TRN=_trn(transaction, zone))

            return guarded(ctx, "Consume", work)

        @rpc(TRN.customize(min_occurs=1), _returns=TRN, _faults=[LEGACYFAULT])
        def PostTransaction(ctx, TRN):
            return guarded(
                ctx,
                "PostTransaction",
                lambda: _trn(store.post_transaction(_new_transaction(TRN, zone)), zone),
            )

    return Application(
        [InventoryService],
        tns=NAMESPACE,
        name="InventoryService",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )


def _fault(error: LegacyError) -> LEGACYFAULT:
    return LEGACYFAULT(
        faultcode="Client" if error.is_client_error else "Server",
        faultstring=error.message,
        detail={"LEGACYERR": {"ERRNO": str(error.number), "ERRMSG": error.message}},
    )


def _key(item_number: str | None) -> str:
    key = trimmed(item_number)
    if key is None:
        raise _fault(LegacyError(ITEM_NOT_FOUND))
    return key


def _flag(value: Any) -> str:
    return "Y" if value else "N"


def _item(row: sqlite3.Row) -> ITEM:
    return ITEM(
        ITEMNO=padded(row["sku"]),
        ITEMDSC=row["description"],
        UOM=row["uom"],
        STKTRK=_flag(row["stock_tracked"]),
        NEGALW=_flag(row["allow_negative"]),
    )


def _item_balances(item: sqlite3.Row, balances: list[sqlite3.Row]) -> ITEMBAL:
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
            )
            for row in balances
        ],
    )


def _rsv(row: sqlite3.Row, zone: ZoneInfo) -> RSV:
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


def _trn(row: sqlite3.Row, zone: ZoneInfo) -> TRN:
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


def _new_reservation(req: Any, zone: ZoneInfo) -> NewReservation:
    if req.QTY is None or not req.WHSE or not req.RSVTYP or not req.SRCTYP or not req.SRCID:
        raise LegacyError(INVALID_CODE, "REQUIRED FIELD MISSING")
    return NewReservation(
        refno=req.REFNO.strip(),
        sku=_key(req.ITEMNO),
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
        expires_at=utc_from_stamp(req.EXPDTM, zone),
        created_by=trimmed(req.CRTUSR),
        override=(req.OVRIDE or "N").strip() == "Y",
    )


def _new_transaction(trn: Any, zone: ZoneInfo) -> NewTransaction:
    stamp = utc_from_stamp(trn.TRNDTM, zone)
    if trn.QTY is None or not trn.WHSE or not trn.REFNO or not trn.TRNTYP or stamp is None:
        raise LegacyError(INVALID_CODE, "REQUIRED FIELD MISSING")
    return NewTransaction(
        refno=trn.REFNO.strip(),
        sku=_key(trn.ITEMNO),
        warehouse=trn.WHSE.strip(),
        quantity=trn.QTY,
        type=trn.TRNTYP.strip(),
        transaction_date=stamp,
        source_type=trimmed(trn.SRCTYP),
        source_id=trimmed(trn.SRCID),
        location=trimmed(trn.LOC),
        lot=trimmed(trn.LOTNO),
    )
