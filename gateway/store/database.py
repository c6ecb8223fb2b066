"""Engines for SQLite (default) and PostgreSQL, and schema migration with Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

MIGRATIONS = Path(__file__).with_name("migrations")
MIGRATION_LOCK = 7_402_211  # a PostgreSQL advisory lock id: one migrator at a time


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL with synchronous=NORMAL, a busy timeout and its
    folder created. PostgreSQL keeps its server's durability (synchronous_commit as set)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    arguments: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if parsed.database in (None, "", ":memory:"):
        arguments["poolclass"] = StaticPool  # one in-memory database shared by all threads
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **arguments)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin_immediate)
    return engine


def _sqlite_pragmas(connection: Any, _: Any) -> None:
    connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # an in-memory database stays "memory"
    # In WAL, NORMAL syncs at checkpoints, not at every commit: a power loss or OS crash may
    # lose the last commits, a process crash loses none, and the file stays consistent
    # (docs/decisions/152-store-hot-path.md).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: no deadlock between two read-then-write transactions.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision; safe when several processes start at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        postgres = engine.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK})
            connection.commit()
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK})
                connection.commit()


def utc_now() -> datetime:
    return datetime.now(UTC)
