"""One contract for every storage of failed-login counts: `limits`' memory storage (the fake),
the gateway's database (SQLite and PostgreSQL) and Redis."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from limits.storage import MemoryStorage, Storage, storage_from_string

from gateway.store.gateway_store import GatewayStore
from gateway.store.login_throttle import DatabaseThrottleStorage
from tests.redis_server import redis_url


@pytest.fixture(params=["memory", "sqlite", "postgresql", "redis"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "memory":
        return MemoryStorage()
    if request.param == "sqlite":
        return DatabaseThrottleStorage(GatewayStore.open(f"sqlite:///{tmp_path / 'gw.db'}").engine)
    if request.param == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return DatabaseThrottleStorage(GatewayStore.open(url).engine)
    found = storage_from_string(redis_url(), socket_timeout=2.0, socket_connect_timeout=2.0)
    assert isinstance(found, Storage)
    return found


def key() -> str:
    return f"test/{uuid.uuid4().hex}"


def test_hits_are_counted_per_key(storage: Storage) -> None:
    first, second = key(), key()
    assert [storage.incr(first, 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr(second, 60) == 1
    assert (storage.get(first), storage.get(second), storage.get(key())) == (3, 1, 0)


def test_the_window_ends_where_the_first_hit_said(storage: Storage) -> None:
    counted = key()
    before = time.time()
    storage.incr(counted, 60)
    storage.incr(counted, 60)
    assert before + 58 <= storage.get_expiry(counted) <= time.time() + 61


def test_a_cleared_key_counts_from_zero(storage: Storage) -> None:
    counted = key()
    storage.incr(counted, 60, amount=5)
    storage.clear(counted)
    assert storage.get(counted) == 0 and storage.incr(counted, 60) == 1
    assert storage.check()


def test_a_window_past_its_end_starts_again(database_url: str) -> None:
    now = [1_000.0]
    storage = DatabaseThrottleStorage(GatewayStore.open(database_url).engine, lambda: now[0])
    counted = key()
    assert [storage.incr(counted, 60) for _ in range(2)] == [1, 2]
    now[0] += 60
    assert storage.get(counted) == 0
    assert storage.incr(counted, 60) == 1 and storage.get_expiry(counted) == 1_120.0
