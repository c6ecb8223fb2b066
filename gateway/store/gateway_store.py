"""Everything the gateway keeps in its own database, behind one object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from gateway.store.database import make_engine, migrate
from gateway.store.idempotency import IdempotencyStore
from gateway.store.legacy_clients import LegacyClientStore
from gateway.store.outbox_repository import OutboxRepository
from gateway.store.unit_of_work import SqlUnitOfWork


@dataclass
class GatewayStore:
    engine: Engine
    idempotency: IdempotencyStore
    outbox: OutboxRepository
    legacy_clients: LegacyClientStore

    @classmethod
    def open(cls, url: str, auto_migrate: bool = True) -> GatewayStore:
        """Connect to ``url``; bring the schema up to date unless told not to."""
        engine = make_engine(url)
        if auto_migrate:
            migrate(engine)
        return cls(
            engine,
            IdempotencyStore(engine),
            OutboxRepository(engine),
            LegacyClientStore(engine),
        )

    def unit_of_work(self, correlation_id: str | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, correlation_id)
