"""Questions about a plant's wall clock that only the tests ask (PlantClock answers neither)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def is_gap(zone: ZoneInfo, naive: datetime) -> bool:
    """Whether this wall-clock reading never happened (skipped by a DST jump)."""
    there_and_back = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there_and_back.replace(tzinfo=None) != naive


def is_ambiguous(zone: ZoneInfo, naive: datetime) -> bool:
    """Whether this wall-clock reading happened twice (a DST fall-back)."""
    early = naive.replace(tzinfo=zone, fold=0).utcoffset()
    late = naive.replace(tzinfo=zone, fold=1).utcoffset()
    return early != late and not is_gap(zone, naive)
