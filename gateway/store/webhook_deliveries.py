"""What the webhook drainer keeps: each subscription's lease and cursor over the event feed, and
one row per event it attempted (retrying, delivered, dead or sent back for redelivery)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update

from gateway.domain.webhooks import Delivery, DeliveryState, FeedEvent, Subscription
from gateway.store import json
from gateway.store.json import as_utc
from gateway.store.tables import events, webhook_deliveries, webhook_subscriptions

subs, rows = webhook_subscriptions, webhook_deliveries


class DeliveryLedger:
    """A subscription is delivered by the one drainer holding its lease (any process of the
    pool); a lease left by a dead process runs out and another drainer takes over."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, subscription_id: str, holder: str, now: datetime, lease: timedelta) -> bool:
        """Take (or renew) the subscription's lease; False if another drainer holds it."""
        with self._engine.begin() as connection:
            return bool(connection.execute(
                update(subs)
                .where(subs.c.id == subscription_id, subs.c.state == "active")
                .where(or_(subs.c.lease_until.is_(None), subs.c.lease_until < now,
                           subs.c.lease_holder == holder))
                .values(lease_holder=holder, lease_until=now + lease)
            ).rowcount)  # fmt: skip

    def release(self, subscription_id: str, holder: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(subs).where(subs.c.id == subscription_id, subs.c.lease_holder == holder)
                .values(lease_holder=None, lease_until=None)
            )  # fmt: skip

    def retry_at(self, subscription_id: str) -> datetime | None:
        """When the subscription's head event may be tried again (None: now)."""
        with self._engine.connect() as connection:
            found = connection.execute(
                select(subs.c.retry_at).where(subs.c.id == subscription_id)
            ).scalar_one_or_none()
        return as_utc(found)

    def pending_events(self, subscription: Subscription, limit: int) -> list[FeedEvent]:
        """The subscription's next events after its cursor, in feed order (which is commit
        order, decision 030)."""
        query = _for(subscription, select(events)).order_by(events.c.id).limit(limit)
        with self._engine.connect() as connection:
            found = connection.execute(query).mappings().all()
        return [_event(row) for row in found]

    def oldest_pending_at(self, subscription: Subscription) -> datetime | None:
        """When the oldest event still to deliver was committed (None: caught up)."""
        with self._engine.connect() as connection:
            found = connection.execute(_for(subscription, select(func.min(events.c.at))))
            return as_utc(found.scalar_one_or_none())

    def delivery(self, subscription_id: str, event_id: int) -> Delivery | None:
        with self._engine.connect() as connection:
            found = connection.execute(
                select(rows).where(rows.c.subscription_id == subscription_id,
                                   rows.c.event_id == event_id)
            ).mappings().one_or_none()  # fmt: skip
        return None if found is None else _delivery(found)

    def record(
        self, delivery: Delivery, advance: bool, retry_at: datetime | None, head: bool = True
    ) -> None:
        """Keep ``delivery`` as it is now. For the subscription's head event (``head``),
        ``advance`` moves the cursor past it (never back) and ``retry_at`` is when the head may
        be tried again; a redelivery (not ``head``) leaves both as they are."""
        values = _values(delivery)
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(rows).where(rows.c.subscription_id == delivery.subscription_id,
                                   rows.c.event_id == delivery.event_id).values(**values)
            ).rowcount  # fmt: skip
            if not changed:
                connection.execute(insert(rows).values(**values))
            if not head:
                return
            moved: dict[str, Any] = {"retry_at": retry_at}
            where = [subs.c.id == delivery.subscription_id]
            if advance:
                moved["cursor"] = delivery.event_id
                where.append(subs.c.cursor < delivery.event_id)
            connection.execute(update(subs).where(*where).values(**moved))

    def record_delivered(self, deliveries: Sequence[Delivery]) -> None:
        """First deliveries of one subscription's head events, and its cursor past the last of
        them, in one transaction."""
        if not deliveries:
            return
        last = max(d.event_id for d in deliveries)
        with self._engine.begin() as connection:
            connection.execute(insert(rows), [_values(d) for d in deliveries])
            connection.execute(update(subs).where(subs.c.id == deliveries[0].subscription_id,
                                                  subs.c.cursor < last)
                               .values(cursor=last, retry_at=None))  # fmt: skip

    def redeliveries_due(self, subscription: Subscription, now: datetime) -> list[FeedEvent]:
        """Dead letters an admin sent back, whose next attempt is due; oldest first."""
        query = (
            select(events)
            .join(rows, and_(rows.c.event_id == events.c.id,
                             rows.c.subscription_id == subscription.id))
            .where(rows.c.state == DeliveryState.REDELIVER.value, rows.c.next_attempt_at <= now)
            .order_by(events.c.id)
        )  # fmt: skip
        with self._engine.connect() as connection:
            return [_event(row) for row in connection.execute(query).mappings().all()]

    def send_back(self, subscription_id: str, now: datetime, give_up_at: datetime) -> int:
        """Every dead letter of the subscription is to be delivered again; returns how many."""
        with self._engine.begin() as connection:
            return int(connection.execute(
                update(rows).where(rows.c.subscription_id == subscription_id,
                                   rows.c.state == DeliveryState.DEAD.value)
                .values(state=DeliveryState.REDELIVER.value, next_attempt_at=now,
                        give_up_at=give_up_at)
            ).rowcount)  # fmt: skip

    def deliveries(
        self, subscription_id: str, state: str | None, limit: int, before: int | None = None
    ) -> list[Delivery]:
        """The subscription's deliveries, newest event first."""
        query = select(rows).where(rows.c.subscription_id == subscription_id)
        if state is not None:
            query = query.where(rows.c.state == state)
        if before is not None:
            query = query.where(rows.c.event_id < before)
        query = query.order_by(rows.c.event_id.desc()).limit(limit)
        with self._engine.connect() as connection:
            return [_delivery(row) for row in connection.execute(query).mappings().all()]


