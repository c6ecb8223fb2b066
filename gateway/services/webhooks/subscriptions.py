"""Webhook subscriptions for admins: subscribe, list, disable, rotate the secret, redeliver.

An admin works inside its owner scope (SPEC §7): it subscribes to owners it sees, and sees only
subscriptions whose owners all lie in its scope; ``*`` sees (and may subscribe to) every one.
The signing secret is generated here and handed back once; it is stored sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gateway.domain.credentials import Secret
from gateway.domain.errors import (
    Forbidden,
    SubscriptionDisabled,
    SubscriptionLimitReached,
    SubscriptionNotFound,
)
from gateway.domain.webhooks import (
    ALL_OWNERS,
    Delivery,
    NewSubscription,
    RetryPolicy,
    Subscription,
    SubscriptionState,
    new_signing_secret,
    new_subscription_id,
)
from gateway.services.ports import AuditLog
from gateway.services.webhooks.ports import DeliveryLedger, DestinationCheck, SubscriptionRepository

TARGET = "subscription"
Scope = frozenset[str] | None
"""An admin's owner scope; None: every owner."""


@dataclass(frozen=True)
class WebhookPolicy:
    retry: RetryPolicy
    secret_grace: timedelta
    """How long a replaced secret goes on signing (both signatures are sent meanwhile)."""
    lease: timedelta
    batch: int = 100
    pass_budget: timedelta = timedelta(seconds=30)
    """How long one subscription may keep the drainer in a pass before the next one's turn (a
    slow target answering every event just within the attempt deadline held all the others)."""
    max_active: int = 100
    """Active subscriptions in all (every owner's): each one costs every drainer pass a turn,
    so an admin script gone wrong must not add them without end (WEBHOOK_MAX_SUBSCRIPTIONS)."""


