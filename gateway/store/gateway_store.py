"""Everything the gateway keeps in its own database, behind one object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from gateway.store.backorders import BackorderStore
from gateway.store.database import make_engine, migrate
from gateway.store.erp_snapshots import ErpSnapshotStore
from gateway.store.idempotency import IdempotencyStore
from gateway.store.legacy_clients import LegacyClientStore
from gateway.store.outbox_repository import OutboxRepository
from gateway.store.unit_of_work import SqlUnitOfWork
from gateway.store.write_plans import WritePlanJournal


@dataclass
class GatewayStore:
    engine: Engine
    idempotency: IdempotencyStore
    outbox: OutboxRepository
    legacy_clients: LegacyClientStore
    plans: WritePlanJournal
    erp_snapshots: ErpSnapshotStore
    backorders: BackorderStore

    @classmethod
    def open(
        cls,
        url: str,
        auto_migrate: bool = True,
        plan_lease: timedelta = timedelta(seconds=60),
        lock_wait: timedelta = timedelta(seconds=10),
    ) -> GatewayStore:
        """Connect to ``url``; bring the schema up to date unless told not to."""
        engine = make_engine(url)
        if auto_migrate:
            migrate(engine)
        return cls(
            engine,
            IdempotencyStore(engine, plan_lease),
            OutboxRepository(engine),
            LegacyClientStore(engine),
            WritePlanJournal(engine, plan_lease, lock_wait),
            ErpSnapshotStore(engine),
            BackorderStore(engine),
        )

    def unit_of_work(self, correlation_id: str | None = None) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, correlation_id, self.plans)
