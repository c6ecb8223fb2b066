"""One measured row of the table: what was measured, the issue's target, and whether it holds."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    measure: str
    result: str
    target: str
    met: bool
    numbers: dict[str, Any] = field(default_factory=dict)


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table (it reads in a terminal and pastes into the README)."""
    header = ("Measure", "Result", "Target", "Met")
    cells = [header] + [(r.measure, r.result, r.target, "yes" if r.met else "**no**") for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) + " |"
             for line in cells]  # fmt: skip
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def write_results(path: Path, rows: list[Row], settings: dict[str, Any]) -> None:
    document = {"machine": machine(), "settings": settings, "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
