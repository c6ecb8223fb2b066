"""Work the gateway does on its own, in daemon threads: the expiry sweeper (and, later, more)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask

from gateway.services.expiry import expire_due

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``seconds`` until stopped; an error is logged, never fatal."""

    def __init__(self, name: str, seconds: float, work: Callable[[], object]) -> None:
        self._seconds = seconds
        self._work = work
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._work()
            except Exception:
                log.exception("%s failed; trying again in %s s", self._thread.name, self._seconds)
            self._stopping.wait(self._seconds)


def sweep_once(app: Flask) -> int:
    """One pass of the expiry sweeper for this app's adapters and store."""
    inventory = app.extensions["gateway.adapters"].inventory
    store = app.extensions["gateway.store"]
    return expire_due(inventory, store.unit_of_work, datetime.now(UTC))


def start_background_work(app: Flask) -> list[Periodic]:
    """Start the sweeper; returns what to stop at shutdown."""
    return [
        Periodic(
            "expiry-sweeper", float(app.config["EXPIRY_SWEEP_SECONDS"]), lambda: sweep_once(app)
        ).start()
    ]
