"""Holds across locations (issue 15.3, decision 172): one create, its quantity split across
several warehouses, each part a reservation of its own, all made or none.

Every warehouse is checked as a single create checks its one (owner scope, the rules, a work
order's visibility) before anything is written. Then the parts are allocated from one read of
the item's balances and reserved by one durable write plan: a part the legacy system refuses
for stock (another create took it since the read) undoes the parts made, and the split reads
and allocates again, at most ``ATTEMPTS`` times. With ``allowPartial`` what no warehouse has
becomes one backorder in the first warehouse, written at the plan's end (decision 170).

The parts' legacy references are numbered from one base, the answer's ``requestId``: a part is
found from its request by its own reference, and a retry with the caller's reference (SOAP)
finds the parts its first call made instead of making them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from gateway.domain.backorders import Backorder, backorder_summary
from gateway.domain.errors import (
    InsufficientStock,
    InvalidOwner,
    InvalidSplit,
    ItemNotFound,
    ReferenceReused,
    RequestInvalid,
)
from gateway.domain.model import (
    ItemBalances,
    Reservation,
    ReservationRequest,
    StockLevel,
)
from gateway.domain.reservation_rules import Caller
from gateway.domain.split_holds import (
    ZERO,
    Allocation,
    SplitDraft,
    allocate,
    ensure_covered,
    preferred_order,
)
from gateway.domain.write_plan import REFERENCE_LIMIT, numbered_references
from gateway.services.backorder_ports import BackorderBook
from gateway.services.backorder_records import record_created
from gateway.services.backorders import ATTEMPTS, new_backorder
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.references import backorder_id_of, made_on
from gateway.services.reservations import checked_request, reserve_planned

BASE_LENGTH = REFERENCE_LIMIT - len("-00-U")
"""A base leaves room for a part's number and its compensation's suffix in the legacy REFNO."""


@dataclass(frozen=True)
class SplitReservation:
    """A split create's answer: its parts in order, and what waits as a backorder."""

    request_id: str
    reservations: tuple[Reservation, ...]
    reserved_quantity: Decimal
    backordered_quantity: Decimal
    backorder: Backorder | None


@dataclass(frozen=True)
class SplitPorts:
    inventory: InventoryPort
    work_orders: WorkOrderPort
    book: BackorderBook


@dataclass(frozen=True)
class SplitPolicy:
    """How a split is made: the configured order, whether overrides are on, and the time."""

    preferred: Sequence[str]
    overrides_allowed: bool
    now: datetime


def reserve_split(
    split: SplitDraft,
    caller: Caller,
    reference: str,
    ports: SplitPorts,
    uow: UnitOfWork,
    policy: SplitPolicy,
    callers_reference: bool = False,
) -> SplitReservation:
    """Reserve the draft's quantity across its warehouses, all of it or (with allowPartial)
    what they have, the rest backordered; nothing when a check or the stock says no.

    ``callers_reference``: the reference is the caller's own (SOAP), so this may be a retry of
    a call that made its parts already; they are answered, not made again."""
    base = reference[:BASE_LENGTH]
    parts = _checked_parts(split, caller, base, ports, policy)
    first = next(iter(parts.values()))
    if callers_reference:
        ensure_not_a_single_create(base, first, ports.inventory)
        earlier, waiting = _made_before(base, first, ports), ports.book.get(backorder_id(base))
        if earlier or waiting is not None:
            held = sum((r.quantity for r in earlier), ZERO)
            if held + (waiting.requested if waiting is not None else ZERO) != first.quantity:
                raise ReferenceReused("This reference was used for another request")
            return _answer(base, first.quantity, earlier, waiting)
    return _reserve(split, caller, base, parts, ports, uow, policy.now)


def ensure_not_a_split(reference: str, source_id: str, inventory: InventoryPort) -> None:
    """A one-warehouse create on a caller's reference that already named a split's parts is
    another request on the same reference (the legacy system sees two different REFNOs)."""
    made = inventory.list_reservations_by_sources([source_id])
    if made_on(f"{reference[:BASE_LENGTH]}-", made):
        raise ReferenceReused("This reference was used for another request (a split)")


def ensure_not_a_single_create(
    base: str, first: ReservationRequest, inventory: InventoryPort
) -> None:
    """The other way round: a split on a reference a one-warehouse create already used."""
    made = inventory.list_reservations_by_sources([first.source.id])
    if any(r.reference == base for r in made):
        raise ReferenceReused("This reference was used for another request (one warehouse)")


def backorder_id(request_id: str) -> str:
    """A split's backorder id, from its request id (so a retry finds the first one's)."""
    return backorder_id_of(request_id)


def _checked_parts(
    split: SplitDraft, caller: Caller, base: str, ports: SplitPorts, policy: SplitPolicy
) -> dict[str, ReservationRequest]:
    """Each warehouse's request, in the order they are tried, checked as a single create."""
    warehouses = split.warehouse_ids or _owners_warehouses(split, caller, ports, policy)
    requests = {
        warehouse: checked_request(replace(split.draft, warehouse_id=warehouse), caller, base,
                                   ports.inventory, ports.work_orders, policy.now,
                                   policy.overrides_allowed)
        for warehouse in warehouses
    }  # fmt: skip
    if len({request.owner_id for request in requests.values()}) > 1:
        raise InvalidSplit("The warehouses of a split belong to different owners")
    return requests


