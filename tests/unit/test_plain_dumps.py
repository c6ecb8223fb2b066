"""The plain dumps of the big read models make exactly marshmallow's JSON (issue 13.5)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import simplejson
from marshmallow import Schema

from gateway.api.dumps import PlainDump
from gateway.api.reservation_schemas import (
    ConsumptionSchema,
    ReservationListSchema,
    ReservationPageSchema,
)
from gateway.api.schemas import ReservationSchema, WorkOrderReservationsSchema
from gateway.domain.model import (
    Material,
    Page,
    ReleaseReason,
    Reservation,
    ReservationStatus,
    ReservationType,
    Source,
    SourceType,
    WorkOrder,
    WorkOrderStatus,
)
from gateway.services.workorders import MaterialReservations, WorkOrderReservations

ZONES = [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)), None]
QUANTITIES = ["0.3", "15.000", "100", "1E+3", "0.000001", "123456789012.123456", "-2.50", "0"]


def maybe(rng: random.Random, value: Any) -> Any:
    return None if rng.random() < 0.3 else value


def stamp(rng: random.Random) -> datetime:
    moment = datetime(2026, 1, 1) + timedelta(
        seconds=rng.randrange(10**8), microseconds=rng.choice([0, 1, 999_999])
    )
    return moment.replace(tzinfo=rng.choice(ZONES))


def reservation(rng: random.Random) -> Reservation:
    return Reservation(
        id=f"R{rng.randrange(10**6)}",
        reference=maybe(rng, f"GW-{rng.randrange(10**9)}"),
        item_sku_id="RM-1002",
        warehouse_id="W02",
        location=maybe(rng, "A-01"),
        lot=maybe(rng, "LOT-7"),
        quantity=Decimal(rng.choice(QUANTITIES)),
        uom=maybe(rng, "KG"),
        type=rng.choice(list(ReservationType)),
        source=Source(rng.choice(list(SourceType)), f"SO-{rng.randrange(100)}"),
        priority=rng.randrange(100),
        status=rng.choice(list(ReservationStatus)),
        owner_id="PLANT-A",
        created_at=maybe(rng, stamp(rng)),
        created_by=maybe(rng, "staff"),
        expires_at=maybe(rng, stamp(rng)),
        release_reason=maybe(rng, rng.choice(list(ReleaseReason))),
        released_at=maybe(rng, stamp(rng)),
        closed_at=maybe(rng, stamp(rng)),
    )


def work_order_view(rng: random.Random) -> WorkOrderReservations:
    order = WorkOrder(
        "WO-1",
        rng.choice(list(WorkOrderStatus)),
        "Bread",
        Decimal(rng.choice(QUANTITIES)),
        "KG",
        maybe(rng, stamp(rng)),
        "PLANT-A",
    )
    materials = tuple(
        MaterialReservations(
            rng.randrange(1, 100),
            "Mix",
            Material(
                f"RM-{n}",
                Decimal(rng.choice(QUANTITIES)),
                "KG",
                maybe(rng, "LOT-1"),
                rng.random() < 0.5,
            ),
            maybe(rng, "Flour"),
            tuple(reservation(rng) for _ in range(rng.randrange(4))),
        )
        for n in range(rng.randrange(5))
    )
    return WorkOrderReservations(order, materials)


def by_marshmallow(schema: Schema, value: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The schema's dump field by field, nested schemas included."""
    with monkeypatch.context() as patched:
        patched.setattr(PlainDump, "dump", Schema.dump)
        return schema.dump(value)


def as_bytes(document: Any) -> str:
    return simplejson.dumps(document, use_decimal=True)  # as the app's JSON provider writes


CASES: list[tuple[Schema, Callable[[random.Random], Any]]] = [
    (ReservationSchema(), reservation),
    (ReservationSchema(many=True), lambda rng: [reservation(rng) for _ in range(3)]),
    (
        ReservationPageSchema(),
        lambda rng: Page(tuple(reservation(rng) for _ in range(5)), rng.randrange(1000), 0, 50),
    ),
    (WorkOrderReservationsSchema(), work_order_view),
    (ReservationListSchema(), lambda rng: {"reservations": [reservation(rng)]}),
    (ConsumptionSchema(), lambda rng: {"reservation": reservation(rng), "transaction": None}),
]


@pytest.mark.parametrize(("schema", "make"), CASES, ids=lambda c: type(c).__name__)
def test_plain_dumps_make_exactly_marshmallows_json(
    schema: Schema, make: Callable[[random.Random], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(1305)
    for _ in range(300):
        value = make(rng)
        expected, plain = by_marshmallow(schema, value, monkeypatch), schema.dump(value)
        assert as_bytes(plain) == as_bytes(expected)  # same keys, order and number text
        assert plain == expected


def test_a_dict_or_a_narrowed_schema_is_still_dumped_by_marshmallow(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = reservation(random.Random(7))
    narrowed = ReservationSchema(only=("id", "quantity"))
    assert narrowed.dump(record) == {"id": record.id, "quantity": record.quantity}
    as_dict = {"id": "R1", "quantity": Decimal("1.50")}
    assert ReservationSchema().dump(as_dict) == by_marshmallow(
        ReservationSchema(), as_dict, monkeypatch
    )
