"""REST: reservations, ATP and low stock (SPEC §5.3)."""

from __future__ import annotations

from typing import Any

from gateway.api.auth import authenticate, current_principal, requires_any_role
from gateway.api.backorder_schemas import (
    ReservationBatchCreatedSchema,
    ReservationCreatedSchema,
    batch_answer,
    partial_answer,
    partial_answer_of_plan,
    split_answer,
    split_answer_of_plan,
)
from gateway.api.context import backorder_desk, reservation_desk, split_desk, unit_of_work
from gateway.api.idempotency import idempotent, request_reference
from gateway.api.parser import Blueprint
from gateway.api.reservation_schemas import (
    ConsumeSchema,
    ConsumptionSchema,
    ExpiryChangeSchema,
    ReservationBatchSchema,
    ReservationCreateSchema,
    ReservationPageSchema,
    ReservationQuery,
    SourceExpirySchema,
)
from gateway.api.schemas import ReservationSchema, StockLevelSchema
from gateway.api.shortage_schemas import ShortagePageSchema, ShortageQuery
from gateway.domain.model import Reservation, ReservationSearch, Source
from gateway.domain.payloads import consumption_from_payload, reservation_from_payload
from gateway.domain.reservation_rules import ReservationDraft
from gateway.domain.reservation_rules import source_type as parsed_source_type
from gateway.domain.roles import RESERVATION_ROLES
from gateway.domain.split_holds import SplitDraft
from gateway.domain.write_plan import WritePlan
from gateway.services.expiry_changes import source_expiry_of
from gateway.services.references import upstream_reference
from gateway.services.reservations import PickedPart

blp = Blueprint("reservations", __name__, url_prefix="/api/inventory", description="Reservations")
blp.before_request(authenticate)


def fresh_reference() -> str:
    """A create's legacy reference, new for every attempt: a keyed retry is answered from the
    key's write plan (gateway/api/idempotency.py), and a lost answer is looked up on it."""
    return upstream_reference("GW", current_principal().subject, None)


def _made(plan: WritePlan) -> list[Reservation]:
    """The reservations a create's plan made (finished by another process)."""
    return [reservation_from_payload(step.result or {}) for step in plan.steps]


def _created(plan: WritePlan) -> Any:
    """A create's answer from its plan; a partial one's backorder as far as it was kept."""
    if "split" in plan.summary:
        return split_answer_of_plan(plan, split_desk())
    if "partial" not in plan.summary:
        return _made(plan)[0]
    return partial_answer_of_plan(plan, backorder_desk())


@blp.post("/reservations")
@blp.arguments(ReservationCreateSchema)
@blp.response(201, ReservationCreatedSchema)
@blp.problem(400, "inventory.reservation.invalid_split, request.invalid, …")
@blp.problem(409, "inventory.reservation.insufficient_stock (a split's names its `shortfall`)")
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=_created)
def create_reservation(draft: ReservationDraft | SplitDraft) -> Any:
    """Reserve stock: available drops, on-hand does not. Honours `Idempotency-Key`. With
    `allowPartial`, what is available is reserved and the rest backordered. With `warehouseIds`
    or `anyWarehouse` the quantity is split across warehouses, in order, all or nothing."""
    caller, reference = current_principal(), fresh_reference()
    if isinstance(draft, SplitDraft):
        return split_answer(split_desk().reserve(draft, caller, reference, unit_of_work()))
    if draft.allow_partial:
        made = backorder_desk().reserve_partial(draft, caller, reference, unit_of_work())
        return partial_answer(made)
    return reservation_desk().reserve(draft, caller, reference, unit_of_work())


@blp.post("/reservations/batch")
@blp.arguments(ReservationBatchSchema)
@blp.response(201, ReservationBatchCreatedSchema)
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=lambda plan: {"reservations": _made(plan)})
def create_reservations(batch: dict[str, list[ReservationDraft]]) -> Any:
    """Reserve every line or none (a failing line cancels the lines already made); a line with
    `allowPartial` takes what is available and backorders the rest (see `lines`)."""
    desk, caller = reservation_desk(), current_principal()
    if any(draft.allow_partial for draft in batch["lines"]):
        lines = backorder_desk().reserve_lines(batch["lines"], caller, fresh_reference(),
                                               unit_of_work())  # fmt: skip
        return batch_answer(lines)
    made = desk.reserve_all(batch["lines"], caller, fresh_reference(), unit_of_work())
    return {"reservations": made}


