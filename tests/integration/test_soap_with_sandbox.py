"""The SOAP endpoint against the real sandbox, on SQLite and PostgreSQL, driven by zeep."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
from flask import Flask
from zeep.wsse.username import UsernameToken

from gateway.app import create_app
from gateway.auth.legacy_clients import new_client
from gateway.domain.model import InventoryTransaction, Source, SourceType
from tests.integration.reservation_helpers import set_available
from tests.live_server import serving
from tests.soap_helpers import GW, NS, PATH, envelope, fault_of, headers, security_header

PASSWORD = "integration-password-1"


@pytest.fixture(scope="module")
def soap_url(gateway_app: Flask) -> Iterator[str]:
    with serving(gateway_app) as base:
        yield base + PATH


@pytest.fixture(scope="module")
def register(gateway_app: Flask) -> Callable[..., str]:
    """Add a legacy client with a unique name; returns the name."""
    box = gateway_app.extensions["gateway"].credentials.keys

    def add(role: str = "Reservations.Staff", owner: str = "PLANT-A", digest: bool = True) -> str:
        name = f"mes-{uuid.uuid4().hex[:10]}"
        client = new_client(
            name, frozenset({role}), frozenset({owner}), PASSWORD, box, digest, datetime.now(UTC)
        )
        gateway_app.extensions["gateway"].store.legacy_clients.add(client)
        return name

    return add


@pytest.fixture(scope="module")
def connect(soap_url: str) -> Callable[..., Any]:
    """A zeep client built from nothing but the WSDL URL, as a legacy client's."""

    def client(name: str, digest: bool = True, **token: Any) -> Any:
        wsse = UsernameToken(name, PASSWORD, use_digest=digest, **token)
        return zeep.Client(soap_url + "?wsdl", wsse=wsse).service

    return client


def reservation(source_id: str, owner: str | None = None, quantity: str = "1.5") -> dict[str, Any]:
    return {
        "itemSkuId": "RM-1002",
        "warehouseId": "W02",
        "quantity": Decimal(quantity),
        "type": "SALES",
        "source": {"type": "sales_order", "id": source_id},
        "expiresAt": datetime.now(UTC) + timedelta(days=1),
        "ownerId": owner,
    }


def fault_code(error: zeep.exceptions.Fault) -> str:
    code: str = error.detail.findtext("g:GatewayFault/g:code", namespaces=NS)
    return code