class Webhooks:
    """The subscription use cases over their repository, the ledger and the outbound policy."""

    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        ledger: DeliveryLedger,
        destinations: DestinationCheck,
        policy: WebhookPolicy,
        clock: Callable[[], datetime],
    ) -> None:
        self.subscriptions = subscriptions
        self.ledger = ledger
        self.destinations = destinations
        self.policy = policy
        self.clock = clock

    def subscribe(
        self, new: NewSubscription, actor: str, scope: Scope, audit: AuditLog
    ) -> tuple[Subscription, Secret]:
        """A subscription to the events committed from now on, and its secret (shown once)."""
        _check_owners(new.owners, scope)
        self.destinations.check(new.url)  # DestinationRefused: 422, nothing kept
        self._check_room()
        secret = new_signing_secret()
        made = self.subscriptions.add(new, secret, new_subscription_id(), actor, self.clock())
        audit.record(actor, "subscription.create", TARGET, made.id, None, _audited(made),
                     owner_id=_owner(made))  # fmt: skip
        return made, secret

    def _check_room(self) -> None:
        active = [s for s in self.subscriptions.all(self.clock())
                  if s.state is SubscriptionState.ACTIVE]  # fmt: skip
        if len(active) >= self.policy.max_active:
            raise SubscriptionLimitReached(
                f"{len(active)} subscriptions are active, the most WEBHOOK_MAX_SUBSCRIPTIONS "
                "allows: disable one first"
            )

    def visible(self, scope: Scope) -> list[Subscription]:
        return [s for s in self.subscriptions.all(self.clock()) if s.visible_to(scope)]

    def get(self, subscription_id: str, scope: Scope) -> Subscription:
        """The subscription; another scope's is missing (SPEC §7)."""
        found = self.subscriptions.get(subscription_id, self.clock())
        if found is None or not found.visible_to(scope):
            raise SubscriptionNotFound(f"No subscription {subscription_id}")
        return found

    def disable(
        self, subscription_id: str, actor: str, scope: Scope, audit: AuditLog,
        reason: str = "disabled by an admin",
    ) -> Subscription:  # fmt: skip
        """No more deliveries (already disabled: answered as it is)."""
        before = self.get(subscription_id, scope)
        if self.subscriptions.disable(subscription_id, f"{reason} ({actor})", self.clock()):
            after = self.get(subscription_id, scope)
            audit.record(actor, "subscription.disable", TARGET, subscription_id,
                         _audited(before), _audited(after), owner_id=_owner(after))  # fmt: skip
            return after
        return before

    def enable(
        self, subscription_id: str, actor: str, scope: Scope, audit: AuditLog
    ) -> Subscription:
        """Deliveries resume from where they stopped (the destination is checked again);
        events older than the age limit by then are tried once, then dead-lettered."""
        before = self.get(subscription_id, scope)
        self.destinations.check(before.url)
        if self.subscriptions.enable(subscription_id):
            after = self.get(subscription_id, scope)
            audit.record(actor, "subscription.enable", TARGET, subscription_id,
                         _audited(before), _audited(after), owner_id=_owner(after))  # fmt: skip
            return after
        return before

    def rotate_secret(
        self, subscription_id: str, actor: str, scope: Scope, audit: AuditLog,
        grace: timedelta | None = None,
    ) -> tuple[Subscription, Secret]:  # fmt: skip
        """A new secret (shown once); the old one signs too until the grace period ends."""
        before = self._active(subscription_id, scope)
        secret, now = new_signing_secret(), self.clock()
        until = now + (self.policy.secret_grace if grace is None else grace)
        self.subscriptions.rotate_secret(subscription_id, secret, until, now)
        after = self.get(subscription_id, scope)
        audit.record(actor, "subscription.rotate_secret", TARGET, subscription_id,
                     _audited(before), {**_audited(after), "oldSecretUntil": until},
                     owner_id=_owner(after))  # fmt: skip
        return after, secret

    def redeliver(self, subscription_id: str, actor: str, scope: Scope, audit: AuditLog) -> int:
        """Every dead letter is sent again (out of the feed's order); returns how many."""
        found = self._active(subscription_id, scope)
        now = self.clock()
        count = self.ledger.send_back(subscription_id, now, self.policy.retry.give_up_at(now))
        audit.record(actor, "subscription.redeliver", TARGET, subscription_id, None,
                     {"deadLetters": count}, owner_id=_owner(found))  # fmt: skip
        return count

    def deliveries(
        self, subscription_id: str, scope: Scope, state: str | None, limit: int,
        before: int | None = None,
    ) -> list[Delivery]:  # fmt: skip
        self.get(subscription_id, scope)
        return self.ledger.deliveries(subscription_id, state, limit, before)

    def lag(self) -> Mapping[str, float]:
        """Per active subscription: seconds since its oldest undelivered event was committed."""
        now, found = self.clock(), {}
        for subscription in self.subscriptions.active(now):
            oldest = self.ledger.oldest_pending_at(subscription)
            found[subscription.id] = 0.0 if oldest is None else (now - oldest).total_seconds()
        return found

    def _active(self, subscription_id: str, scope: Scope) -> Subscription:
        found = self.get(subscription_id, scope)
        if found.state is not SubscriptionState.ACTIVE:
            raise SubscriptionDisabled(f"{subscription_id} is disabled: {found.disabled_reason}")
        return found


def _check_owners(owners: frozenset[str], scope: Scope) -> None:
    if scope is None:
        return
    outside = sorted(owners - scope) if ALL_OWNERS not in owners else [ALL_OWNERS]
    if outside:
        raise Forbidden(f"Outside your owner scope: {', '.join(outside)}")


def _owner(subscription: Subscription) -> str | None:
    """Whose admins see its audit entries: its one owner (else the gateway's own)."""
    owners = sorted(subscription.owners)
    return owners[0] if len(owners) == 1 and owners[0] != ALL_OWNERS else None


def _audited(subscription: Subscription) -> dict[str, Any]:
    """What an audit entry says of a subscription: never a secret, its fingerprints only."""
    return {
        "url": subscription.url, "eventTypes": sorted(subscription.event_types),
        "owners": sorted(subscription.owners), "state": subscription.state.value,
        "secretFingerprints": list(subscription.secret_fingerprints),
    }  # fmt: skip
