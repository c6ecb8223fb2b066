"""Rows 3 to 5: create throughput, token requests under load, listing 10,000 reservations."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import requests

from adapters.inventory_soap import InventorySoapClient
from adapters.legacy_inventory import PlantClock
from bench.clients import CannedAnswers, GatewayClient, lxml_reservations, plain_zeep
from bench.fixtures import LISTED_RESERVATIONS, LISTING_OWNER, PLANT, WAREHOUSE, spare_sku
from bench.fixtures import work_order_id as order_of
from bench.rows import Row
from bench.stack import Stack
from bench.timing import median_of, ms, spread
from gateway.domain.model import ReservationSearch

THROUGHPUT_TARGET = 0.8
LISTING_TARGET = 2.0
PAGE = 500  # the largest page the REST API serves


def create_throughput(stack: Stack, latency_ms: int, count: int, threads: int) -> Row:
    """POST /api/inventory/reservations against direct SOAP Reserve, same threads and count."""
    stack.set_latency(latency_ms)
    client = GatewayClient(stack.gateway.url, stack.headers())
    _, service = plain_zeep(stack)
    run = uuid.uuid4().hex[:8]

    def via_gateway(i: int) -> None:
        body = {"itemSkuId": spare_sku(i), "warehouseId": WAREHOUSE, "quantity": 1,
                "type": "SALES", "source": {"type": "sales_order", "id": "SO-BENCH"}}  # fmt: skip
        client.post("/api/inventory/reservations", body, key=f"bench-{run}-{i}")

    def direct(i: int) -> None:
        service.Reserve(RSVREQ={
            "REFNO": f"BD-{run}-{i}", "ITEMNO": spare_sku(i).ljust(18), "WHSE": WAREHOUSE,
            "LOC": "", "LOTNO": "", "QTY": Decimal("1.000"), "UOM": "", "RSVTYP": "S",
            "SRCTYP": "SO", "SRCID": "SO-BENCH", "PRIO": 50, "OWNER": PLANT, "EXPDTM": "",
            "CRTUSR": "bench", "OVRIDE": "N",
        })  # fmt: skip

    spread(threads, threads, lambda i: via_gateway(count + i))  # warm both paths up
    spread(threads, threads, lambda i: direct(count + i))
    direct_seconds, direct_cpu = _with_cpu(lambda: spread(count, threads, direct))
    gateway_seconds, gateway_cpu = _with_cpu(lambda: spread(count, threads, via_gateway))
    ratio = direct_seconds / gateway_seconds
    return Row(
        measure=f"Reservation creates, {threads} threads, L = {latency_ms} ms",
        result=f"gateway {count / gateway_seconds:.0f}/s, direct SOAP "
        f"{count / direct_seconds:.0f}/s: ratio {ratio:.2f} (CPU per create, whole process: "
        f"{ms(gateway_cpu / count):.1f} against {ms(direct_cpu / count):.1f} ms)",
        target=f"ratio ≥ {THROUGHPUT_TARGET}",
        met=ratio >= THROUGHPUT_TARGET,
        numbers={"count": count, "threads": threads, "latencyMs": latency_ms,
                 "gatewayPerSecond": round(count / gateway_seconds, 1),
                 "directPerSecond": round(count / direct_seconds, 1), "ratio": round(ratio, 3),
                 "gatewayCpuMsPerCreate": ms(gateway_cpu / count),
                 "directCpuMsPerCreate": ms(direct_cpu / count)},
    )  # fmt: skip


def _with_cpu(work: Callable[[], float]) -> tuple[float, float]:
    """What ``work`` returns (its seconds), and the CPU seconds this process spent meanwhile."""
    before = time.process_time()
    seconds = work()
    return seconds, time.process_time() - before


def token_requests(stack: Stack, calls: int, threads: int, token_latency_ms: int) -> Row:
    """Token requests a fresh gateway makes over ``calls`` calls from ``threads`` threads."""
    stack.set_latency(0)
    idp = stack.sandbox.idp.provider
    idp.faults.update({"latency_ms": token_latency_ms, "operations": ["token"]})
    fresh = stack.new_gateway()  # a cold start: empty caches, its first token fetches count
    client = GatewayClient(fresh.url, stack.headers())
    stock = partial(client.get, warehouseId=WAREHOUSE)

    def call(i: int) -> None:
        if i % 10 == 0:  # one call in ten needs the work-order service's token too
            client.get(f"/api/work-orders/{order_of(1)}/reservations")
        else:
            stock(f"/api/inventory/items/{spare_sku(i)}/stock")

    before = idp.calls.counts().get("token", 0)
    try:
        seconds = spread(calls, threads, call)
    finally:
        idp.faults.reset()
    tokens = idp.calls.counts().get("token", 0) - before
    scopes = 2
    return Row(
        measure=f"Token requests per {calls:,} gateway calls, {threads} threads",
        result=f"{tokens} ({scopes} scopes; {calls / seconds:.0f} calls/s; "
        f"token lifetime {idp.token_lifetime} s, run {seconds:.0f} s)",
        target="1 per scope per token lifetime",
        met=tokens == scopes and seconds < idp.token_lifetime,
        numbers={"calls": calls, "threads": threads, "tokenRequests": tokens, "scopes": scopes,
                 "seconds": round(seconds, 1), "tokenEndpointLatencyMs": token_latency_ms},
    )  # fmt: skip


def listing(stack: Stack, runs: int) -> Row:
    """10,000 reservations through the gateway against lxml on the same SOAP answers (L = 0)."""
    stack.set_latency(0)
    client = GatewayClient(stack.gateway.url, stack.headers((LISTING_OWNER,)))
    offsets = range(0, LISTED_RESERVATIONS, PAGE)
    bodies = _soap_answers(stack, offsets)
    assert len(lxml_reservations(bodies)) == LISTED_RESERVATIONS, "the SOAP answers fall short"

    def via_gateway() -> None:
        pages = [client.get("/api/inventory/reservations", offset=o, limit=PAGE) for o in offsets]
        assert sum(len(page["items"]) for page in pages) == LISTED_RESERVATIONS

    gateway = median_of(runs, via_gateway)
    upstream = median_of(runs, partial(_soap_answers, stack, offsets))
    parse = median_of(runs, partial(lxml_reservations, bodies))
    adapter = median_of(runs, partial(_adapter_on, stack, bodies, offsets))
    own = gateway - upstream
    ratio = own / parse
    return Row(
        measure=f"Listing {LISTED_RESERVATIONS:,} reservations ({len(offsets)} pages of {PAGE})",
        result=f"gateway {ms(gateway):,.0f} ms − upstream {ms(upstream):,.0f} ms = "
        f"{ms(own):,.0f} ms; lxml {ms(parse):,.0f} ms: {ratio:.1f}× "
        f"(zeep adapter alone {ms(adapter):,.0f} ms)",
        target=f"≤ {LISTING_TARGET:.0f}× lxml",
        met=ratio <= LISTING_TARGET,
        numbers={"reservations": LISTED_RESERVATIONS, "pageSize": PAGE,
                 "gatewayMs": ms(gateway), "upstreamSoapMs": ms(upstream),
                 "gatewayOwnMs": ms(own), "lxmlMs": ms(parse), "adapterOnCapturedMs": ms(adapter),
                 "ratio": round(ratio, 2), "runs": runs},
    )  # fmt: skip


def _soap_answers(stack: Stack, offsets: range) -> list[bytes]:
    """The raw answers to the SearchReservations calls the gateway makes for these pages."""
    client, service = plain_zeep(stack)
    with client.settings(raw_response=True):
        return [
            service.SearchReservations(
                CRITERIA={"OWNERS": {"OWNER": [LISTING_OWNER]}},
                PAGE={"SKIP": offset, "MAXROWS": PAGE},
            ).content
            for offset in offsets
        ]


def _adapter_on(stack: Stack, bodies: list[bytes], offsets: range) -> int:
    """The inventory adapter (zeep + translation) on the captured answers, without a network."""
    session = requests.Session()
    session.mount("http://", CannedAnswers(bodies))
    adapter = InventorySoapClient(
        endpoint=stack.sandbox.describe()["inventoryUrl"],
        wsdl=stack.gateway.app.config["INVENTORY_WSDL"],
        session=session,
        token_provider=_NoTokens(),
        scope="none",
        clock=PlantClock(stack.sandbox.plant_timezone),
    )
    search = ReservationSearch(owner_ids=frozenset({LISTING_OWNER}))
    return sum(len(adapter.search_reservations(search, o, PAGE).items) for o in offsets)


class _NoTokens:
    def token_for(self, scope: str) -> str:
        return "not-checked"
