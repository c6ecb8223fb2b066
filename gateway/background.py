"""Work the gateway does on its own, in daemon threads: the expiry sweeper, the outbox, the
recovery of write plans whose process died, and webhook deliveries."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Flask

from gateway.bootstrap import backorders_of, gateway_of, webhooks_of
from gateway.broker_wiring import broker_drainers
from gateway.domain.write_plan import WritePlan
from gateway.observability.metrics import (
    ERP_CHANGE_PASSES,
    ERP_CHANGES_REPORTED,
    EXPIRY_SWEEPS,
    RESERVATIONS_EXPIRED,
    WRITE_PLANS_RECOVERED,
    WebhookMetrics,
)
from gateway.services.backorder_filling import BackorderFiller
from gateway.services.erp_changes import ErpChangeDetector
from gateway.services.expiry import expire_due
from gateway.services.outbox import compensation_runner, drain
from gateway.services.plan_recovery import recover_abandoned
from gateway.services.plan_runner import PlanPorts
from gateway.services.webhooks.drainer import DrainReport, WebhookDrainer
from gateway.webhook_wiring import build_drainer

log = logging.getLogger(__name__)


class Periodic:
    """Runs ``work`` every ``seconds`` until stopped; an error is logged, never fatal."""

    def __init__(
        self,
        name: str,
        seconds: float,
        work: Callable[[], object],
        on_stop: Callable[[], object] | None = None,
    ) -> None:
        self._seconds = seconds
        self._work = work
        self._on_stop = on_stop
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Periodic:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        if self._on_stop is not None:
            self._on_stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._work()
            except Exception:
                log.exception("%s failed; trying again in %s s", self._thread.name, self._seconds)
            self._stopping.wait(self._seconds)


def sweep_once(app: Flask) -> int:
    """One pass of the expiry sweeper for this app's adapters and store."""
    inventory = gateway_of(app).adapters.inventory
    store = gateway_of(app).store
    expired = expire_due(inventory, store.unit_of_work, datetime.now(UTC))
    EXPIRY_SWEEPS.inc()
    RESERVATIONS_EXPIRED.inc(expired)
    return expired


def drain_outbox_once(app: Flask) -> tuple[int, int]:
    """One pass over the outbox: run every due compensation; returns (done, failed)."""
    wired, store = gateway_of(app).adapters, gateway_of(app).store
    run = compensation_runner(
        store.outbox, store.plans, wired.inventory, wired.work_orders, store.unit_of_work
    )
    return drain(store.outbox, run, datetime.now(UTC))


def recover_plans_once(app: Flask) -> list[WritePlan]:
    """One pass of recovery: every write plan whose process died, driven to its end."""
    wired, store = gateway_of(app).adapters, gateway_of(app).store
    ports = PlanPorts(wired.inventory, wired.work_orders, store.plans)
    ended = recover_abandoned(store.plans, ports, store.unit_of_work, datetime.now(UTC))
    WRITE_PLANS_RECOVERED.inc(len(ended))
    return ended


def webhook_drainer(app: Flask) -> WebhookDrainer:
    """This process's webhook drainer (leases keep it one per subscription across processes)."""
    gateway = gateway_of(app)
    return build_drainer(webhooks_of(gateway), gateway.config.webhooks, WebhookMetrics())


def drain_webhooks(drainer: WebhookDrainer, passes: int = 10) -> DrainReport:
    """Passes of the drainer while they deliver something (a backlog drains in one go)."""
    report = drainer.drain_once()
    for _ in range(passes - 1):
        if not report.delivered:
            break
        report = drainer.drain_once()
    return report


def detect_erp_changes_once(app: Flask) -> int:
    """One pass of the ERP change detector (decision 161); 0 while another process holds it."""
    gateway = gateway_of(app)
    every = gateway.config.background
    detector = ErpChangeDetector(
        gateway.adapters.inventory,
        gateway.store.erp_snapshots,
        gateway.store.unit_of_work,
        every.erp_changes_watch,
        lease=timedelta(seconds=max(3 * every.erp_changes_seconds, 30.0)),
    )
    reported = detector.run_once()
    ERP_CHANGE_PASSES.inc()
    ERP_CHANGES_REPORTED.inc(reported)
    return reported


