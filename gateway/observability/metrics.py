"""Prometheus metrics of the gateway; served at /metrics.

Metric objects live in the default registry, once per process, as prometheus_client expects.
Histograms carry the request's correlation id as an exemplar (OpenMetrics format).

Under `gateway serve` (several gunicorn workers) prometheus_client runs in its multiprocess
mode (gateway/observability/multiprocess.py): each worker writes its values to files in one
directory and a scrape, whichever worker answers it, adds up every worker's — so /metrics
reports the whole server. That mode keeps no exemplars (prometheus_client does not implement
them there); the correlation id is still in every log line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from gateway.observability.correlation import correlation_id

REQUEST_SECONDS = Histogram(
    "gateway_request_seconds", "Inbound request latency", ["method", "route", "status"]
)
UPSTREAM_SECONDS = Histogram(
    "gateway_upstream_call_seconds",
    "Upstream call latency (one attempt)",
    ["upstream", "operation"],
)
UPSTREAM_ERRORS = Counter(
    "gateway_upstream_errors",
    "Upstream call attempts that failed",
    ["upstream", "operation", "code"],
)
BREAKER_STATE = Gauge(
    "gateway_breaker_open",
    "1 while the upstream's circuit breaker is open (0.5 half-open)",
    ["upstream"],
    multiprocess_mode="livemax",  # the most open any live worker sees
)
TOKEN_FETCHES = Counter(
    "gateway_token_fetches", "Tokens fetched from the identity provider (not from cache)", ["scope"]
)
EXPIRY_SWEEPS = Counter("gateway_expiry_sweeps", "Passes of the expiry sweeper")
RESERVATIONS_EXPIRED = Counter("gateway_reservations_expired", "Reservations released as expired")
ERP_CHANGE_PASSES = Counter(
    "gateway_erp_change_passes", "Passes of the ERP change detector (without its lease too)"
)
ERP_CHANGES_REPORTED = Counter(
    "gateway_erp_changes_reported", "Events written for changes made inside the ERP"
)
WRITE_PLANS_ENDED = Counter(
    "gateway_write_plans_ended", "Write plans driven to an end", ["operation", "outcome"]
)
WRITE_PLANS_RECOVERED = Counter(
    "gateway_write_plans_recovered", "Write plans another process finished or undone"
)
COMPENSATION_CONFLICTS = Counter(
    "gateway_compensation_conflicts",
    "Compensations that could not restore a reservation without overselling",
)
WEBHOOK_ATTEMPTS = Counter(
    "gateway_webhook_attempts",
    "Webhook delivery attempts, by subscription and outcome (delivered, failed, gone)",
    ["subscription", "outcome"],
)
WEBHOOK_SECONDS = Histogram(
    "gateway_webhook_attempt_seconds", "Webhook delivery attempt latency", ["subscription"]
)
WEBHOOK_DEAD_LETTERS = Counter(
    "gateway_webhook_dead_letters", "Webhook deliveries given up (dead-lettered)", ["subscription"]
)

BREAKER_VALUES = {"closed": 0.0, "half-open": 0.5, "open": 1.0}


def _exemplar() -> dict[str, str] | None:
    found = correlation_id()
    return {"correlation_id": found[:64]} if found else None


class UpstreamMetrics:
    """The CallObserver of adapters.call_guard, writing to the metrics above."""

    def observed(self, upstream: str, operation: str, seconds: float, code: str | None) -> None:
        UPSTREAM_SECONDS.labels(upstream, operation).observe(seconds, exemplar=_exemplar())
        if code is not None:
            UPSTREAM_ERRORS.labels(upstream, operation, code).inc()

    def breaker_state(self, upstream: str, state: str) -> None:
        BREAKER_STATE.labels(upstream).set(BREAKER_VALUES.get(state, 1.0))


class WebhookMetrics:
    """The DeliveryObserver of the webhook drainer, writing to the metrics above."""

    def attempted(self, subscription_id: str, outcome: str, seconds: float) -> None:
        WEBHOOK_ATTEMPTS.labels(subscription_id, outcome).inc()
        WEBHOOK_SECONDS.labels(subscription_id).observe(seconds)

    def dead_lettered(self, subscription_id: str) -> None:
        WEBHOOK_DEAD_LETTERS.labels(subscription_id).inc()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(method, route, str(status)).observe(seconds, exemplar=_exemplar())


class _OutboxDepth(Collector):
    """The outbox depth, read from the database when /metrics is scraped: one figure for the
    whole server (the outbox is shared), whichever worker answers."""

    pending: Callable[[], int] | None = None

    def collect(self) -> Iterator[Metric]:
        depth = GaugeMetricFamily("gateway_outbox_pending", "Outbox entries still to run")
        if self.pending is not None:
            depth.add_metric([], float(self.pending()))
        yield depth


_OUTBOX_DEPTH = _OutboxDepth()
REGISTRY.register(_OUTBOX_DEPTH)


class _WebhookLag(Collector):
    """Per subscription, how old its oldest undelivered event is, read from the database when
    /metrics is scraped (the cursors are shared, so any worker gives the server's figure)."""

    lag: Callable[[], Mapping[str, float]] | None = None

    def collect(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "gateway_webhook_lag_seconds",
            "Age of the oldest event a subscription has not been delivered yet (0: caught up)",
            labels=["subscription"],
        )
        for subscription, seconds in (self.lag() if self.lag else {}).items():
            lag.add_metric([subscription], seconds)
        yield lag


_WEBHOOK_LAG = _WebhookLag()
REGISTRY.register(_WEBHOOK_LAG)


def measure_webhook_lag_with(lag: Callable[[], Mapping[str, float]]) -> None:
    """Webhook lag is read from the database when /metrics is scraped."""
    _WEBHOOK_LAG.lag = lag


def count_outbox_with(pending: Callable[[], int]) -> None:
    """The outbox depth is read from the database when /metrics is scraped."""
    _OUTBOX_DEPTH.pending = pending


def scrape_registry() -> CollectorRegistry:
    """What /metrics reports: this process's registry, or under several workers every worker's
    values from the shared directory (plus the outbox depth, which is the database's)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(_OUTBOX_DEPTH)
    registry.register(_WEBHOOK_LAG)
    return registry
