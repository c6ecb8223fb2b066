"""Webhook subscriptions and their deliveries (issue 14.1): who hears of which events, and the
rules of at-least-once delivery — matching, backoff with jitter, when to give up.

A subscription is a *target* of a kind (``webhook`` today; a broker later) that follows the
durable event feed with a cursor of its own (docs/decisions/160-webhook-deliveries.md).
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from gateway.domain.credentials import Secret

RESERVATION_EVENT_TYPES = (
    "InventoryReserved",
    "InventoryReleased",
    "InventoryConsumed",
    "InventoryExpired",
    "InventoryCompensationConflict",
    "InventoryReservationExtended",
    "InventoryPartiallyConsumed",
)
"""A reservation's changes (SPEC §5.3, decision 090); the ERP's own are among them (161); an
expiry changed and a part consumed (issue 15.1, 15.4, decision 173)."""
BACKORDER_EVENT_TYPES = (
    "InventoryBackordered",
    "InventoryBackorderFilled",
    "InventoryBackorderCancelled",
    "InventoryBackorderExpired",
)
"""A backorder's changes (issue 15.2, decision 170); the event's aggregate is the backorder."""
EVENT_TYPES = RESERVATION_EVENT_TYPES + BACKORDER_EVENT_TYPES
"""Every event type the gateway's feed carries, so every one a subscriber may ask for."""
WEBHOOK = "webhook"
AMQP = "amqp"
MQTT = "mqtt"
"""Broker targets (issue 14.2): subscriptions the settings name, one per broker."""
"""The one target kind so far; brokers (issue 14.2) add theirs beside it."""
ALL_OWNERS = "*"


class SubscriptionState(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class DeliveryState(StrEnum):
    RETRYING = "retrying"  # attempted, failed, tried again at next_attempt_at
    DELIVERED = "delivered"
    DEAD = "dead"  # given up: the cursor moved on; redeliverable by an admin
    REDELIVER = "redeliver"  # a dead letter an admin sent back, out of the feed's order


@dataclass(frozen=True)
class Subscription:
    """Where some events go; ``owners`` holds ``*`` for every owner (and the gateway's own)."""

    id: str
    kind: str
    url: str
    event_types: frozenset[str]
    owners: frozenset[str]
    state: SubscriptionState
    created_at: datetime
    created_by: str
    cursor: int
    """The last event id this subscription is done with (delivered, dead or not its own)."""
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    secret_fingerprints: tuple[str, ...] = ()
    """Of the secrets that sign now: the current one first, then any in their grace period."""

    @property
    def all_owners(self) -> bool:
        return ALL_OWNERS in self.owners

    def wants(self, event_type: str, owner_id: str | None) -> bool:
        """True if an event of this type and owner is for this subscription."""
        if event_type not in self.event_types:
            return False
        return self.all_owners or (owner_id is not None and owner_id in self.owners)

    def visible_to(self, owner_ids: frozenset[str] | None) -> bool:
        """An admin of ``owner_ids`` (None: every owner) sees subscriptions inside its scope."""
        return owner_ids is None or (not self.all_owners and self.owners <= owner_ids)


@dataclass(frozen=True)
class NewSubscription:
    url: str
    event_types: frozenset[str]
    owners: frozenset[str]
    kind: str = WEBHOOK


@dataclass(frozen=True)
class Delivery:
    """One event's delivery to one subscription: its attempts and how it ended."""

    subscription_id: str
    event_id: int
    event_type: str
    aggregate_id: str
    state: DeliveryState
    attempts: int
    first_attempt_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    give_up_at: datetime
    last_status: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None


@dataclass(frozen=True)
class FeedEvent:
    """An event of the durable feed, as a target receives it."""

    id: int
    type: str
    at: datetime
    aggregate_id: str
    owner_id: str | None
    correlation_id: str | None
    payload: Mapping[str, Any]
    origin: str = "gateway"
    """Who made the change: the gateway, or the ERP itself (decision 161)."""

    @property
    def message_id(self) -> str:
        """The Standard Webhooks ``webhook-id``: the event's id, the same on every attempt."""
        return f"evt_{self.id}"

    def body(self) -> dict[str, Any]:
        """The Standard Webhooks payload: type, timestamp and the feed's event as data."""
        return {
            "type": self.type,
            "timestamp": self.at.isoformat(),
            "data": {
                "id": self.id, "type": self.type, "at": self.at.isoformat(),
                "aggregateId": self.aggregate_id, "ownerId": self.owner_id,
                "correlationId": self.correlation_id, "origin": self.origin,
                "payload": dict(self.payload),
            },
        }  # fmt: skip


class Outcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # try again later
    GONE = "gone"  # 410: the target asks to be forgotten; the subscription is disabled


@dataclass(frozen=True)
class Attempt:
    """What one delivery attempt came to."""

    outcome: Outcome
    status: int | None = None
    error: str | None = None


def attempt_for_status(status: int) -> Attempt:
    """2xx delivers, 410 disables, anything else (3xx included: no redirects) is retried."""
    if 200 <= status < 300:
        return Attempt(Outcome.DELIVERED, status)
    if status == 410:
        return Attempt(Outcome.GONE, status, "the target answered 410 Gone")
    return Attempt(Outcome.FAILED, status, f"the target answered {status}")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; given up once the event is ``max_age`` old."""

    base: timedelta
    cap: timedelta
    max_age: timedelta

    def next_attempt(self, attempts: int, now: datetime, random: Callable[[], float]) -> datetime:
        """When to try again after ``attempts`` failed attempts (1 or more)."""
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** (attempts - 1))
        return now + timedelta(seconds=ceiling * random())

    def give_up_at(self, since: datetime) -> datetime:
        return since + self.max_age


def new_signing_secret() -> Secret:
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return Secret("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())


def new_subscription_id() -> str:
    return "sub_" + secrets.token_hex(12)