def start_erp_change_detector(app: Flask) -> list[Periodic]:
    """The detector's loop when ERP_CHANGES_SECONDS is above 0 (the lease keeps it to one
    process at a time; stopping gives the lease up)."""
    gateway = gateway_of(app)
    seconds = gateway.config.background.erp_changes_seconds
    if seconds <= 0:
        return []
    snapshots = gateway.store.erp_snapshots
    loop = Periodic("erp-changes", seconds, lambda: detect_erp_changes_once(app),
                    on_stop=snapshots.give_up_lease)  # fmt: skip
    return [loop.start()]


def fill_backorders_once(app: Flask) -> int:
    """One pass of the backorder filler (decision 170); 0 while another process holds it."""
    gateway = gateway_of(app)
    seconds = gateway.config.background.backorder_fill_seconds
    filler = BackorderFiller(
        gateway.adapters.inventory,
        gateway.adapters.work_orders,
        backorders_of(gateway).book,
        gateway.store.unit_of_work,
        lease=timedelta(seconds=max(3 * seconds, 30.0)),
        clock=lambda: datetime.now(UTC),
    )
    return filler.run_once()


def _backorder_filler(app: Flask) -> Periodic:
    seconds = gateway_of(app).config.background.backorder_fill_seconds
    book = backorders_of(gateway_of(app)).book
    return Periodic("backorder-filler", seconds, lambda: fill_backorders_once(app),
                    on_stop=book.give_up_lease)  # fmt: skip


def start_background_work(app: Flask) -> list[Periodic]:
    """Start the expiry sweeper, the outbox worker and the credential watcher; returns what
    to stop at shutdown."""
    every = gateway_of(app).config.background
    return [
        Periodic("expiry-sweeper", every.expiry_sweep_seconds, lambda: sweep_once(app)).start(),
        Periodic(
            "outbox-worker", every.outbox_drain_seconds, lambda: drain_outbox_once(app)
        ).start(),
        Periodic(
            "plan-recovery", every.plan_recovery_seconds, lambda: recover_plans_once(app)
        ).start(),
        *start_erp_change_detector(app),
        _backorder_filler(app).start(),
        _credential_watcher(app).start(),
        _webhook_worker(app).start(),
        *[worker.start() for worker in _broker_workers(app)],
    ]


def _webhook_worker(app: Flask) -> Periodic:
    drainer, seconds = webhook_drainer(app), gateway_of(app).config.webhooks.drain_seconds
    return Periodic("webhook-drainer", seconds, lambda: drain_webhooks(drainer))


def broker_drainers_of(app: Flask) -> list[WebhookDrainer]:
    """This process's broker drainers, one per configured broker (decision 162)."""
    gateway = gateway_of(app)
    return broker_drainers(webhooks_of(gateway), gateway.config.brokers, WebhookMetrics())


def _broker_workers(app: Flask) -> list[Periodic]:
    seconds = gateway_of(app).config.webhooks.drain_seconds
    return [_draining(f"broker-drainer-{index}", seconds, drainer)
            for index, drainer in enumerate(broker_drainers_of(app))]  # fmt: skip


def _draining(name: str, seconds: float, drainer: WebhookDrainer) -> Periodic:
    return Periodic(name, seconds, lambda: drain_webhooks(drainer), on_stop=drainer.close)


def _credential_watcher(app: Flask) -> Periodic:
    """Follows rotations while idle too, and keeps this process's report fresh."""
    watcher = gateway_of(app).credential_watcher
    if watcher is None:
        raise RuntimeError("the credential watcher is not wired yet")
    seconds = gateway_of(app).config.credentials.check_seconds
    return Periodic("credential-watcher", seconds, watcher.check, on_stop=watcher.stop)
