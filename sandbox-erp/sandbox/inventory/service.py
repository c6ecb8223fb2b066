"""The legacy inventory SOAP service (spyne, SOAP 1.1 document/literal wrapped)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from spyne import Application, Iterable, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11

from sandbox.faults import DROP_CONNECTION_KEY, FaultKnobs
from sandbox.inventory import records
from sandbox.inventory.errors import LegacyError
from sandbox.inventory.legacy_format import trimmed
from sandbox.inventory.protocol import LegacySoap11, legacy_fault
from sandbox.inventory.store import InventoryStore
from sandbox.inventory.types import (
    CNSRES,
    CRITERIA,
    ITEM,
    ITEMBAL,
    ITEMNOLIST,
    LEGACYFAULT,
    NAMESPACE,
    OWNERLIST,
    PAGE,
    RSV,
    RSVPAGE,
    RSVREQ,
    SRCIDLIST,
    TRN,
    Flag,
    Quantity,
    RefNo,
    Stamp,
)

T = TypeVar("T")
WRITES = {"Reserve", "Release", "Consume", "PostTransaction", "ChangeExpiry"}


def create_inventory_application(
    store: InventoryStore, zone: ZoneInfo, knobs: FaultKnobs
) -> Application:
    """The spyne application; every method runs through ``guarded`` for faults and knobs."""

    def guarded(ctx: Any, operation: str, work: Callable[[], T]) -> T:
        legacy_number = knobs.soap_fault_for(operation)
        if legacy_number is not None:
            raise legacy_fault(LegacyError(legacy_number))
        try:
            result = work()
        except LegacyError as error:
            raise legacy_fault(error) from None
        if operation in WRITES and knobs.take_drop_after_commit(operation):
            ctx.transport.req_env[DROP_CONNECTION_KEY] = True
        return result

    def item_balances(skus: list[str], balances: list[Any]) -> list[ITEMBAL]:
        return records.balances_by_item(store.items(skus), balances)

    class InventoryService(ServiceBase):
        @rpc(Unicode(min_occurs=1), _returns=ITEM, _faults=[LEGACYFAULT])
        def GetItem(ctx, ITEMNO):
            return guarded(
                ctx, "GetItem", lambda: records.item_record(store.item(records.key(ITEMNO)))
            )

        @rpc(Unicode(min_occurs=1), Unicode(min_occurs=1), _returns=ITEMBAL, _faults=[LEGACYFAULT])
        def GetBalance(ctx, ITEMNO, WHSE):
            def work() -> ITEMBAL:
                row = store.balance(records.key(ITEMNO), WHSE.strip())
                return records.item_balances_record(store.item(row["sku"]), [row])

            return guarded(ctx, "GetBalance", work)

        @rpc(ITEMNOLIST, _returns=Iterable(ITEMBAL), _faults=[LEGACYFAULT])
        def GetBalances(ctx, ITEMNOS):
            def work() -> list[ITEMBAL]:
                skus = [records.key(i) for i in ITEMNOS or []]
                return item_balances(skus, store.balances(skus))

            return guarded(ctx, "GetBalances", work)

        @rpc(OWNERLIST, _returns=Iterable(ITEMBAL), _faults=[LEGACYFAULT])
        def ListLowStock(ctx, OWNERS):
            def work() -> list[ITEMBAL]:
                rows = store.low_stock(records.owner_list(OWNERS))
                return item_balances(sorted({row["sku"] for row in rows}), rows)

            return guarded(ctx, "ListLowStock", work)

        @rpc(Unicode(min_occurs=1), _returns=RSV, _faults=[LEGACYFAULT])
        def GetReservation(ctx, RSVNO):
            return guarded(
                ctx, "GetReservation", lambda: records.rsv_record(store.reservation(RSVNO), zone)
            )

        @rpc(Unicode(min_occurs=1), Unicode, _returns=Iterable(RSV), _faults=[LEGACYFAULT])
        def ListReservations(ctx, ITEMNO, WHSE):
            def work() -> list[RSV]:
                rows = store.reservations_by_item(records.key(ITEMNO), trimmed(WHSE))
                return [records.rsv_record(row, zone) for row in rows]

            return guarded(ctx, "ListReservations", work)

        @rpc(SRCIDLIST, _returns=Iterable(RSV), _faults=[LEGACYFAULT])
        def ListReservationsBySources(ctx, SRCIDS):
            def work() -> list[RSV]:
                ids = [i.strip() for i in SRCIDS or []]
                return [records.rsv_record(row, zone) for row in store.reservations_by_sources(ids)]

            return guarded(ctx, "ListReservationsBySources", work)

        @rpc(CRITERIA, PAGE.customize(min_occurs=1), _returns=RSVPAGE, _faults=[LEGACYFAULT])
        def SearchReservations(ctx, CRITERIA, PAGE):
            def work() -> RSVPAGE:
                skip, max_rows = records.page_from(PAGE)
                criteria = records.criteria_from(CRITERIA, zone)
                total, rows = store.search_reservations(criteria, skip, max_rows)
                return RSVPAGE(TOTAL=total, ROWS=[records.rsv_record(row, zone) for row in rows])

            return guarded(ctx, "SearchReservations", work)

        @rpc(RSVREQ.customize(min_occurs=1), _returns=RSV, _faults=[LEGACYFAULT])
        def Reserve(ctx, RSVREQ):
            def work() -> RSV:
                return records.rsv_record(
                    store.reserve(records.new_reservation(RSVREQ, zone)), zone
                )

            return guarded(ctx, "Reserve", work)

        @rpc(Unicode(min_occurs=1), Unicode, RefNo, _returns=RSV, _faults=[LEGACYFAULT])
        def Release(ctx, RSVNO, RELRSN, REFNO):
            reason = (RELRSN or "R").strip() or "R"

            def work() -> RSV:
                return records.rsv_record(store.release(RSVNO, reason, trimmed(REFNO)), zone)

            return guarded(ctx, "Release", work)

        @rpc(
            Unicode(min_occurs=1), Unicode(min_occurs=1), Quantity, Flag,
            _returns=CNSRES, _faults=[LEGACYFAULT],
        )  # fmt: skip
        def Consume(ctx, RSVNO, REFNO, QTY, RELREM):
            # QTY absent: the whole reservation; RELREM=Y closes it and frees what is left
            def work() -> CNSRES:
                consumed = store.consume(RSVNO, REFNO.strip(), QTY, records.is_yes(RELREM))
                reservation, transaction = consumed
                return CNSRES(
                    RSV=records.rsv_record(reservation, zone),
                    TRN=records.trn_record(transaction, zone),
                )

            return guarded(ctx, "Consume", work)

        @rpc(
            Unicode(min_occurs=1), Stamp, RefNo.customize(min_occurs=1),
            _returns=RSV, _faults=[LEGACYFAULT],
        )  # fmt: skip
        def ChangeExpiry(ctx, RSVNO, EXPDT, REFNO):
            # EXPDT absent or blank: the reservation no longer expires
            def work() -> RSV:
                refno = records.required(REFNO)
                expires_at = records.stamp_to_utc(EXPDT, zone)
                return records.rsv_record(store.change_expiry(RSVNO, expires_at, refno), zone)

            return guarded(ctx, "ChangeExpiry", work)

        @rpc(TRN.customize(min_occurs=1), _returns=TRN, _faults=[LEGACYFAULT])
        def PostTransaction(ctx, TRN):
            def work() -> Any:  # the parameter shadows the TRN type here
                posted = store.post_transaction(records.new_transaction(TRN, zone))
                return records.trn_record(posted, zone)

            return guarded(ctx, "PostTransaction", work)

    return Application(
        [InventoryService],
        tns=NAMESPACE,
        name="InventoryService",
        in_protocol=LegacySoap11(validator="lxml"),
        out_protocol=Soap11(),
    )
