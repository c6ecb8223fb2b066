"""The interfaces the webhook use cases need; the store and the adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from gateway.domain.credentials import Secret
from gateway.domain.webhooks import Attempt, Delivery, FeedEvent, NewSubscription, Subscription


class SubscriptionRepository(Protocol):
    """Subscriptions and their signing secrets (sealed at rest; never listed)."""

    def add(
        self, new: NewSubscription, secret: Secret, subscription_id: str, actor: str, now: datetime
    ) -> Subscription:
        """Keep a subscription to the events committed from now on."""
        ...

    def ensure(
        self, new: NewSubscription, subscription_id: str, actor: str, now: datetime
    ) -> Subscription:
        """The subscription, added without a secret if missing (a target the settings name)."""
        ...

    def get(self, subscription_id: str, now: datetime) -> Subscription | None: ...
    def all(self, now: datetime) -> list[Subscription]: ...
    def active(self, now: datetime) -> list[Subscription]: ...

    def disable(self, subscription_id: str, reason: str, now: datetime) -> bool:
        """Stop its deliveries; False if it was disabled already."""
        ...

    def enable(self, subscription_id: str) -> bool:
        """Resume its deliveries from its cursor; False if it was active already."""
        ...

    def rotate_secret(
        self, subscription_id: str, secret: Secret, old_until: datetime, now: datetime
    ) -> None:
        """``secret`` signs from now on; the current one too, until ``old_until``."""
        ...

    def signing_secrets(self, subscription_id: str, now: datetime) -> list[Secret]:
        """Every secret that signs a delivery now, the current one first."""
        ...


class DeliveryLedger(Protocol):
    """Leases, cursors and delivery records (gateway/store/webhook_deliveries.py)."""

    def claim(self, subscription_id: str, holder: str, now: datetime, lease: timedelta) -> bool:
        """Take or renew the subscription's lease; False if another drainer holds it."""
        ...

    def release(self, subscription_id: str, holder: str) -> None: ...
    def retry_at(self, subscription_id: str) -> datetime | None: ...
    def pending_events(self, subscription: Subscription, limit: int) -> list[FeedEvent]: ...
    def oldest_pending_at(self, subscription: Subscription) -> datetime | None: ...
    def delivery(self, subscription_id: str, event_id: int) -> Delivery | None: ...

    def record(
        self, delivery: Delivery, advance: bool, retry_at: datetime | None, head: bool = True
    ) -> None:
        """Keep the delivery; for the head event, ``advance`` moves the cursor past it (never
        back) and ``retry_at`` holds the subscription back; a redelivery touches neither."""
        ...

    def record_delivered(self, deliveries: Sequence[Delivery]) -> None:
        """First deliveries, and the cursor past the last, in one transaction."""
        ...

    def redeliveries_due(self, subscription: Subscription, now: datetime) -> list[FeedEvent]: ...
    def send_back(self, subscription_id: str, now: datetime, give_up_at: datetime) -> int: ...

    def deliveries(
        self, subscription_id: str, state: str | None, limit: int, before: int | None = None
    ) -> list[Delivery]: ...


class DeliveryTarget(Protocol):
    """Where a subscription's events go (a webhook; brokers later): one attempt, never raises."""

    def deliver(self, url: str, event: FeedEvent, secrets: Sequence[Secret]) -> Attempt: ...


class DestinationCheck(Protocol):
    def check(self, url: str) -> object:
        """The destination, or DestinationRefused when the outbound policy forbids it."""
        ...


class DeliveryObserver(Protocol):
    """Measurements of the drainer (Prometheus in gateway/observability/metrics.py)."""

    def attempted(self, subscription_id: str, outcome: str, seconds: float) -> None: ...
    def dead_lettered(self, subscription_id: str) -> None: ...
