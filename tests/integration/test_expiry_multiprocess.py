"""Two gateway processes sweeping the same PostgreSQL database expire each reservation once."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gateway.app import create_app
from gateway.domain.model import ReservationRequest, ReservationType, Source, SourceType
from gateway.store.tables import audit_entries, events


def environment(settings: dict[str, Any], database_url: str) -> dict[str, str]:
    gateway = {f"GATEWAY_{k}": str(v) for k, v in settings.items() if v is not None}
    return {**os.environ, **gateway, "GATEWAY_DATABASE_URL": database_url}


def test_two_processes_expire_each_reservation_exactly_once(
    gateway_settings: dict[str, Any], postgres_url: str
) -> None:
    app = create_app({**gateway_settings, "DATABASE_URL": postgres_url})
    inventory = app.extensions["gateway"].adapters.inventory
    past = datetime.now(UTC) - timedelta(minutes=1)
    made = [
        inventory.reserve(
            ReservationRequest(
                reference=f"MP-{uuid.uuid4().hex[:12]}", item_sku_id="RM-1002",
                warehouse_id="W02", quantity=Decimal(1), type=ReservationType.SALES,
                source=Source(SourceType.SALES_ORDER, "SO-MULTI"), owner_id="PLANT-A",
                expires_at=past,
            )
        ).id
        for _ in range(6)
    ]  # fmt: skip
    command = [sys.executable, "-c", "from gateway.cli import main; main()", "sweep", "--once"]
    env = environment(gateway_settings, postgres_url)
    sweepers = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) for _ in (1, 2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in sweepers]
    assert [p.returncode for p in sweepers] == [0, 0], outputs
    engine = app.extensions["gateway"].store.engine
    with engine.connect() as connection:
        for reservation_id in made:
            published = connection.execute(
                select(func.count()).where(
                    events.c.aggregate_id == reservation_id, events.c.type == "InventoryExpired"
                )
            ).scalar_one()
            audited = connection.execute(
                select(func.count()).where(
                    audit_entries.c.target_id == reservation_id,
                    audit_entries.c.action == "reservation.expire",
                )
            ).scalar_one()
            assert (published, audited) == (1, 1), reservation_id
    assert all(inventory.get_reservation(r).release_reason.value == "expired" for r in made)
