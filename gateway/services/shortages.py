"""The shortage view (issue 15.5): OPEN reservations on-hand no longer covers, in the caller's
warehouses, highest priority first then oldest, one page of them.

Read from the legacy system, which stays the source of truth (decision 022): every OPEN
reservation of the scope, in pages, in the order the legacy search serves them, then the
balances of their items in batches; upstream round trips grow with the OPEN reservations /
``SEARCH_PAGE`` and the items / ``BALANCE_BATCH``, never with the pairs one by one.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from gateway.domain.model import Page, Reservation, ReservationSearch, ReservationStatus
from gateway.domain.reservation_rules import Caller
from gateway.domain.shortages import Pair, Shortage, pair_of, shortages
from gateway.services.ports import InventoryPort

SEARCH_PAGE = 1000
BALANCE_BATCH = 200


def shortage_page(
    search: ReservationSearch, caller: Caller, inventory: InventoryPort, offset: int, limit: int
) -> Page[Shortage]:
    """One page of the short reservations the caller may see (``search`` narrows by item or
    warehouse; its status is always OPEN)."""
    scope = None if caller.all_owners else caller.owner_ids
    criteria = ReservationSearch(
        item_sku_id=search.item_sku_id,
        warehouse_id=search.warehouse_id,
        status=ReservationStatus.OPEN,
        owner_ids=scope,
    )
    open_ones = list(_every(criteria, inventory))
    short = shortages(open_ones, _on_hand(open_ones, caller, inventory))
    return Page(tuple(short[offset : offset + limit]), len(short), offset, limit)


def _every(search: ReservationSearch, inventory: InventoryPort) -> Iterator[Reservation]:
    offset = 0
    while True:
        page = inventory.search_reservations(search, offset, SEARCH_PAGE)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def _on_hand(
    reservations: list[Reservation], caller: Caller, inventory: InventoryPort
) -> dict[Pair, Decimal]:
    """On-hand of each pair in use, in the caller's warehouses only."""
    pairs = {pair_of(r) for r in reservations}
    skus = sorted({sku for sku, _ in pairs})
    found: dict[Pair, Decimal] = {}
    for start in range(0, len(skus), BALANCE_BATCH):
        for balances in inventory.get_item_balances(skus[start : start + BALANCE_BATCH]):
            for level in balances.levels:
                pair = (level.item_sku_id, level.warehouse_id)
                owner = level.owner_id
                if pair in pairs and owner is not None and caller.can_see(owner):
                    found[pair] = level.on_hand
    return found
