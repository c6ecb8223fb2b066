"""Warehouses belong to owners (SPEC §7): who may reserve where, and for whom."""

from __future__ import annotations

from dataclasses import replace

from gateway.domain.errors import InvalidOwner
from gateway.domain.reservation_rules import Caller, ReservationDraft


def owned_by_warehouse(
    draft: ReservationDraft, caller: Caller, warehouse_owner: str | None
) -> ReservationDraft:
    """The draft, owned by its warehouse's owner; InvalidOwner outside the caller's scope.

    A reservation's owner is always its warehouse's owner: a caller that names another one is
    refused, one that names none gets the warehouse's.
    """
    if warehouse_owner is None or not caller.can_see(warehouse_owner):
        raise InvalidOwner(f"Warehouse {draft.warehouse_id} is outside your scope")
    if draft.owner_id not in (None, warehouse_owner):
        raise InvalidOwner(f"Reservations in {draft.warehouse_id} belong to {warehouse_owner}")
    return replace(draft, owner_id=warehouse_owner)
