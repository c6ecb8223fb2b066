"""Webhook subscriptions and their signing secrets (sealed under the master keys)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.credentials import Secret, secret_fingerprint
from gateway.domain.errors import MasterKeyMissing
from gateway.domain.webhooks import NewSubscription, Subscription, SubscriptionState
from gateway.store import json
from gateway.store.json import as_utc
from gateway.store.tables import events, webhook_secrets, webhook_subscriptions

table = webhook_subscriptions


class Sealer(Protocol):
    def seal(self, secret: str) -> str: ...
    def open(self, sealed: str) -> str | None: ...


class SubscriptionStore:
    """Subscriptions, and the secrets that sign their deliveries; never shows a secret."""

    def __init__(self, engine: Engine, keys: Sealer | None) -> None:
        self._engine = engine
        self._keys = keys

    def add(
        self, new: NewSubscription, secret: Secret, subscription_id: str, actor: str, now: datetime
    ) -> Subscription:
        """A subscription to events committed from now on (its cursor: the newest event)."""
        sealed = self._seal(secret)
        with self._engine.begin() as connection:
            _insert(connection, new, subscription_id, actor, now)
            self._insert_secret(connection, subscription_id, secret, sealed, now)
        return self._require(subscription_id, now)

    def ensure(
        self, new: NewSubscription, subscription_id: str, actor: str, now: datetime
    ) -> Subscription:
        """``subscription_id`` as it is, or added without a signing secret if missing: a
        target the settings name (a broker), which every process of the pool ensures at start.
        One that an admin disabled stays disabled."""
        found = self.get(subscription_id, now)
        if found is not None:
            return found
        try:
            with self._engine.begin() as connection:
                _insert(connection, new, subscription_id, actor, now)
        except IntegrityError:
            pass  # another process of the pool added it first
        return self._require(subscription_id, now)

    def get(self, subscription_id: str, now: datetime) -> Subscription | None:
        found = self._select(table.c.id == subscription_id, now=now)
        return found[0] if found else None

    def all(self, now: datetime) -> list[Subscription]:
        return self._select(now=now)

    def active(self, now: datetime) -> list[Subscription]:
        return self._select(table.c.state == SubscriptionState.ACTIVE.value, now=now)

    def disable(self, subscription_id: str, reason: str, now: datetime) -> bool:
        """Stops its deliveries; False if it was disabled already."""
        with self._engine.begin() as connection:
            return bool(connection.execute(
                update(table)
                .where(table.c.id == subscription_id,
                       table.c.state == SubscriptionState.ACTIVE.value)
                .values(state=SubscriptionState.DISABLED.value, disabled_at=now,
                        disabled_reason=reason[:500], lease_holder=None, lease_until=None)
            ).rowcount)  # fmt: skip

    def enable(self, subscription_id: str) -> bool:
        """Deliveries resume from its cursor; False if it was active already."""
        with self._engine.begin() as connection:
            return bool(connection.execute(
                update(table)
                .where(table.c.id == subscription_id,
                       table.c.state == SubscriptionState.DISABLED.value)
                .values(state=SubscriptionState.ACTIVE.value, disabled_at=None,
                        disabled_reason=None, retry_at=None)
            ).rowcount)  # fmt: skip

    def rotate_secret(
        self, subscription_id: str, secret: Secret, old_until: datetime, now: datetime
    ) -> None:
        """``secret`` signs from now on; the current one goes on signing until ``old_until``."""
        sealed = self._seal(secret)
        with self._engine.begin() as connection:
            connection.execute(
                update(webhook_secrets)
                .where(webhook_secrets.c.subscription_id == subscription_id)
                .where(or_(webhook_secrets.c.not_after.is_(None),
                           webhook_secrets.c.not_after > old_until))
                .values(not_after=old_until)
            )  # fmt: skip
            connection.execute(
                delete(webhook_secrets)
                .where(webhook_secrets.c.subscription_id == subscription_id)
                .where(webhook_secrets.c.not_after <= now)
            )  # fmt: skip
            self._insert_secret(connection, subscription_id, secret, sealed, now)

    def signing_secrets(self, subscription_id: str, now: datetime) -> list[Secret]:
        """The secrets that sign a delivery now: the current one first."""
        if self._keys is None:
            raise MasterKeyMissing("Webhook secrets need a master key (GATEWAY_MASTER_KEYS)")
        rows = self._secret_rows(now, subscription_id)
        opened = [self._keys.open(row["sealed"]) for row in rows]
        return [Secret(value) for value in opened if value]

    def _seal(self, secret: Secret) -> str:
        if self._keys is None:
            raise MasterKeyMissing("Set GATEWAY_MASTER_KEYS or MASTER_KEY_FILE first")
        return self._keys.seal(secret.reveal())

    @staticmethod
    def _insert_secret(
        connection: Any, subscription_id: str, secret: Secret, sealed: str, now: datetime
    ) -> None:
        connection.execute(insert(webhook_secrets).values(
            subscription_id=subscription_id, sealed=sealed,
            fingerprint=secret_fingerprint(secret.reveal()), created_at=now,
        ))  # fmt: skip

    def _secret_rows(self, now: datetime, subscription_id: str | None = None) -> list[Any]:
        query = (
            select(webhook_secrets)
            .where(or_(webhook_secrets.c.not_after.is_(None), webhook_secrets.c.not_after > now))
            .order_by(webhook_secrets.c.subscription_id, webhook_secrets.c.id.desc())
        )
        if subscription_id is not None:
            query = query.where(webhook_secrets.c.subscription_id == subscription_id)
        with self._engine.connect() as connection:
            return list(connection.execute(query).mappings().all())

    def _require(self, subscription_id: str, now: datetime) -> Subscription:
        found = self.get(subscription_id, now)
        assert found is not None
        return found

    def _select(self, *where: Any, now: datetime) -> list[Subscription]:
        query = select(table).where(*where).order_by(table.c.created_at, table.c.id)
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        prints: dict[str, list[str]] = {}
        for secret in self._secret_rows(now):
            prints.setdefault(secret["subscription_id"], []).append(secret["fingerprint"])
        return [_subscription(row, tuple(prints.get(row["id"], ()))) for row in rows]


def _subscription(row: Any, fingerprints: tuple[str, ...]) -> Subscription:
    return Subscription(
        id=row["id"], kind=row["kind"], url=row["url"],
        event_types=frozenset(json.loads(row["event_types"])),
        owners=frozenset(json.loads(row["owners"])), state=SubscriptionState(row["state"]),
        created_at=as_utc(row["created_at"]) or row["created_at"], created_by=row["created_by"],
        cursor=int(row["cursor"]), disabled_reason=row["disabled_reason"],
        disabled_at=as_utc(row["disabled_at"]), secret_fingerprints=fingerprints,
    )  # fmt: skip


def _insert(
    connection: Any, new: NewSubscription, subscription_id: str, actor: str, now: datetime
) -> None:
    """The subscription's row, its cursor at the newest event (changes from now on)."""
    newest = connection.execute(select(func.max(events.c.id))).scalar_one() or 0
    connection.execute(insert(table).values(
        id=subscription_id, kind=new.kind, url=new.url,
        event_types=json.dumps(sorted(new.event_types)),
        owners=json.dumps(sorted(new.owners)), state=SubscriptionState.ACTIVE.value,
        created_at=now, created_by=actor, cursor=int(newest),
    ))  # fmt: skip
