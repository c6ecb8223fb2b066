"""On PostgreSQL events commit in id order (decision 030): a second writer waits for the first
one's commit, so a reader's cursor never moves past an event still to come."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, text

from gateway.store.feeds import events_after
from gateway.store.gateway_store import GatewayStore
from gateway.store.unit_of_work import EVENT_ORDER_LOCK, _write_events
from tests.gateway_process import wait_for


def _waiting_on_the_event_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = :id"), {"id": EVENT_ORDER_LOCK}).scalar()  # fmt: skip
    return bool(waiting)


def _row() -> dict[str, object]:
    return {"at": datetime.now(UTC), "type": "InventoryReserved",
            "aggregate_id": f"RSV-{uuid.uuid4().hex[:8]}", "owner_id": "PLANT-A",
            "payload": "{}", "correlation_id": None, "dedupe_key": None,
            "origin": "gateway"}  # fmt: skip


@pytest.mark.postgres
def test_a_second_event_writer_waits_for_the_first_commit(postgres_url: str) -> None:
    store = GatewayStore.open(postgres_url)
    engine = store.engine
    cursor = max([0, *(int(e["id"]) for e in events_after(engine, 0, 100_000, None))])
    later_done = threading.Event()

    def later_writer() -> None:
        with engine.begin() as connection:
            _write_events(connection, [_row()])
        later_done.set()

    with engine.connect() as first:
        transaction = first.begin()
        _write_events(first, [_row()])
        writer = threading.Thread(target=later_writer)
        writer.start()
        wait_for(lambda: _waiting_on_the_event_lock(engine), "the second writer to wait")
        blocked = not later_done.is_set()
        seen_while_open = events_after(engine, cursor, 100, None)
        transaction.commit()
    writer.join(timeout=60)
    seen = [int(e["id"]) for e in events_after(engine, cursor, 100, None)]
    engine.dispose()

    assert blocked and seen_while_open == []
    assert len(seen) == 2 and seen == sorted(seen)
