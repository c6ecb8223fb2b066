"""Random sequences of create/release/consume/expire keep the books straight (hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)

from gateway.background import sweep_once
from gateway.domain.model import ReservationRequest, ReservationType, Source, SourceType
from tests.integration.reservation_helpers import body, set_available

SKU, WAREHOUSE = "RM-1163", "W02"


def test_random_sequences_keep_available_reserved_and_on_hand_consistent(
    gateway_app: Flask, staff_a: dict[str, str]
) -> None:
    inventory = gateway_app.extensions["gateway"].adapters.inventory

    class Books(RuleBasedStateMachine):
        """The model: what we expect the legacy system's balance to say after each step."""

        reservations = Bundle("reservations")

        def __init__(self) -> None:
            super().__init__()
            self.client = gateway_app.test_client()
            set_available(inventory, SKU, WAREHOUSE, Decimal(20))
            level = inventory.get_stock_level(SKU, WAREHOUSE)
            self.on_hand, self.reserved = level.on_hand, level.reserved

        @property
        def available(self) -> Decimal:
            return self.on_hand - self.reserved

        @rule(target=reservations, quantity=st.integers(min_value=1, max_value=8))
        def create(self, quantity: int) -> Any:
            answer = self.client.post(
                "/api/inventory/reservations",
                json=body(sku=SKU, warehouseId=WAREHOUSE, quantity=quantity),
                headers=staff_a,
            )
            if quantity > self.available:
                assert answer.status_code == 409, answer.data
                return None
            assert answer.status_code == 201, answer.data
            self.reserved += quantity
            return (answer.get_json()["id"], Decimal(quantity))

        @rule(made=consumes(reservations))
        def release(self, made: Any) -> None:
            if made is None:
                return
            answer = self.client.put(
                f"/api/inventory/reservations/{made[0]}/release", headers=staff_a
            )
            assert answer.status_code == 200, answer.data
            self.reserved -= made[1]

        @rule(made=consumes(reservations))
        def consume(self, made: Any) -> None:
            if made is None:
                return
            answer = self.client.put(
                f"/api/inventory/reservations/{made[0]}/consume", headers=staff_a
            )
            assert answer.status_code == 200, answer.data
            self.reserved -= made[1]
            self.on_hand -= made[1]

        @rule(quantity=st.integers(min_value=1, max_value=3))
        def expire(self, quantity: int) -> None:
            if quantity > self.available:
                return
            inventory.reserve(
                ReservationRequest(
                    reference=f"PROP-{uuid.uuid4().hex[:12]}", item_sku_id=SKU,
                    warehouse_id=WAREHOUSE, quantity=Decimal(quantity),
                    type=ReservationType.SALES, source=Source(SourceType.SALES_ORDER, "SO-PROP"),
                    owner_id="PLANT-A", expires_at=datetime.now(UTC) - timedelta(seconds=1),
                )
            )  # fmt: skip
            sweep_once(gateway_app)  # reserved, then released again by the sweeper

        @invariant()
        def books_match_the_legacy_balance(self) -> None:
            level = inventory.get_stock_level(SKU, WAREHOUSE)
            assert (level.on_hand, level.reserved) == (self.on_hand, self.reserved)
            assert level.available == level.on_hand - level.reserved
            assert level.available >= 0  # never reserved beyond available without an override

        def teardown(self) -> None:
            self.client.__exit__(None, None, None)

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
