"""prometheus_client's multiprocess mode for `gateway serve`, whose gunicorn workers each
answer some scrapes of /metrics.

The mode is chosen when prometheus_client is first imported (from PROMETHEUS_MULTIPROC_DIR), and
the CLI has imported it by the time `serve` runs, so `serve` makes the directory, sets the
variable and starts itself again (``os.execv``: same pid, same arguments). A directory the
operator names is used as given and emptied of the last run's files; one the gateway made is
removed when it stops (a killed server leaves it in the temporary directory).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import multiprocess

DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
OWNED = "RESERVATION_GATEWAY_OWNS_METRICS_DIR"
"""Set when the directory is the gateway's own, to remove at exit."""


def restart_in_multiprocess_mode() -> None:
    """Start this command again with the metrics directory set, unless it is set already."""
    if os.environ.get(DIRECTORY):
        return
    os.environ[DIRECTORY] = tempfile.mkdtemp(prefix="gateway-metrics-")
    os.environ[OWNED] = "1"
    sys.stdout.flush()
    sys.stderr.flush()
    code = "from gateway.cli import main; main()"
    os.execv(sys.executable, [sys.executable, "-c", code, *sys.argv[1:]])  # noqa: S606 (no shell)


@contextmanager
def metrics_directory() -> Iterator[Path | None]:
    """The directory for this run, emptied first; removed afterwards when it is the gateway's."""
    given = os.environ.get(DIRECTORY)
    if not given:
        yield None
        return
    directory = Path(given)
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    try:
        yield directory
    finally:
        if os.environ.get(OWNED) == "1":
            shutil.rmtree(directory, ignore_errors=True)


def forget_worker(pid: int) -> None:
    """A worker exited: its live gauges stop counting (its counters stay in the totals)."""
    if os.environ.get(DIRECTORY):
        multiprocess.mark_process_dead(pid)
