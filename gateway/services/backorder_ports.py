"""The port of the gateway's own backorder book (gateway/store/backorders.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, Protocol

from gateway.domain.backorders import Backorder, BackorderSearch
from gateway.domain.model import Page


class BackorderBook(Protocol):
    """Backorders and the filler's lease; every change is a write for a unit of work."""

    def get(self, backorder_id: str) -> Backorder | None: ...

    def search(self, search: BackorderSearch, offset: int, limit: int) -> Page[Backorder]:
        """One page, highest priority first, then oldest; ``owner_ids`` empty = none."""
        ...

    def open_backorders(self) -> list[Backorder]:
        """Every OPEN backorder, in serving order."""
        ...

    def backordered(self, sku: str, warehouse_id: str) -> Decimal:
        """The outstanding total of one item's OPEN backorders in one warehouse."""
        ...

    def adding(self, backorder: Backorder) -> Callable[[Any], None]: ...

    def changing(
        self, before: Backorder, after: Backorder, fenced: bool = False
    ) -> Callable[[Any], None]:
        """``before`` → ``after`` unless changed meanwhile (BackorderNotOpen); ``fenced``: the
        write raises FillerLeaseLost once this process no longer holds the filler's lease."""
        ...

    def take_lease(self, lease: timedelta) -> bool: ...

    def give_up_lease(self) -> None: ...