@blp.put("/reservations/<id:reservation_id>/release")
@blp.response(200, ReservationSchema)
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=lambda plan: reservation_from_payload(plan.steps[0].result or {}))
def release_reservation(reservation_id: str) -> Any:
    """OPEN → RELEASED (yours, or anyone's in scope as Manager/Owner)."""
    reference = request_reference("RL")
    return reservation_desk().release(
        reservation_id, current_principal(), reference, unit_of_work()
    )


@blp.put("/reservations/<id:reservation_id>/consume")
@blp.arguments(ConsumeSchema, required=False)
@blp.response(200, ConsumptionSchema)
@blp.problem(409, "inventory.reservation.over_consume")
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=lambda plan: consumption_from_payload(plan.steps[0].result or {}))
def consume_reservation(picked: PickedPart, reservation_id: str) -> Any:
    """Fulfilment: OPEN → CLOSED, on-hand and reserved drop; returns the transaction. With a
    `quantity` below the reserved one only that part is consumed: the rest stays reserved
    (OPEN), or is released when `releaseRemainder` is true. No body: all of it."""
    reference = request_reference("CNS")
    return reservation_desk().consume(
        reservation_id, current_principal(), reference, unit_of_work(), picked
    )


@blp.put("/reservations/<id:reservation_id>/expiry")
@blp.arguments(ExpiryChangeSchema)
@blp.response(200, ReservationSchema)
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=lambda plan: reservation_from_payload(plan.steps[0].result or {}))
def change_reservation_expiry(body: dict[str, Any], reservation_id: str) -> Any:
    """Extend, shorten or clear (null) an OPEN reservation's expiry."""
    reference = request_reference("EXP")
    return reservation_desk().change_expiry(
        reservation_id, body["expires_at"], current_principal(), reference, unit_of_work()
    )


@blp.put("/sources/<id:source_type>/<id:source_id>/expiry")
@blp.arguments(ExpiryChangeSchema)
@blp.response(200, SourceExpirySchema)
@blp.problem(409, "inventory.source.change_in_progress")
@requires_any_role(*RESERVATION_ROLES)
@idempotent(final_answer=source_expiry_of)
def change_source_expiry(body: dict[str, Any], source_type: str, source_id: str) -> Any:
    """Set the expiry of every OPEN reservation of a source document (e.g. confirm a sales
    order: keep it until fulfilment with `null`), all or nothing."""
    source = Source(parsed_source_type(source_type, "sourceType"), source_id)
    return reservation_desk().change_source_expiry(
        source, body["expires_at"], current_principal(), unit_of_work()
    )


@blp.get("/reservations")
@blp.arguments(ReservationQuery, location="query", as_kwargs=True)
@blp.response(200, ReservationPageSchema)
@requires_any_role(*RESERVATION_ROLES)
def list_reservations(offset: int, limit: int, **criteria: Any) -> Any:
    """Reservations in your owner scope, highest priority first, then oldest."""
    search = ReservationSearch(**criteria)
    return reservation_desk().search(search, current_principal(), offset, limit)


@blp.get("/reservations/<id:reservation_id>")
@blp.response(200, ReservationSchema)
@requires_any_role(*RESERVATION_ROLES)
def get_reservation(reservation_id: str) -> Any:
    """One reservation; another owner's is not found."""
    return reservation_desk().get(reservation_id, current_principal())


@blp.get("/alerts/low-stock")
@blp.response(200, StockLevelSchema(many=True))
@requires_any_role(*RESERVATION_ROLES)
def low_stock_alerts() -> Any:
    """Stock levels whose available is at or below the reorder point."""
    return reservation_desk().low_stock(current_principal())


@blp.get("/alerts/shortages")
@blp.arguments(ShortageQuery, location="query", as_kwargs=True)
@blp.response(200, ShortagePageSchema)
@requires_any_role(*RESERVATION_ROLES)
def shortage_alerts(offset: int, limit: int, **criteria: Any) -> Any:
    """OPEN reservations on-hand no longer covers, highest priority first, then oldest."""
    search = ReservationSearch(**criteria)
    return reservation_desk().shortages(search, current_principal(), offset, limit)