def test_create_list_consume_and_release_over_soap(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    made = service.CreateReservation(reservation(source), reference=f"{source}-1")
    assert (made.status, made.quantity, made.ownerId) == ("OPEN", Decimal("1.500"), "PLANT-A")
    again = service.CreateReservation(reservation(source), reference=f"{source}-1")
    assert again.id == made.id  # a retry with the same reference lands once
    page = service.ListReservations(sourceType="sales_order", sourceId=source)
    assert [r.id for r in page["items"]["Reservation"]] == [made.id] and page.total == 1
    second = service.CreateReservation(reservation(source, quantity="2"), reference=f"{source}-2")
    consumed = service.ConsumeReservation(second.id)
    assert consumed.reservation.status == "CLOSED"
    assert consumed.transaction.previousOnHand - consumed.transaction.newOnHand == Decimal(2)
    assert service.ReleaseReservation(made.id).status == "RELEASED"
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.ReleaseReservation(made.id)
    assert fault_code(fault.value) == "inventory.reservation.already_released"
    assert fault.value.code.endswith("Client")


def test_a_release_whose_answer_is_lost_once_is_released_over_soap(
    register: Callable[..., str], connect: Callable[..., Any], faults: Any
) -> None:
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    made = service.CreateReservation(reservation(source), reference=f"{source}-1")
    faults.inventory.knobs.update({"drop_after_commit": 1, "operations": ["Release"]})
    assert service.ReleaseReservation(made.id).status == "RELEASED"  # retried on its reference
    assert faults.inventory.knobs.snapshot()["drop_after_commit"] == 0
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.ReleaseReservation(made.id)  # another call, another reference
    assert fault_code(fault.value) == "inventory.reservation.already_released"


def test_stock_level_and_work_order_reservations(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    service = connect(register(), digest=False)
    level = service.GetStockLevel("RM-1002", "W02")
    assert level.available == level.onHand - level.reserved
    found = service.GetWorkOrderReservations("WO-1001", status="OPEN")
    reservations = [
        r
        for m in found.materials["MaterialReservations"]
        for r in (m.reservations["Reservation"] if m.reservations else [])
    ]
    assert found.workOrder.id == "WO-1001" and reservations
    assert all(r.lot and r.location and r.status == "OPEN" for r in reservations)


def test_update_work_order_applies_the_recipe_rules(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    service = connect(register())
    start = datetime(2027, 4, 1, 5, 0, tzinfo=UTC)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.UpdateWorkOrder("WO-1000", "BREAD-WHITE", Decimal(301), start)
    assert fault_code(fault.value) == "workorder.invalid_batch_quantity"
    updated = service.UpdateWorkOrder("WO-1000", "BREAD-WHITE", Decimal(300), start)
    assert (updated.workOrder.id, updated.workOrder.batchQuantity) == ("WO-1000", Decimal(300))


def test_a_client_of_owner_b_cannot_see_or_touch_owner_as_reservations(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    plant_a, plant_b = connect(register()), connect(register(owner="PLANT-B"))
    source = f"SO-{uuid.uuid4().hex[:8]}"
    made = plant_a.CreateReservation(reservation(source))
    page = plant_b.ListReservations(sourceType="sales_order", sourceId=source)
    assert page.total == 0 and not page["items"]
    for attempt, code in [
        (lambda: plant_b.ReleaseReservation(made.id), "inventory.reservation.not_found"),
        (lambda: plant_b.GetWorkOrderReservations("WO-1001"), "workorder.not_found"),
        (
            lambda: plant_b.CreateReservation(reservation(source, owner="PLANT-A")),
            "inventory.reservation.invalid_owner",
        ),
    ]:
        with pytest.raises(zeep.exceptions.Fault) as fault:
            attempt()
        assert fault_code(fault.value) == code
    assert plant_a.ReleaseReservation(made.id).status == "RELEASED"


def test_a_replayed_nonce_is_refused(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    name = register()
    replaying = connect(name, nonce=uuid.uuid4().hex, created=datetime.now(UTC))
    assert replaying.GetStockLevel("RM-1002", "W02").itemSkuId == "RM-1002"
    with pytest.raises(zeep.exceptions.Fault) as fault:
        replaying.GetStockLevel("RM-1002", "W02")
    assert fault_code(fault.value) == "auth.unauthenticated"
    assert connect(name).GetStockLevel("RM-1002", "W02")  # fresh nonces still work


def test_a_nonce_used_on_one_gateway_process_is_refused_by_another(
    gateway_app: Flask, register: Callable[..., str]
) -> None:
    """Two apps on one database share nothing but it, like two gateway processes."""
    other = create_app({**gateway_app.config, "DATABASE_URL": gateway_app.config["DATABASE_URL"]})
    name, created = register(), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    header = security_header(name, PASSWORD, digest=True, nonce=os.urandom(16), created=created)
    body = envelope(
        "GetStockLevel",
        "<g:itemSkuId>RM-1002</g:itemSkuId><g:warehouseId>W02</g:warehouseId>",
        header,
    )
    first = gateway_app.test_client().post(PATH, data=body, headers=headers("GetStockLevel"))
    assert first.status_code == 200, first.data
    replay = other.test_client().post(PATH, data=body, headers=headers("GetStockLevel"))
    assert fault_of(replay.data).code == "auth.unauthenticated"


def test_a_disabled_client_is_refused_from_its_next_call(
    gateway_app: Flask, register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    name = register()
    service = connect(name, digest=False)
    assert service.GetStockLevel("RM-1002", "W02")
    assert gateway_app.extensions["gateway"].store.legacy_clients.disable(name)
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.GetStockLevel("RM-1002", "W02")
    assert fault_code(fault.value) == "auth.unauthenticated"


def test_http_basic_authenticates_too(register: Callable[..., str], soap_url: str) -> None:
    session = requests.Session()
    session.auth = (register(digest=False), PASSWORD)
    client = zeep.Client(soap_url + "?wsdl", transport=zeep.Transport(session=session))
    assert client.service.GetStockLevel("RM-1002", "W02").warehouseId == "W02"
    session.auth = (session.auth[0], "wrong-password-1")
    with pytest.raises(zeep.exceptions.Fault) as fault:
        client.service.GetStockLevel("RM-1002", "W02")
    assert fault_code(fault.value) == "auth.unauthenticated"
    assert GW in client.wsdl.types.prefix_map.values()


def test_another_plants_stock_and_work_order_fault_as_missing_ones_over_soap(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    service = connect(register(owner="PLANT-B"))

    def fault(call: Callable[[], Any], identifier: str) -> tuple[str, str]:
        with pytest.raises(zeep.exceptions.Fault) as raised:
            call()
        return fault_code(raised.value), str(raised.value.message).replace(identifier, "<id>")

    stock = fault(lambda: service.GetStockLevel("RM-1002", "W02"), "RM-1002")
    assert stock == fault(lambda: service.GetStockLevel("NO-SUCH", "W02"), "NO-SUCH")
    assert stock[0] == "inventory.item.not_found"
    order = fault(lambda: service.GetWorkOrderReservations("WO-1001"), "WO-1001")
    assert order == fault(lambda: service.GetWorkOrderReservations("WO-0000"), "WO-0000")
    assert order[0] == "workorder.not_found"
    refused = fault(lambda: service.CreateReservation(reservation("SO-X", "PLANT-B")), "W02")
    assert refused[0] == "inventory.reservation.invalid_owner"


def test_expiries_are_changed_one_at_a_time_and_for_a_whole_order_over_soap(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    """Issue 15.1 over SOAP: a new date, neverExpires, a whole order; bad input is a fault."""
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    first = service.CreateReservation(reservation(source), reference=f"{source}-1")
    second = service.CreateReservation(reservation(source), reference=f"{source}-2")
    target = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    changed = service.ChangeReservationExpiry(first.id, expiresAt=target, reference=f"{source}-x")
    assert changed.expiresAt == target
    again = service.ChangeReservationExpiry(first.id, expiresAt=target, reference=f"{source}-x")
    assert again.expiresAt == target  # a retry with its reference lands once
    for bad in ({}, {"expiresAt": target, "neverExpires": True},
                {"expiresAt": datetime.now(UTC) - timedelta(minutes=5)}):  # fmt: skip
        with pytest.raises(zeep.exceptions.Fault) as fault:
            service.ChangeReservationExpiry(second.id, **bad)
        assert fault_code(fault.value) in (
            "request.invalid",
            "inventory.reservation.invalid_expiry",
        )
    confirmed = service.ChangeSourceExpiry("sales_order", source, neverExpires=True)
    ids = sorted(r.id for r in confirmed.reservations["Reservation"])
    assert ids == sorted([first.id, second.id]) and confirmed.expiresAt is None
    assert all(r.expiresAt is None for r in confirmed.reservations["Reservation"])
    with pytest.raises(zeep.exceptions.Fault) as missing:
        service.ChangeSourceExpiry("sales_order", f"{source}-none", neverExpires=True)
    assert fault_code(missing.value) == "inventory.reservation.not_found"
    for made in (first, second):
        service.ReleaseReservation(made.id)


def test_a_part_is_consumed_and_the_rest_released_over_soap(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    """Issue 15.4 over SOAP: a part, then the rest released; more than reserved is a fault."""
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    made = service.CreateReservation(reservation(source, quantity="5"), reference=f"{source}-1")
    part = service.ConsumeReservationPart(made.id, Decimal(2), reference=f"{source}-c1")
    assert (part.reservation.status, part.reservation.quantity) == ("OPEN", Decimal(3))
    assert (part.consumedQuantity, part.remainingQuantity) == (Decimal(2), Decimal(3))
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.ConsumeReservationPart(made.id, Decimal(4), reference=f"{source}-c2")
    assert fault_code(fault.value) == "inventory.reservation.over_consume"
    rest = service.ConsumeReservationPart(made.id, Decimal(1), releaseRemainder=True,
                                          reference=f"{source}-c3")  # fmt: skip
    assert rest.reservation.status == "CLOSED"
    assert (rest.consumedQuantity, rest.releasedQuantity) == (Decimal(1), Decimal(2))


def test_backorders_are_listed_and_cancelled_over_soap(
    register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    """Issue 15.2 over SOAP: a partial create's backorder in the listing, then cancelled."""
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    wanted = {
        **reservation(source, quantity="999999"),
        "allowPartial": True,
        "itemSkuId": "RM-1217",
        "warehouseId": "W01",
    }  # an item no other test reserves
    made = service.CreateReservation(wanted, reference=f"{source}-1")
    assert made.backorderId and made.backorderedQuantity > 0
    page = service.ListBackorders(itemSkuId="RM-1217", warehouseId="W01", status="OPEN",
                                  limit=500)  # fmt: skip
    assert made.backorderId in [b.id for b in page["items"]["Backorder"]]
    cancelled = service.CancelBackorder(made.backorderId)
    assert (cancelled.id, cancelled.status) == (made.backorderId, "CANCELLED")
    with pytest.raises(zeep.exceptions.Fault) as fault:
        service.CancelBackorder(made.backorderId)
    assert fault_code(fault.value) == "inventory.backorder.not_open"
    if made.id:
        service.ReleaseReservation(made.id)


def test_shortages_are_listed_over_soap(
    gateway_app: Flask, register: Callable[..., str], connect: Callable[..., Any]
) -> None:
    """Issue 15.5 over SOAP: after an ERP count drops on-hand, the reservation served last is
    short by what the count took (RM-1201 in W01: an item no other test reserves)."""
    inventory = gateway_app.extensions["gateway"].adapters.inventory
    set_available(inventory, "RM-1201", "W01", Decimal(5))
    service, source = connect(register()), f"SO-{uuid.uuid4().hex[:8]}"
    lines = {**reservation(source), "itemSkuId": "RM-1201", "warehouseId": "W01"}
    low = service.CreateReservation({**lines, "quantity": Decimal(4), "priority": 10},
                                    reference=f"{source}-1")  # fmt: skip
    high = service.CreateReservation({**lines, "quantity": Decimal(1), "priority": 90},
                                     reference=f"{source}-2")  # fmt: skip
    inventory.post_transaction(InventoryTransaction(
        reference=f"CNT-{uuid.uuid4().hex[:16]}", item_sku_id="RM-1201", warehouse_id="W01",
        quantity=Decimal(-3), transaction_type="ADJ", transaction_date=datetime.now(UTC),
        source=Source(SourceType.TRANSACTION, "COUNT"),
    ))  # fmt: skip
    page = service.ListShortages(itemSkuId="RM-1201", warehouseId="W01", limit=500)
    short = {s.reservation.id: s.shortQuantity for s in page["items"]["Shortage"]}
    assert short.get(low.id) == Decimal(3) and high.id not in short
    for made in (low, high):
        service.ReleaseReservation(made.id)
    set_available(inventory, "RM-1201", "W01", Decimal(5))
