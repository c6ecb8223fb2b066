"""The use cases bound to their ports, as REST views and SOAP operations call them.

Built once by the composition root (gateway/bootstrap.py): a view or an operation parses, makes
one call here with the caller and its unit of work, and formats the answer. REST and SOAP reach
the same objects, so they cannot drift apart in what they pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gateway.domain.backorders import Backorder, BackorderSearch
from gateway.domain.model import (
    Consumption,
    Page,
    Reservation,
    ReservationSearch,
    Source,
    StockLevel,
)
from gateway.domain.reservation_rules import Caller, ReservationDraft
from gateway.domain.shortages import Shortage
from gateway.domain.split_holds import SplitDraft
from gateway.services import backorders, expiry_changes, reservations
from gateway.services.backorder_batch import BatchLine, reserve_lines
from gateway.services.backorder_ports import BackorderBook
from gateway.services.ports import InventoryPort, UnitOfWork, WorkOrderPort
from gateway.services.reservation_batch import reserve_all
from gateway.services.shortages import shortage_page
from gateway.services.split_holds import (
    SplitPolicy,
    SplitPorts,
    SplitReservation,
    reserve_split,
    split_of_plan,
)
from gateway.services.workorder_update import (
    Updater,
    WorkOrderUpdate,
    new_plan_id,
    update_work_order,
)
from gateway.services.workorders import (
    ReservationFilter,
    WorkOrderReservations,
    get_work_order_reservations,
)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ReservationDesk:
    """Reservations and stock (SPEC §5.3) over the inventory and work-order ports."""

    inventory: InventoryPort
    work_orders: WorkOrderPort
    overrides_allowed: bool = True
    clock: Clock = field(default=utc_now)

    def reserve(
        self, draft: ReservationDraft, caller: Caller, reference: str, uow: UnitOfWork
    ) -> Reservation:
        return reservations.reserve(draft, caller, reference, self.inventory, self.work_orders,
                                    uow, self.clock(), self.overrides_allowed)  # fmt: skip

    def reserve_all(
        self, drafts: list[ReservationDraft], caller: Caller, reference: str, uow: UnitOfWork
    ) -> list[Reservation]:
        return reserve_all(drafts, caller, reference, self.inventory, self.work_orders, uow,
                           self.clock(), self.overrides_allowed)  # fmt: skip

    def release(
        self, reservation_id: str, caller: Caller, reference: str, uow: UnitOfWork
    ) -> Reservation:
        return reservations.release(reservation_id, caller, reference, self.inventory, uow)

    def consume(
        self,
        reservation_id: str,
        caller: Caller,
        reference: str,
        uow: UnitOfWork,
        picked: reservations.PickedPart | None = None,
    ) -> Consumption:
        return reservations.consume(reservation_id, caller, reference, self.inventory, uow,
                                    picked)  # fmt: skip

    def change_expiry(
        self,
        reservation_id: str,
        expires_at: datetime | None,
        caller: Caller,
        reference: str,
        uow: UnitOfWork,
    ) -> Reservation:
        return expiry_changes.change_expiry(reservation_id, expires_at, caller, reference,
                                            self.inventory, uow, self.clock())  # fmt: skip

    def change_source_expiry(
        self, source: Source, expires_at: datetime | None, caller: Caller, uow: UnitOfWork
    ) -> expiry_changes.SourceExpiry:
        return expiry_changes.change_source_expiry(source, expires_at, caller, self.inventory,
                                                   uow, self.clock())  # fmt: skip

    def get(self, reservation_id: str, caller: Caller) -> Reservation:
        return reservations.visible_reservation(reservation_id, caller, self.inventory)

    def search(
        self, search: ReservationSearch, caller: Caller, offset: int, limit: int
    ) -> Page[Reservation]:
        return reservations.list_reservations(search, caller, self.inventory, offset, limit)

    def stock_level(self, sku: str, warehouse_id: str, caller: Caller) -> StockLevel:
        return reservations.stock_level(sku, warehouse_id, caller, self.inventory)

    def low_stock(self, caller: Caller) -> list[StockLevel]:
        return reservations.low_stock(caller, self.inventory)

    def shortages(
        self, search: ReservationSearch, caller: Caller, offset: int, limit: int
    ) -> Page[Shortage]:
        return shortage_page(search, caller, self.inventory, offset, limit)


@dataclass(frozen=True)
class BackorderDesk:
    """Partial reservations and their backorders (issue 15.2, decision 170)."""

    inventory: InventoryPort
    work_orders: WorkOrderPort
    book: BackorderBook
    overrides_allowed: bool = True
    clock: Clock = field(default=utc_now)

    def reserve_partial(
        self,
        draft: ReservationDraft,
        caller: Caller,
        reference: str,
        uow: UnitOfWork,
        callers_reference: bool = False,
    ) -> backorders.PartialReservation:
        ports = (self.inventory, self.work_orders, self.book)
        return backorders.reserve_partial(draft, caller, reference, ports, uow, self.clock(),
                                          self.overrides_allowed, callers_reference)  # fmt: skip

    def reserve_lines(
        self, drafts: list[ReservationDraft], caller: Caller, reference: str, uow: UnitOfWork
    ) -> list[BatchLine]:
        ports = (self.inventory, self.work_orders, self.book)
        return reserve_lines(drafts, caller, reference, ports, uow, self.clock(),
                             self.overrides_allowed)  # fmt: skip

    def get(self, backorder_id: str, caller: Caller) -> Backorder:
        return backorders.visible_backorder(backorder_id, caller, self.book)

    def search(
        self, search: BackorderSearch, caller: Caller, offset: int, limit: int
    ) -> Page[Backorder]:
        return backorders.list_backorders(search, caller, self.book, offset, limit)

    def cancel(self, backorder_id: str, caller: Caller, uow: UnitOfWork) -> Backorder:
        return backorders.cancel(backorder_id, caller, self.book, uow, self.clock())

    def stock(self, sku: str, warehouse_id: str, caller: Caller) -> backorders.StockWithBackorders:
        return backorders.stock_with_backorders(sku, warehouse_id, caller, self.inventory,
                                                self.book)  # fmt: skip


@dataclass(frozen=True)
class SplitDesk:
    """Holds across locations: one create split over several warehouses (decision 172)."""

    ports: SplitPorts
    preferred_order: tuple[str, ...] = ()
    """``SPLIT_WAREHOUSE_ORDER``: the warehouses anyWarehouse tries first, in this order."""
    overrides_allowed: bool = True
    clock: Clock = field(default=utc_now)

    def reserve(
        self,
        split: SplitDraft,
        caller: Caller,
        reference: str,
        uow: UnitOfWork,
        callers_reference: bool = False,
    ) -> SplitReservation:
        policy = SplitPolicy(self.preferred_order, self.overrides_allowed, self.clock())
        return reserve_split(split, caller, reference, self.ports, uow, policy,
                             callers_reference)  # fmt: skip

    def of_plan(self, summary: dict[str, Any], made: list[Reservation]) -> SplitReservation:
        """A split's answer from its finished plan."""
        return split_of_plan(summary, made, self.ports.book)


@dataclass(frozen=True)
class WorkOrderDesk:
    """Work orders (SPEC §5.1, §5.2) over the work-order and inventory ports."""

    work_orders: WorkOrderPort
    inventory: InventoryPort
    default_warehouses: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = field(default=utc_now)

    def reservations(
        self,
        work_order_id: str,
        can_see_owner: Callable[[str], bool],
        keep: ReservationFilter | None = None,
    ) -> WorkOrderReservations:
        return get_work_order_reservations(work_order_id, self.work_orders, self.inventory,
                                           keep, can_see_owner)  # fmt: skip

    def update(
        self, update: WorkOrderUpdate, updater: Updater, uow: UnitOfWork
    ) -> WorkOrderReservations:
        return update_work_order(update, updater, new_plan_id(), self.work_orders,
                                 self.inventory, uow, self.clock(),
                                 self.default_warehouses)  # fmt: skip
