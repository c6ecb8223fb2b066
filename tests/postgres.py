"""A throw-away database on the local PostgreSQL server for one test session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

SERVER = "host=127.0.0.1 port=5432 user=postgres"


def server_answers() -> bool:
    try:
        with psycopg.connect(f"{SERVER} dbname=test", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def fresh_database() -> Iterator[str]:
    """Create ``gw_test_<random>``, yield its SQLAlchemy URL, drop it afterwards."""
    name = f"gw_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{SERVER} dbname=test", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(f"{SERVER} dbname=test", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
