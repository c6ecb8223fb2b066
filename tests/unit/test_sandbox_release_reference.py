"""The sandbox's inventory store: a release repeated on its reference, and the column it needs."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.fixtures import load_fixtures
from sandbox.inventory.errors import RESERVATION_ALREADY_RELEASED, LegacyError
from sandbox.inventory.store import InventoryStore, NewReservation
from sandbox.inventory.tables import SCHEMA


@pytest.fixture
def store(tmp_path: Path) -> InventoryStore:
    made = InventoryStore(tmp_path / "inventory.db")
    made.seed(load_fixtures())
    return made


def reserve(store: InventoryStore, refno: str = "RSV-1") -> str:
    new = NewReservation(refno, "RM-1002", "W02", Decimal(1), "S", "SO", "SO-1", "PLANT-A")
    return str(store.reserve(new)["id"])


def reserved(store: InventoryStore) -> Decimal:
    return Decimal(store.balance("RM-1002", "W02")["reserved"])


def test_a_release_repeated_with_its_refno_returns_the_reservation_as_released(
    store: InventoryStore,
) -> None:
    number = reserve(store)
    first = store.release(number, "R", "RL-1")
    total = reserved(store)
    again = store.release(number, "R", "RL-1")
    assert dict(again) == dict(first) and again["status"] == "R"
    assert reserved(store) == total


@pytest.mark.parametrize(("first", "repeat"), [("RL-1", "RL-2"), ("RL-1", None), (None, "RL-1")])
def test_a_release_with_another_refno_or_none_is_already_released(
    store: InventoryStore, first: str | None, repeat: str | None
) -> None:
    number = reserve(store)
    store.release(number, "R", first)
    with pytest.raises(LegacyError) as error:
        store.release(number, "R", repeat)
    assert error.value.number == RESERVATION_ALREADY_RELEASED


def test_a_database_of_an_older_sandbox_gains_the_release_refno_column(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    older = SCHEMA.replace(", release_refno TEXT", "")
    assert older != SCHEMA
    with sqlite3.connect(path) as conn:
        conn.executescript(older)
    InventoryStore(path)
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(reservations)")}
    assert "release_refno" in columns
