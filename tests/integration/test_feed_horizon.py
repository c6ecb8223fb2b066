"""The event feed never moves past an event still being committed (decision 163): on
PostgreSQL ids are handed out at insert, so a later id can commit first."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert

from gateway.store.feeds import SETTLE, events_after
from gateway.store.gateway_store import GatewayStore
from gateway.store.tables import events


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    store = GatewayStore.open(database_url)
    yield store.engine
    store.engine.dispose()


def _event(at: datetime) -> dict[str, object]:
    return {"at": at, "type": "InventoryReserved", "aggregate_id": f"RSV-{uuid.uuid4().hex[:8]}",
            "owner_id": "PLANT-A", "payload": "{}", "origin": "gateway"}  # fmt: skip


def _last_id(engine: Engine) -> int:
    found = events_after(engine, 0, 100_000, None, now=datetime.now(UTC) + 2 * SETTLE)
    return int(found[-1]["id"]) if found else 0


@pytest.mark.postgres
def test_a_later_event_committed_first_waits_for_the_earlier_one(postgres_url: str) -> None:
    store = GatewayStore.open(postgres_url)
    engine = store.engine
    cursor = _last_id(engine)
    now = datetime.now(UTC)
    with engine.connect() as slow:
        slow_transaction = slow.begin()
        earlier = slow.execute(insert(events).values(_event(now)).returning(events.c.id))
        earlier_id = earlier.scalar_one()
        with engine.begin() as fast:
            later_id = fast.execute(
                insert(events).values(_event(now)).returning(events.c.id)
            ).scalar_one()

        while_open = [e["id"] for e in events_after(engine, cursor, 100, None, now=now)]
        later = now + SETTLE + timedelta(seconds=1)
        once_settled = [e["id"] for e in events_after(engine, cursor, 100, None, now=later)]
        slow_transaction.commit()
    after_commit = [e["id"] for e in events_after(engine, cursor, 100, None, now=now)]
    engine.dispose()

    assert later_id == earlier_id + 1
    assert later_id not in while_open and earlier_id not in while_open
    assert once_settled[-1] == later_id  # a hole that old was a rollback: reading goes on
    assert after_commit[-2:] == [earlier_id, later_id]


def test_a_rolled_back_id_holds_the_feed_only_until_it_settles(engine: Engine) -> None:
    cursor = _last_id(engine)
    now = datetime.now(UTC)
    with engine.connect() as connection:
        rolled_back = connection.begin()
        connection.execute(insert(events).values(_event(now)))
        rolled_back.rollback()
    with engine.begin() as connection:
        kept = connection.execute(insert(events).values(_event(now)).returning(events.c.id))
        kept_id = kept.scalar_one()

    right_away = [e["id"] for e in events_after(engine, cursor, 100, None, now=now)]
    settled = [e["id"] for e in events_after(engine, cursor, 100, None, now=now + 2 * SETTLE)]

    assert settled == [kept_id]
    # SQLite gives a rolled-back id out again (no hole, nothing to wait for); PostgreSQL does not
    assert right_away == ([kept_id] if kept_id == cursor + 1 else [])


def test_contiguous_events_are_read_at_once_and_in_order(engine: Engine) -> None:
    cursor = _last_id(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        ids = [connection.execute(insert(events).values(_event(now)).returning(events.c.id))
               .scalar_one() for _ in range(3)]  # fmt: skip

    assert [e["id"] for e in events_after(engine, cursor, 100, None, now=now)] == ids
