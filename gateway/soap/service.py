"""The gateway's SOAP service (SPEC §5.4): the REST use cases, as SOAP 1.1 document/literal.

Each operation hands its arguments to gateway/soap/operations.py, as a REST route hands them to
its view; the gate (gateway/soap/gate.py) authenticated the caller before spyne parsed anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from spyne import (
    Application,
    Boolean,
    DateTime,
    Decimal,
    Integer32,
    Integer64,
    ServiceBase,
    Unicode,
    rpc,
)
from spyne.model.complex import Array
from spyne.protocol.soap import Soap11

from gateway.domain.backorders import BackorderStatus
from gateway.domain.errors import Forbidden, GatewayError
from gateway.domain.model import ReservationStatus, SourceType
from gateway.domain.roles import RESERVATION_ROLES
from gateway.soap import operations as op
from gateway.soap import types as t
from gateway.soap.context import SoapCall, soap_call
from gateway.soap.faults import GatewaySoap11, fault_for, internal_fault

T = TypeVar("T")
FAULTS = [t.GatewayFault]
Reference = t.named(Unicode, "Reference", min_len=1, max_len=200, pattern="[ -~]+")
"""The caller's unique reference for a write: a retry with the same one lands once."""
Offset = t.named(Integer64, "Offset", ge=0, le=2**62)
"""As far as the REST API's offsets go: a 64-bit database integer."""
Limit = t.named(Integer32, "Limit", ge=1, le=500)
Status = t.enumeration(ReservationStatus)
Materials = Array(t.MaterialLine).customize(max_occurs=1)


def perform(ctx: Any, work: Callable[..., T], *arguments: Any, **criteria: Any) -> T:
    """Run ``work(call, *arguments)`` for the authenticated caller; commit, map errors."""
    call = soap_call(ctx)
    try:
        if not call.caller.has_any_role(*RESERVATION_ROLES):
            raise Forbidden("This needs one of the roles: " + ", ".join(sorted(RESERVATION_ROLES)))
        result = work(call, *arguments, **criteria)
    except GatewayError as error:
        _keep_what_was_recorded(call)  # e.g. a failed update's audit and queued compensations
        raise fault_for(error, call.correlation_id) from None
    except Exception as error:
        _keep_what_was_recorded(call)
        raise internal_fault(error, call.correlation_id) from None
    call.commit()
    return result


def _keep_what_was_recorded(call: SoapCall) -> None:
    try:
        call.commit()
    except Exception as error:  # the caller gets the use case's error; the log gets this one
        internal_fault(error, call.correlation_id)


