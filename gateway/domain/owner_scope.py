"""Warehouses belong to owners (SPEC §7): who may reserve where, and for whom."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from gateway.domain.errors import InvalidOwner
from gateway.domain.model import StockLevel
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


def check_rework_warehouses(work_order_owner: str, levels: Mapping[str, StockLevel | None]) -> None:
    """A work order's rework is reserved in its own owner's warehouses only: a warehouse of
    another owner (a stale holding, a wrong WORKORDER_WAREHOUSES entry) is refused."""
    for level in levels.values():
        if level is not None and level.owner_id not in (None, work_order_owner):
            raise InvalidOwner(
                f"Warehouse {level.warehouse_id} does not belong to {work_order_owner}"
            )
