"""The webhook drainer over the real store (in-memory SQLite) and a fake target, with a clock the
test moves: backoff, order behind a failing head, dead letters, redelivery, 410, the lease."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet

from adapters.webhook_destinations import DestinationGuard, DestinationPolicy
from gateway.domain.errors import SubscriptionLimitReached
from gateway.domain.webhooks import (
    EVENT_TYPES,
    WEBHOOK,
    DeliveryState,
    NewSubscription,
    RetryPolicy,
    SubscriptionState,
)
from gateway.services.webhooks.drainer import WebhookDrainer
from gateway.services.webhooks.subscriptions import WebhookPolicy, Webhooks
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys
from gateway.store.subscriptions import SubscriptionStore
from gateway.store.unit_of_work import BufferedAuditLog
from gateway.store.webhook_deliveries import DeliveryLedger
from tests.fakes.webhooks import FakeTarget

BASE, CAP, MAX_AGE = timedelta(seconds=1), timedelta(seconds=8), timedelta(minutes=10)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class Observer:
    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.dead: list[str] = []

    def attempted(self, subscription_id: str, outcome: str, seconds: float) -> None:
        self.outcomes.append(outcome)

    def dead_lettered(self, subscription_id: str) -> None:
        self.dead.append(subscription_id)


@pytest.fixture
def store() -> Iterator[GatewayStore]:
    opened = GatewayStore.open("sqlite://")
    yield opened
    opened.engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def hooks(store: GatewayStore, clock: Clock) -> Webhooks:
    keys = MasterKeys([Fernet.generate_key().decode()])
    guard = DestinationGuard(DestinationPolicy.of((), (), True), lambda host, port: [host])
    policy = WebhookPolicy(
        RetryPolicy(BASE, CAP, MAX_AGE), timedelta(hours=1), timedelta(minutes=1)
    )
    return Webhooks(SubscriptionStore(store.engine, keys), DeliveryLedger(store.engine), guard,
                    policy, clock)  # fmt: skip


@pytest.fixture
def target() -> FakeTarget:
    return FakeTarget()


@pytest.fixture
def observer() -> Observer:
    return Observer()


def drainer(
    hooks: Webhooks, target: FakeTarget, observer: Observer, name: str = "a"
) -> WebhookDrainer:
    return WebhookDrainer(hooks, {WEBHOOK: target}, name, observer, random=lambda: 1.0)


def subscription(hooks: Webhooks) -> str:
    new = NewSubscription(
        "http://127.0.0.1:9/hooks", frozenset(EVENT_TYPES), frozenset({"PLANT-A"})
    )
    made, _ = hooks.subscribe(new, "test", None, BufferedAuditLog())
    return made.id


def publish(store: GatewayStore, count: int, owner: str = "PLANT-A") -> list[str]:
    made = []
    for _ in range(count):
        aggregate = f"RSV-{uuid.uuid4().hex[:8]}"
        uow = store.unit_of_work()
        uow.events.publish("InventoryReserved", aggregate, {"reservationId": aggregate}, owner,
                           f"InventoryReserved:{aggregate}")  # fmt: skip
        uow.commit()
        made.append(aggregate)
    return made


def test_a_failing_head_is_retried_with_backoff_and_holds_back_what_follows(
    hooks: Webhooks, store: GatewayStore, clock: Clock, target: FakeTarget, observer: Observer
) -> None:
    subscription_id = subscription(hooks)
    publish(store, 3)
    target.status = 503
    worker = drainer(hooks, target, observer)
    for attempt in range(1, 4):
        worker.drain_once()
        assert len(target.attempts) == attempt  # the head only: the others wait behind it
        worker.drain_once()
        assert len(target.attempts) == attempt  # not before its backoff (1 s, 2 s, 4 s)
        clock.advance(BASE * 2 ** (attempt - 1))
    assert {event.id for _, event, _ in target.attempts} == {target.attempts[0][1].id}
    target.status = 204
    assert worker.drain_once().delivered == 3
    ids = [event.id for _, event, _ in target.attempts]
    assert ids == [ids[0]] * 4 + [ids[0] + 1, ids[0] + 2]
    head = hooks.deliveries(subscription_id, None, None, 10)[-1]
    assert (head.state, head.attempts, head.last_status) == (DeliveryState.DELIVERED, 4, 204)
    assert observer.outcomes == ["failed"] * 3 + ["delivered"] * 3


def test_an_event_failing_past_its_age_is_dead_and_the_cursor_moves_on(
    hooks: Webhooks, store: GatewayStore, clock: Clock, target: FakeTarget, observer: Observer
) -> None:
    subscription_id = subscription(hooks)
    publish(store, 2)
    target.status = 500
    worker = drainer(hooks, target, observer)
    worker.drain_once()
    clock.advance(MAX_AGE + timedelta(seconds=1))  # past the events' commit + max age
    report = worker.drain_once()
    assert (report.dead, observer.dead) == (2, [subscription_id, subscription_id])
    dead = hooks.deliveries(subscription_id, None, DeliveryState.DEAD.value, 10)
    assert len(dead) == 2 and hooks.get(subscription_id, None).cursor == dead[0].event_id
    target.status = 204
    assert worker.drain_once().delivered == 0  # nothing new; dead letters wait for an admin
    assert hooks.redeliver(subscription_id, "admin", None, BufferedAuditLog()) == 2
    assert worker.drain_once().delivered == 2
    states = {d.state for d in hooks.deliveries(subscription_id, None, None, 10)}
    assert states == {DeliveryState.DELIVERED}


def test_a_410_disables_the_subscription_at_once(
    hooks: Webhooks, store: GatewayStore, target: FakeTarget, observer: Observer
) -> None:
    subscription_id = subscription(hooks)
    publish(store, 2)
    target.status = 410
    assert drainer(hooks, target, observer).drain_once().disabled == 1
    found = hooks.get(subscription_id, None)
    assert found.state is SubscriptionState.DISABLED and "410" in (found.disabled_reason or "")
    assert len(target.attempts) == 1 and found.cursor < target.attempts[0][1].id


def test_a_subscription_leased_by_another_drainer_is_left_alone(
    hooks: Webhooks, store: GatewayStore, clock: Clock, target: FakeTarget, observer: Observer
) -> None:
    subscription_id = subscription(hooks)
    publish(store, 1)
    assert hooks.ledger.claim(subscription_id, "b", clock(), timedelta(minutes=1))
    assert drainer(hooks, target, observer, "a").drain_once().delivered == 0
    clock.advance(timedelta(minutes=2))  # b died: its lease runs out
    assert drainer(hooks, target, observer, "a").drain_once().delivered == 1


def test_only_the_subscriptions_owners_and_types_are_delivered(
    hooks: Webhooks, store: GatewayStore, target: FakeTarget, observer: Observer
) -> None:
    subscription(hooks)
    publish(store, 1, owner="PLANT-B")
    mine = publish(store, 1)
    drainer(hooks, target, observer).drain_once()
    assert [event.aggregate_id for _, event, _ in target.attempts] == mine


def test_a_subscription_failing_with_an_error_does_not_hold_back_the_others(
    hooks: Webhooks, store: GatewayStore, target: FakeTarget, observer: Observer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Its secret no longer opens (a master key dropped too soon): that one waits, the others
    are delivered in the same pass, and its lease is given back."""
    broken, working = subscription(hooks), subscription(hooks)
    publish(store, 2)
    opened = hooks.subscriptions.signing_secrets

    def signing_secrets(subscription_id: str, now: datetime) -> Any:
        if subscription_id == broken:
            raise RuntimeError("the secret does not open")
        return opened(subscription_id, now)

    monkeypatch.setattr(hooks.subscriptions, "signing_secrets", signing_secrets)
    assert drainer(hooks, target, observer).drain_once().delivered == 2
    assert len(target.attempts) == 2 and hooks.get(working, None).cursor > 0
    assert hooks.ledger.claim(broken, "b", datetime.now(UTC), timedelta(minutes=1))