def _owners_warehouses(
    split: SplitDraft, caller: Caller, ports: SplitPorts, policy: SplitPolicy
) -> list[str]:
    """anyWarehouse: the reservation owner's warehouses that hold a balance of the item."""
    owner = split.draft.owner_id or caller.only_owner()
    if owner is None:
        raise RequestInvalid({"ownerId": ["required when your scope has several owners"]})
    if not caller.can_see(owner):
        raise InvalidOwner(f"Owner {owner} is outside your scope")
    balances = _balances(ports.inventory, split.draft.item_sku_id)
    held = [level.warehouse_id for level in balances.levels if level.owner_id == owner]
    if not held and split.first is None:
        raise InsufficientStock(f"No warehouse of {owner} holds {split.draft.item_sku_id}",
                                shortfall=split.draft.quantity)  # fmt: skip
    return preferred_order(held, policy.preferred, split.first)


def _reserve(
    split: SplitDraft,
    caller: Caller,
    base: str,
    parts: dict[str, ReservationRequest],
    ports: SplitPorts,
    uow: UnitOfWork,
    now: datetime,
) -> SplitReservation:
    first = next(iter(parts.values()))
    numbered = 0  # an attempt undone keeps its references: the next one numbers on
    for _ in range(ATTEMPTS):
        allocation = _allocated(split, parts, ports)
        if not allocation.parts:
            break
        references = numbered_references(base, numbered + len(allocation.parts))[numbered:]
        numbered += len(allocation.parts)
        waiting = _backorder(base, first, allocation.shortfall, now)
        try:
            made = reserve_planned(_requests(parts, allocation, references), caller,
                                   ports.inventory, ports.work_orders, uow,
                                   _summary(base, first.quantity, waiting))  # fmt: skip
        except InsufficientStock:
            continue  # another create took stock between the read and the reserve
        return _answer(base, first.quantity, made, waiting)
    if not split.draft.allow_partial:  # raced every time: a last read says if it is short now
        _allocated(split, parts, ports)
        raise InsufficientStock(f"{first.item_sku_id}: other creates took the stock first "
                                f"{ATTEMPTS} times; try again", shortfall=ZERO)  # fmt: skip
    waiting = _backorder(base, first, first.quantity, now)
    if waiting is not None:  # nothing reserved, so no plan: written with this request's commit
        uow.also_in_transaction(ports.book.adding(waiting))
        record_created(uow, caller.subject, waiting)
    return _answer(base, first.quantity, [], waiting)


def _allocated(
    split: SplitDraft, parts: dict[str, ReservationRequest], ports: SplitPorts
) -> Allocation:
    """One read of the item's balances, allocated in order; short without allowPartial: 409."""
    first = next(iter(parts.values()))
    levels = _levels(ports.inventory, first, list(parts))
    allocation = allocate(first.quantity, levels, first.override)
    if not split.draft.allow_partial:
        ensure_covered(allocation, first.item_sku_id, list(parts))
    return allocation


def _requests(
    parts: dict[str, ReservationRequest], allocation: Allocation, references: list[str]
) -> list[ReservationRequest]:
    """Each part's request: its warehouse's, with the part's quantity and reference."""
    return [
        replace(parts[warehouse], quantity=quantity, reference=reference)
        for (warehouse, quantity), reference in zip(allocation.parts, references, strict=True)
    ]


def _levels(
    inventory: InventoryPort, first: ReservationRequest, warehouses: list[str]
) -> list[StockLevel]:
    """The item's level in each warehouse, in order, from one read (none yet: nothing there)."""
    balances = _balances(inventory, first.item_sku_id)
    found = {level.warehouse_id: level for level in balances.levels}
    item = balances.item
    return [
        found.get(warehouse)
        or StockLevel(item.sku_id, warehouse, ZERO, ZERO, item.stock_tracked,
                      item.allow_negative_stock, ZERO, ZERO)
        for warehouse in warehouses
    ]  # fmt: skip


def _balances(inventory: InventoryPort, sku: str) -> ItemBalances:
    found = inventory.get_item_balances([sku])
    if not found:
        raise ItemNotFound(f"No item {sku}")
    return found[0]


def _backorder(
    base: str, first: ReservationRequest, quantity: Decimal, now: datetime
) -> Backorder | None:
    """What no warehouse has, waiting in the first one (decision 170), if anything."""
    return new_backorder(backorder_id(base), first, quantity, now) if quantity > 0 else None


def _summary(base: str, requested: Decimal, waiting: Backorder | None) -> dict[str, Any]:
    """What the plan keeps: enough to answer a keyed retry, and the backorder to write."""
    summary: dict[str, Any] = {"split": {"requestId": base, "requested": str(requested),
                                         "backorderId": backorder_id(base)}}  # fmt: skip
    if waiting is not None:
        summary["backorder"] = backorder_summary(waiting)
    return summary


def _made_before(base: str, first: ReservationRequest, ports: SplitPorts) -> list[Reservation]:
    """The parts an earlier call with the same reference made (a SOAP retry), whatever became
    of them since."""
    found = ports.inventory.list_reservations_by_sources([first.source.id])
    return made_on(f"{base}-", found, first.item_sku_id)


def _answer(
    base: str, requested: Decimal, made: Sequence[Reservation], waiting: Backorder | None
) -> SplitReservation:
    reserved = sum((r.quantity for r in made), ZERO)
    backorder = waiting if requested > reserved else None
    return SplitReservation(base, tuple(made), reserved, requested - reserved, backorder)


def split_of_plan(summary: dict[str, Any], made: Sequence[Reservation],
                  book: BackorderBook) -> SplitReservation:  # fmt: skip
    """A split's answer from its finished plan (a keyed retry after another process ended it)."""
    split = summary["split"]
    return _answer(str(split["requestId"]), Decimal(str(split["requested"])), made,
                   book.get(str(split["backorderId"])))  # fmt: skip
