"""The webhook drainer: follows the durable event feed for every active subscription.

Per subscription, the drainer holding its lease (one in the whole process pool) takes the
events after the subscription's cursor in feed order and delivers them one at a time: the
cursor moves past an event once it is delivered or given up (dead-lettered), never before, so
events reach a target at least once and in feed order — hence in order per reservation. A
failed head event holds back the rest of its subscription until its next attempt (exponential
backoff with full jitter); once it is older than the policy's age it becomes a dead letter and
the cursor moves on. A 410 disables the subscription. See docs/decisions/160-webhook-deliveries.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from gateway.domain.credentials import Secret
from gateway.domain.webhooks import (
    WEBHOOK,
    Attempt,
    Delivery,
    DeliveryState,
    FeedEvent,
    Outcome,
    Subscription,
)
from gateway.services.webhooks.ports import DeliveryObserver, DeliveryTarget
from gateway.services.webhooks.subscriptions import Webhooks

log = logging.getLogger(__name__)
FLUSH_EVERY = 50
"""First deliveries recorded per transaction: a crash sends at most these again (at least once)."""


@dataclass
class DrainReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: int = 0


class WebhookDrainer:
    """One drainer per process; the leases make it one per subscription across the pool."""

    def __init__(
        self,
        webhooks: Webhooks,
        targets: Mapping[str, DeliveryTarget],
        holder: str,
        observer: DeliveryObserver,
        random: Callable[[], float],
    ) -> None:
        self._webhooks = webhooks
        self._targets = targets
        self.holder = holder
        self._observer = observer
        self._random = random
        self._claimed_at: dict[str, float] = {}
        self._secrets: dict[str, list[Secret]] = {}

    def close(self) -> None:
        """Close the targets' connections (a broker's client and its network thread)."""
        for target in self._targets.values():
            close = getattr(target, "close", None)
            if callable(close):
                close()

    def drain_once(self) -> DrainReport:
        """One pass over every active subscription this drainer can lease."""
        report = DrainReport()
        hooks = self._webhooks
        for listed in hooks.subscriptions.active(hooks.clock()):
            if listed.kind not in self._targets:  # another drainer's (a broker has its own)
                continue
            if not self._claim(listed.id):
                continue
            try:
                current = hooks.subscriptions.get(listed.id, hooks.clock())  # after the claim
                if current is not None and current.kind in self._targets:
                    self._drain(current, report)
            except Exception:  # this one waits for the next pass; the others go on now
                log.exception("webhook %s: its deliveries stopped on an error", listed.id)
            finally:
                hooks.ledger.release(listed.id, self.holder)
        return report

    def _claim(self, subscription_id: str) -> bool:
        hooks = self._webhooks
        claimed = hooks.ledger.claim(subscription_id, self.holder, hooks.clock(),
                                     hooks.policy.lease)  # fmt: skip
        if claimed:
            self._claimed_at[subscription_id] = time.monotonic()
        return claimed

    def _still_held(self, subscription_id: str) -> bool:
        """The lease, renewed once a third of it has passed (not a write per event)."""
        renew_after = self._webhooks.policy.lease.total_seconds() / 3
        if time.monotonic() - self._claimed_at.get(subscription_id, 0.0) < renew_after:
            return True
        return self._claim(subscription_id)

    def _drain(self, subscription: Subscription, report: DrainReport) -> None:
        self._secrets.pop(subscription.id, None)  # read again each pass (a rotation shows)
        hooks = self._webhooks
        until = hooks.clock() + hooks.policy.pass_budget  # then the next subscription's turn
        for index, event in enumerate(hooks.ledger.redeliveries_due(subscription, hooks.clock())):
            if (index and hooks.clock() >= until) or not self._still_held(subscription.id):
                return
            if not self._redeliver(subscription, event, report):
                return
        retry_at = self._webhooks.ledger.retry_at(subscription.id)
        if retry_at is not None and retry_at > self._webhooks.clock():
            return
        batch = self._webhooks.policy.batch
        delivered: list[Delivery] = []  # recorded together, a transaction per FLUSH_EVERY
        try:
            pending = self._webhooks.ledger.pending_events(subscription, batch)
            for index, event in enumerate(pending):
                if index and hooks.clock() >= until:
                    return
                if not self._still_held(subscription.id) or not self._deliver(
                    subscription, event, report, delivered, first=index == 0
                ):
                    return
        finally:
            self._flush(delivered)

    def _deliver(
        self, subscription: Subscription, event: FeedEvent, report: DrainReport,
        delivered: list[Delivery], first: bool,
    ) -> bool:  # fmt: skip
        """The head event; True if the cursor moved past it (delivered or given up). Only the
        first pending event can have been tried before: the cursor stops at a failed one."""
        attempt, before = self._attempt(subscription, event, look_up=first)
        now, policy = self._webhooks.clock(), self._webhooks.policy.retry
        delivery = _attempted(before, subscription.id, event, attempt, now,
                              policy.give_up_at(event.at))  # fmt: skip
        if attempt.outcome is Outcome.DELIVERED:
            done = replace(delivery, state=DeliveryState.DELIVERED, delivered_at=now)
            if before is None:
                delivered.append(done)
                if len(delivered) >= FLUSH_EVERY:
                    self._flush(delivered)
            else:
                self._keep(done, True)
            report.delivered += 1
            return True
        self._flush(delivered)  # the cursor past what went, before this one is kept
        if attempt.outcome is Outcome.GONE:
            return self._gone(subscription, delivery, report)
        report.failed += 1
        if now >= delivery.give_up_at:
            self._dead(subscription, delivery, report)
            return True
        next_at = policy.next_attempt(delivery.attempts, now, self._random)
        self._keep(replace(delivery, next_attempt_at=next_at), False, retry_at=next_at)
        return False

    def _redeliver(self, subscription: Subscription, event: FeedEvent, report: DrainReport) -> bool:
        """A dead letter sent back; True unless the subscription is to stop for now."""
        attempt, before = self._attempt(subscription, event)
        now, policy = self._webhooks.clock(), self._webhooks.policy.retry
        assert before is not None  # a redelivery has its row
        delivery = _attempted(before, subscription.id, event, attempt, now, before.give_up_at)
        if attempt.outcome is Outcome.DELIVERED:
            delivered = replace(delivery, state=DeliveryState.DELIVERED, delivered_at=now)
            self._keep(delivered, False, head=False)
            report.delivered += 1
            return True
        if attempt.outcome is Outcome.GONE:
            return self._gone(subscription, delivery, report)
        report.failed += 1
        if now >= delivery.give_up_at:
            self._dead(subscription, delivery, report, head=False)
            return True
        next_at = policy.next_attempt(delivery.attempts, now, self._random)
        again = replace(delivery, state=DeliveryState.REDELIVER, next_attempt_at=next_at)
        self._keep(again, False, head=False)
        return False

    def _attempt(
        self, subscription: Subscription, event: FeedEvent, look_up: bool = True
    ) -> tuple[Attempt, Delivery | None]:
        hooks = self._webhooks
        before = hooks.ledger.delivery(subscription.id, event.id) if look_up else None
        secrets = self._signing_secrets(subscription)
        started = time.monotonic()
        attempt = self._targets[subscription.kind].deliver(subscription.url, event, secrets)
        self._observer.attempted(subscription.id, attempt.outcome.value,
                                 time.monotonic() - started)  # fmt: skip
        if attempt.outcome is not Outcome.DELIVERED:
            log.info("webhook %s: event %s not delivered: %s", subscription.id, event.id,
                     attempt.error)  # fmt: skip
        return attempt, before

    def _signing_secrets(self, subscription: Subscription) -> list[Secret]:
        """Read (and opened) once per pass; a broker's messages are not signed."""
        if subscription.kind != WEBHOOK:
            return []
        if subscription.id not in self._secrets:
            hooks = self._webhooks
            self._secrets[subscription.id] = hooks.subscriptions.signing_secrets(
                subscription.id, hooks.clock()
            )
        return self._secrets[subscription.id]

    def _gone(self, subscription: Subscription, delivery: Delivery, report: DrainReport) -> bool:
        self._keep(delivery, False)
        self._webhooks.subscriptions.disable(
            subscription.id, "the target answered 410 Gone", self._webhooks.clock()
        )
        log.warning("webhook %s disabled: its target answered 410 Gone", subscription.id)
        report.disabled += 1
        return False

    def _dead(
        self, subscription: Subscription, delivery: Delivery, report: DrainReport,
        head: bool = True,
    ) -> None:  # fmt: skip
        dead = replace(delivery, state=DeliveryState.DEAD, next_attempt_at=None)
        self._keep(dead, advance=head, head=head)
        self._observer.dead_lettered(subscription.id)
        log.warning("webhook %s: event %s given up after %d attempts (dead letter)",
                    subscription.id, delivery.event_id, delivery.attempts)  # fmt: skip
        report.dead += 1

    def _flush(self, delivered: list[Delivery]) -> None:
        """First deliveries so far, and the cursor past them, in one transaction."""
        if delivered:
            self._webhooks.ledger.record_delivered(list(delivered))
            delivered.clear()

    def _keep(
        self, delivery: Delivery, advance: bool, retry_at: datetime | None = None,
        head: bool = True,
    ) -> None:  # fmt: skip
        self._webhooks.ledger.record(delivery, advance, retry_at, head)


def _attempted(
    before: Delivery | None, subscription_id: str, event: FeedEvent, attempt: Attempt,
    now: datetime, give_up_at: datetime,
) -> Delivery:  # fmt: skip
    """The delivery after one more attempt (its state still as before: the caller sets it)."""
    return Delivery(
        subscription_id=subscription_id, event_id=event.id, event_type=event.type,
        aggregate_id=event.aggregate_id,
        state=before.state if before else DeliveryState.RETRYING,
        attempts=(before.attempts if before else 0) + 1,
        first_attempt_at=before.first_attempt_at if before else now,
        last_attempt_at=now, next_attempt_at=None,
        give_up_at=before.give_up_at if before and before.state is DeliveryState.REDELIVER
        else give_up_at,
        last_status=attempt.status, last_error=attempt.error,
    )  # fmt: skip
