"""How the legacy system writes things: padded item numbers, plant-local 14-digit stamps."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

ITEMNO_WIDTH = 18
STAMP_FORMAT = "%Y%m%d%H%M%S"


def padded(item_number: str) -> str:
    return item_number.ljust(ITEMNO_WIDTH)


def trimmed(value: str | None) -> str | None:
    """CHAR columns compare without trailing blanks; blank means none."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def local_stamp(utc_iso: str | None, zone: ZoneInfo) -> str:
    """UTC ISO → ``YYYYMMDDHHMMSS`` on the plant's wall clock; none → blank."""
    if not utc_iso:
        return ""
    return datetime.fromisoformat(utc_iso).astimezone(zone).strftime(STAMP_FORMAT)


def utc_from_stamp(stamp: str | None, zone: ZoneInfo) -> str | None:
    """``YYYYMMDDHHMMSS`` plant-local → UTC ISO (the earlier reading where a DST change is)."""
    if not stamp or not stamp.strip():
        return None
    naive = datetime.strptime(stamp.strip(), STAMP_FORMAT)
    return naive.replace(tzinfo=zone).astimezone(UTC).isoformat(timespec="seconds")