def test_a_slow_but_answering_target_gives_way_to_the_others_within_a_pass(
    hooks: Webhooks, store: GatewayStore, clock: Clock, observer: Observer
) -> None:
    """Each attempt to the slow target takes 10 s (within the attempt deadline, answered 204):
    its subscription yields once its pass has taken ``pass_budget`` (30 s), so the next
    subscription is not held for the slow one's whole batch; it goes on next pass."""
    slow_url, quick_url = "http://127.0.0.1:9/slow", "http://127.0.0.1:9/quick"
    for url in (slow_url, quick_url):  # the slow one first: the drainer visits it first
        clock.advance(timedelta(seconds=1))
        hooks.subscribe(NewSubscription(url, frozenset(EVENT_TYPES), frozenset({"PLANT-A"})),
                        "test", None, BufferedAuditLog())  # fmt: skip
    publish(store, 10)

    class SlowTarget(FakeTarget):
        def deliver(self, url: str, event: Any, secrets: Any) -> Any:
            if url == slow_url:
                clock.advance(timedelta(seconds=10))
            return super().deliver(url, event, secrets)

    target = SlowTarget()
    worker = drainer(hooks, target, observer)
    worker.drain_once()
    sent = [url for url, _, _ in target.attempts]
    assert sent.count(quick_url) == 10 and 1 <= sent.count(slow_url) <= 4, sent.count(slow_url)
    while worker.drain_once().delivered:
        pass
    assert [url for url, _, _ in target.attempts].count(slow_url) == 10


def test_no_more_subscriptions_than_the_limit_are_active_at_once(
    store: GatewayStore, clock: Clock
) -> None:
    """WEBHOOK_MAX_SUBSCRIPTIONS: the next one is refused and nothing is kept; disabling one
    makes room again."""
    keys = MasterKeys([Fernet.generate_key().decode()])
    guard = DestinationGuard(DestinationPolicy.of((), (), True), lambda host, port: [host])
    policy = WebhookPolicy(RetryPolicy(BASE, CAP, MAX_AGE), timedelta(hours=1),
                           timedelta(minutes=1), max_active=3)  # fmt: skip
    hooks = Webhooks(SubscriptionStore(store.engine, keys), DeliveryLedger(store.engine), guard,
                     policy, clock)  # fmt: skip
    made = [subscription(hooks) for _ in range(3)]
    with pytest.raises(SubscriptionLimitReached):
        subscription(hooks)
    assert len(hooks.visible(None)) == 3
    hooks.disable(made[0], "test", None, BufferedAuditLog())
    assert subscription(hooks) not in made