class ReservationGateway(ServiceBase):
    @rpc(
        t.identifier(),
        t.item_sku_id(),
        Status,
        t.warehouse_id(),
        _returns=t.WorkOrderReservations,
        _faults=FAULTS,
    )
    def GetWorkOrderReservations(ctx, workOrderId, itemSkuId, status, warehouseId):
        """The work order with each material's reservations (location, lot, quantity)."""
        return perform(ctx, op.work_order_reservations, workOrderId, itemSkuId, status, warehouseId)

    @rpc(
        t.identifier(),
        t.identifier(),
        Decimal(min_occurs=1, nillable=False),
        DateTime(min_occurs=1, nillable=False),
        DateTime,
        Materials,
        _returns=t.WorkOrderReservations,
        _faults=FAULTS,
    )
    def UpdateWorkOrder(
        ctx, workOrderId, recipeName, batchQuantity, plannedStart, transactionDate, materials
    ):
        """Batch quantity, planned start and materials, all or nothing; answers like the read."""
        return perform(
            ctx,
            op.update_work_order,
            workOrderId,
            recipeName,
            batchQuantity,
            plannedStart,
            transactionDate,
            materials,
        )

    @rpc(
        t.ReservationRequest.customize(min_occurs=1, nillable=False),
        Reference,
        _returns=t.ReservationCreated,
        _faults=FAULTS,
    )
    def CreateReservation(ctx, reservation, reference):
        """Reserve stock: available drops, on-hand does not. allowPartial backorders what is
        not available; moreWarehouseIds or anyWarehouse split it across warehouses."""
        return perform(ctx, op.create_reservation, reservation, reference)

    @rpc(t.identifier(), _returns=t.Reservation, _faults=FAULTS)
    def ReleaseReservation(ctx, reservationId):
        """OPEN → RELEASED (yours, or anyone's in scope as Manager/Owner)."""
        return perform(ctx, op.release_reservation, reservationId)

    @rpc(t.identifier(), Reference, _returns=t.Consumption, _faults=FAULTS)
    def ConsumeReservation(ctx, reservationId, reference):
        """Fulfilment: OPEN → CLOSED, on-hand and reserved drop; returns the transaction."""
        return perform(ctx, op.consume_reservation, reservationId, reference)

    # A new operation rather than two more parameters of ConsumeReservation: wrapper-style
    # toolkits (JAX-WS, .NET) turn parameters into method arguments, so a client regenerated
    # from the WSDL would no longer compile its existing ConsumeReservation calls.
    @rpc(
        t.identifier(),
        Decimal(min_occurs=1, nillable=False),
        Boolean,
        Reference,
        _returns=t.Consumption,
        _faults=FAULTS,
    )
    def ConsumeReservationPart(ctx, reservationId, quantity, releaseRemainder, reference):
        """Consume what was picked: the rest stays OPEN, or is released with
        releaseRemainder; more than is reserved is over_consume."""
        return perform(ctx, op.consume_reservation, reservationId, reference, quantity,
                       releaseRemainder)  # fmt: skip

    @rpc(t.identifier(), DateTime, Boolean, Reference, _returns=t.Reservation, _faults=FAULTS)
    def ChangeReservationExpiry(ctx, reservationId, expiresAt, neverExpires, reference):
        """Extend or shorten an OPEN reservation's expiry (expiresAt, in the future), or keep
        it until fulfilment (neverExpires true)."""
        return perform(ctx, op.change_reservation_expiry, reservationId, expiresAt,
                       neverExpires, reference)  # fmt: skip

    @rpc(
        t.enumeration(SourceType, required=True),
        t.named(Unicode, "SourceId", required=True, min_len=1, max_len=20),
        DateTime,
        Boolean,
        _returns=t.SourceExpiry,
        _faults=FAULTS,
    )
    def ChangeSourceExpiry(ctx, sourceType, sourceId, expiresAt, neverExpires):
        """The same for every OPEN reservation of a source document (confirm an order), all
        or nothing."""
        return perform(ctx, op.change_source_expiry, sourceType, sourceId, expiresAt,
                       neverExpires)  # fmt: skip

    @rpc(
        t.item_sku_id(),
        t.warehouse_id(),
        Status,
        t.enumeration(SourceType),
        t.named(Unicode, "SourceId", min_len=1, max_len=20),
        Offset,
        Limit,
        _returns=t.ReservationPage,
        _faults=FAULTS,
    )
    def ListReservations(ctx, itemSkuId, warehouseId, status, sourceType, sourceId, offset, limit):
        """Reservations in your owner scope, highest priority first, then oldest."""
        return perform(
            ctx,
            op.list_reservations,
            offset,
            limit,
            itemSkuId=itemSkuId,
            warehouseId=warehouseId,
            status=status,
            sourceType=sourceType,
            sourceId=sourceId,
        )

    @rpc(
        t.item_sku_id(),
        t.warehouse_id(),
        t.enumeration(BackorderStatus),
        Offset,
        Limit,
        _returns=t.BackorderPage,
        _faults=FAULTS,
    )
    def ListBackorders(ctx, itemSkuId, warehouseId, status, offset, limit):
        """Backorders in your owner scope, highest priority first, then oldest."""
        return perform(ctx, op.list_backorders, itemSkuId, warehouseId, status, offset, limit)

    @rpc(t.item_sku_id(), t.warehouse_id(), Offset, Limit, _returns=t.ShortagePage,
         _faults=FAULTS)  # fmt: skip
    def ListShortages(ctx, itemSkuId, warehouseId, offset, limit):
        """OPEN reservations on-hand no longer covers, highest priority first, then oldest."""
        return perform(ctx, op.list_shortages, itemSkuId, warehouseId, offset, limit)

    @rpc(t.identifier(), _returns=t.Backorder, _faults=FAULTS)
    def CancelBackorder(ctx, backorderId):
        """OPEN → CANCELLED (yours, or anyone's in scope as Manager/Owner); what it filled
        stays reserved."""
        return perform(ctx, op.cancel_backorder, backorderId)

    @rpc(
        t.item_sku_id(required=True),
        t.warehouse_id(required=True),
        _returns=t.StockLevel,
        _faults=FAULTS,
    )
    def GetStockLevel(ctx, itemSkuId, warehouseId):
        """The item's stock level in one warehouse; available is what can be promised."""
        return perform(ctx, op.stock_level, itemSkuId, warehouseId)


def create_gateway_application() -> Application:
    """The spyne application: SOAP 1.1 in (schema-validated by lxml) and out."""
    return Application(
        [ReservationGateway],
        tns=t.NAMESPACE,
        name="ReservationGateway",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=GatewaySoap11(),
    )