def _for(subscription: Subscription, query: Any) -> Any:
    """``query`` over the subscription's events after its cursor."""
    query = query.where(events.c.id > subscription.cursor)
    query = query.where(events.c.type.in_(sorted(subscription.event_types)))
    if not subscription.all_owners:
        query = query.where(events.c.owner_id.in_(sorted(subscription.owners)))
    return query


def _event(row: Any) -> FeedEvent:
    return FeedEvent(
        id=int(row["id"]), type=row["type"], at=as_utc(row["at"]) or row["at"],
        aggregate_id=row["aggregate_id"], owner_id=row["owner_id"],
        correlation_id=row["correlation_id"], payload=json.loads(row["payload"]) or {},
        origin=row["origin"] or "gateway",
    )  # fmt: skip


def _values(delivery: Delivery) -> dict[str, Any]:
    return {
        "subscription_id": delivery.subscription_id, "event_id": delivery.event_id,
        "event_type": delivery.event_type, "aggregate_id": delivery.aggregate_id,
        "state": delivery.state.value, "attempts": delivery.attempts,
        "first_attempt_at": delivery.first_attempt_at,
        "last_attempt_at": delivery.last_attempt_at, "next_attempt_at": delivery.next_attempt_at,
        "give_up_at": delivery.give_up_at, "last_status": delivery.last_status,
        "last_error": None if delivery.last_error is None else delivery.last_error[:2000],
        "delivered_at": delivery.delivered_at,
    }  # fmt: skip


def _delivery(row: Any) -> Delivery:
    stamp = as_utc
    return Delivery(
        subscription_id=row["subscription_id"], event_id=int(row["event_id"]),
        event_type=row["event_type"], aggregate_id=row["aggregate_id"],
        state=DeliveryState(row["state"]), attempts=row["attempts"],
        first_attempt_at=stamp(row["first_attempt_at"]) or row["first_attempt_at"],
        last_attempt_at=stamp(row["last_attempt_at"]),
        next_attempt_at=stamp(row["next_attempt_at"]),
        give_up_at=stamp(row["give_up_at"]) or row["give_up_at"],
        last_status=row["last_status"], last_error=row["last_error"],
        delivered_at=stamp(row["delivered_at"]),
    )  # fmt: skip
