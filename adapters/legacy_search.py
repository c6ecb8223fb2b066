"""The legacy browse records (CRITERIA, PAGE, RSVPAGE) ⇄ the common model. No I/O here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from adapters.legacy_inventory import (
    SOURCE_CODE,
    STATUS,
    LegacyDataError,
    PlantClock,
    pad_item_number,
    reservation_from_legacy,
)
from gateway.domain.errors import RequestInvalid
from gateway.domain.model import Page, Reservation, ReservationSearch

MAX_ROWS = 1000
STATUS_LETTER = {v: k for k, v in STATUS.items()}


def check_page(offset: int, limit: int) -> None:
    """RequestInvalid unless the page is one the legacy browse serves."""
    errors: dict[str, list[str]] = {}
    if offset < 0:
        errors["offset"] = ["must be 0 or more"]
    if not 1 <= limit <= MAX_ROWS:
        errors["limit"] = [f"must lie between 1 and {MAX_ROWS}"]
    if errors:
        raise RequestInvalid(errors)


def page_to_legacy(offset: int, limit: int) -> dict[str, int]:
    """The PAGE record for ``limit`` rows from ``offset``."""
    return {"SKIP": offset, "MAXROWS": limit}


def criteria_to_legacy(search: ReservationSearch, clock: PlantClock) -> dict[str, Any]:
    """The CRITERIA record; criteria left out of ``search`` are left out of it."""
    criteria = {
        "ITEMNO": pad_item_number(search.item_sku_id) if search.item_sku_id else None,
        "WHSE": search.warehouse_id,
        "RSVSTS": STATUS_LETTER[search.status] if search.status else None,
        "SRCTYP": SOURCE_CODE[search.source_type] if search.source_type else None,
        "SRCID": search.source_id,
        "OWNERS": {"OWNER": sorted(search.owner_ids)} if search.owner_ids else None,
        "EXPBEFORE": _expires_before(search.expires_before, clock),
    }
    return {name: value for name, value in criteria.items() if value is not None}


def reservation_page_from_legacy(
    record: Mapping[str, Any], clock: PlantClock, offset: int, limit: int
) -> Page[Reservation]:
    """An RSVPAGE as the page from ``offset`` of at most ``limit`` reservations."""
    total = record.get("TOTAL")
    if total is None:
        raise LegacyDataError("TOTAL is blank")
    rows = (record.get("ROWS") or {}).get("RSV") or []
    return Page(
        items=tuple(reservation_from_legacy(row, clock) for row in rows),
        total=int(total),
        offset=offset,
        limit=limit,
    )


def _expires_before(moment: datetime | None, clock: PlantClock) -> str | None:
    # Stamps have whole seconds: "strictly before t" is "strictly before t rounded up".
    if moment is None:
        return None
    if moment.microsecond:
        moment += timedelta(seconds=1, microseconds=-moment.microsecond)
    return clock.to_legacy(moment)
