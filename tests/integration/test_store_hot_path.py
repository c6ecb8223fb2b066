"""The store's hot path (issue 13.4): SQLite's durability setting, and the idempotency claim
and commit merged without losing what they guarantee."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Connection, event, text

from gateway.store.gateway_store import GatewayStore
from gateway.store.idempotency import Outcome


@pytest.fixture
def store(database_url: str) -> Iterator[GatewayStore]:
    opened = GatewayStore.open(database_url)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def dead_holders_store(database_url: str) -> Iterator[GatewayStore]:
    """A store whose claims are already past their lease: as if every holder had died."""
    opened = GatewayStore.open(database_url, plan_lease=timedelta(seconds=-1))
    yield opened
    opened.engine.dispose()


class Crash(RuntimeError):
    """The process stops inside the commit."""


def crash(_: Connection) -> None:
    raise Crash


def test_sqlite_is_opened_in_wal_with_synchronous_normal(store: GatewayStore) -> None:
    with store.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            # PostgreSQL keeps the server's durability: every commit flushed before it returns.
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"
            return
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL


def test_an_in_memory_sqlite_store_still_claims_and_replays() -> None:
    opened = GatewayStore.open("sqlite://")
    claims = opened.idempotency
    assert claims.claim("c", "k", "h").outcome is Outcome.PROCEED
    uow = opened.unit_of_work()
    uow.also_in_transaction(claims.completion("c", "k", 201, "{}", {}))
    uow.commit()
    assert claims.claim("c", "k", "h").outcome is Outcome.REPLAY
    with opened.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"


def test_a_key_claimed_twice_is_in_progress_then_replayed_after_the_commit(
    store: GatewayStore,
) -> None:
    caller, key, claims = "hot-path", uuid.uuid4().hex, store.idempotency
    assert claims.claim(caller, key, "h").outcome is Outcome.PROCEED
    assert claims.claim(caller, key, "h").outcome is Outcome.IN_PROGRESS
    assert claims.claim(caller, key, "other").outcome is Outcome.KEY_REUSED
    uow = store.unit_of_work()
    uow.also_in_transaction(claims.completion(caller, key, 201, '{"id": "R1"}', {"A": "b"}))
    uow.commit()
    replay = claims.claim(caller, key, "h")
    assert (replay.outcome, replay.status_code, replay.body, replay.headers) == (
        Outcome.REPLAY, 201, '{"id": "R1"}', {"A": "b"}
    )  # fmt: skip


def test_a_crash_between_claim_and_commit_leaves_the_key_retryable(
    dead_holders_store: GatewayStore,
) -> None:
    caller, key, claims = "hot-path", uuid.uuid4().hex, dead_holders_store.idempotency
    assert claims.claim(caller, key, "h").outcome is Outcome.PROCEED
    uow = dead_holders_store.unit_of_work()
    uow.audit.record("hot-path", "reservation.create", "reservation", key, None, {"id": key})
    uow.also_in_transaction(claims.completion(caller, key, 201, "{}", {}))
    uow.also_in_transaction(crash)
    with pytest.raises(Crash):
        uow.commit()
    retry = claims.claim(caller, key, "h")
    assert retry.outcome is Outcome.PROCEED  # taken over, not replayed: no answer was stored
    with dead_holders_store.engine.connect() as connection:
        written = text("SELECT count(*) FROM audit_entries WHERE target_id = :key")
        assert connection.execute(written, {"key": key}).scalar() == 0


def test_a_failed_request_frees_its_key_in_its_own_commit(store: GatewayStore) -> None:
    caller, key, claims = "hot-path", uuid.uuid4().hex, store.idempotency
    assert claims.claim(caller, key, "h").outcome is Outcome.PROCEED
    uow = store.unit_of_work()
    uow.audit.record(
        "hot-path", "reservation.create", "reservation", key, None, None, owner_id="PLANT-A"
    )  # a reservation's entry has its owner, as the app's do
    uow.also_in_transaction(claims.releasing(caller, key))
    uow.commit()
    assert claims.claim(caller, key, "h").outcome is Outcome.PROCEED  # at once, lease or not


def test_a_failed_commit_keeps_the_failed_requests_key_until_its_lease_ends(
    store: GatewayStore,
) -> None:
    caller, key, claims = "hot-path", uuid.uuid4().hex, store.idempotency
    assert claims.claim(caller, key, "h").outcome is Outcome.PROCEED
    uow = store.unit_of_work()
    uow.also_in_transaction(claims.releasing(caller, key))
    uow.also_in_transaction(crash)
    with pytest.raises(Crash):
        uow.commit()
    assert claims.claim(caller, key, "h").outcome is Outcome.IN_PROGRESS


def test_a_commit_with_nothing_to_write_opens_no_transaction(store: GatewayStore) -> None:
    began: list[object] = []
    ran: list[str] = []
    uow = store.unit_of_work()
    uow.after_commit(lambda: ran.append("after"))

    def count(connection: object) -> None:
        began.append(connection)

    event.listen(store.engine, "begin", count)
    try:
        uow.commit()
        with store.engine.begin():  # the listener does see a transaction when there is one
            pass
    finally:
        event.remove(store.engine, "begin", count)
    assert len(began) == 1 and ran == ["after"]
