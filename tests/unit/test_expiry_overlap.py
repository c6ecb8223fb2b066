"""The sweeper never expires a reservation before the instant the caller gave (issue 10.9)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters import legacy_inventory as legacy
from gateway.domain.model import Page, Reservation, ReservationSearch
from gateway.services.expiry import expire_due

BERLIN = legacy.PlantClock("Europe/Berlin")


@dataclass
class OverlapInventory:
    """Answers the search like the legacy system: the ambiguous stamp read as the earlier
    instant matches; the model the adapter hands over carries the later one."""

    reservation: Reservation
    released: list[str] = field(default_factory=list)

    def search_reservations(self, search: ReservationSearch, offset: int, limit: int) -> Page:
        return Page(items=(self.reservation,), total=1, offset=offset, limit=limit)

    def release(
        self, reservation_id: str, reason: Any, reference: str | None = None
    ) -> Reservation:
        self.released.append(reservation_id)
        return self.reservation


def _reservation(given: datetime) -> Reservation:
    record = {
        "RSVNO": "1", "REFNO": "R", "ITEMNO": "RM-1001", "WHSE": "W01", "QTY": "1",
        "RSVTYP": "S", "SRCTYP": "SO", "SRCID": "SO-1", "RSVSTS": "O", "OWNER": "PLANT-A",
        "EXPDTM": BERLIN.to_legacy(given),
    }  # fmt: skip
    return legacy.reservation_from_legacy(record, BERLIN)


def test_not_expired_between_the_earlier_reading_and_the_given_instant() -> None:
    given = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET, the second 02:30
    inventory = OverlapInventory(_reservation(given))
    now = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # after 02:30 CEST, before the given instant
    assert expire_due(inventory, _no_unit_of_work, now) == 0  # type: ignore[arg-type]
    assert inventory.released == []


def test_expired_once_the_given_instant_has_passed() -> None:
    given = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    reservation = _reservation(given)
    inventory = OverlapInventory(reservation)
    later = datetime(2026, 10, 25, 1, 31, tzinfo=UTC)
    uow = _RecordingUnitOfWork()
    assert reservation.expires_at == given
    assert expire_due(inventory, lambda: uow, later) == 1  # type: ignore[arg-type]
    assert inventory.released == ["1"]


def _no_unit_of_work() -> Any:
    raise AssertionError("nothing is due, no unit of work is opened")


class _Anything:
    def __getattr__(self, name: str) -> Any:
        return _Anything()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return None


class _RecordingUnitOfWork(_Anything):
    pass
