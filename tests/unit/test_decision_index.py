"""Every decision record has its row in docs/decisions/README.md, and every row's link opens a
record (a record without a row is invisible to a newcomer reading the index)."""

from __future__ import annotations

import re
from pathlib import Path

DECISIONS = Path(__file__).resolve().parents[2] / "docs" / "decisions"
ROW = re.compile(r"^\| (\d{3}) \| \[[^\]]+\]\(([^)]+)\)", re.MULTILINE)


def test_every_record_has_a_row_and_every_row_a_record() -> None:
    rows = dict(ROW.findall((DECISIONS / "README.md").read_text()))
    records = {path.name[:3]: path.name for path in DECISIONS.glob("[0-9][0-9][0-9]-*.md")}

    assert len(records) > 100
    assert sorted(set(records) - set(rows)) == []
    assert {number: link for number, link in rows.items() if link != records.get(number)} == {}
