"""The rows of ``make bench``: the gateway (gunicorn, its own core) against direct clients.

Each comparison runs in rounds, contenders alternated (who goes first turns each round); every
row reports medians over the rounds. The sandbox answers from canned answers: an upstream call
costs L and the sending of its bytes, nothing else.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.fixtures import (
    LISTED_RESERVATIONS,
    LISTING_OWNER,
    PLANT,
    WAREHOUSE,
    WORK_ORDER_SIZES,
    sku,
    spare_sku,
    work_order_id,
)
from bench.processes import CLIENT_CORE, DIRECT_CORE, Sandbox, run_load
from bench.rows import Row
from bench.timing import percentile
from bench.upstream import BINDING, RSV, WSDL, Upstream, numbered_reservation

OVERHEAD_TARGET_MS = 1.5
THROUGHPUT_TARGET = 0.8
WORK_ORDER_MARGIN = 1.10
LISTING_TARGET = 2.5
PAGE = 500


@dataclass
class Fair:
    sandbox: Sandbox
    gateway_url: str
    upstream: Upstream
    rounds: int

    def gateway(self, requests: list[dict[str, Any]], **job: Any) -> Callable[[], dict[str, Any]]:
        return lambda: run_load(CLIENT_CORE, {"kind": "http", "url": self.gateway_url,
                                              "requests": requests, **job})  # fmt: skip

    def direct(self, requests: list[dict[str, Any]], **job: Any) -> Callable[[], dict[str, Any]]:
        inventory = self.sandbox.describe["inventoryUrl"]
        return lambda: run_load(DIRECT_CORE, {"kind": "http", "url": inventory,
                                              "requests": requests, **job})  # fmt: skip

    def zeep(self, calls: list[dict[str, Any]], **job: Any) -> Callable[[], dict[str, Any]]:
        return lambda: run_load(DIRECT_CORE, {
            "kind": "zeep", "wsdl": str(WSDL), "binding": BINDING, "calls": calls,
            "endpoint": self.sandbox.describe["inventoryUrl"],
            "token": self.upstream.inventory_token, **job})  # fmt: skip

    def headers(self, owners: tuple[str, ...] = (PLANT,)) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.sandbox.token(owners=owners)}"}


def alternated(rounds: int, contenders: dict[str, Callable[[], dict[str, Any]]]) -> dict[str, Any]:
    """Each contender's results, one per round; the order turns every round."""
    names = list(contenders)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for round_ in range(rounds):
        turn = round_ % len(names)
        for name in names[turn:] + names[:turn]:
            results[name].append(contenders[name]())
    return results


def _median_p(results: list[dict[str, Any]], fraction: float) -> float:
    return statistics.median(percentile(r["latencies"], fraction) for r in results) * 1000


def stock_overhead(bench: Fair, samples: int) -> Row:
    """GET …/stock through the gateway against the same GetBalance raw and with zeep, L = 0."""
    item = sku(1)
    balance = bench.upstream.envelope("GetBalance", ITEMNO=item.ljust(18), WHSE=WAREHOUSE)
    bench.upstream.can({"GetBalance": bench.upstream.soap_answer(balance)})
    bench.sandbox.latency(0)
    path = f"/api/inventory/items/{item}/stock?warehouseId={WAREHOUSE}"
    job = {"count": samples, "warmup": samples // 10}
    results = alternated(bench.rounds, {
        "gateway": bench.gateway([{"method": "GET", "path": path, "headers": bench.headers()}],
                                 **job),
        "direct": bench.direct([bench.upstream.soap_request(balance)], **job),
        "zeep": bench.zeep([{"operation": "GetBalance",
                             "arguments": {"ITEMNO": item.ljust(18), "WHSE": WAREHOUSE}}], **job),
    })  # fmt: skip
    p = {name: {q: round(_median_p(r, q / 100), 3) for q in (50, 90, 99)}
         for name, r in results.items()}  # fmt: skip
    overhead = {q: round(p["gateway"][q] - p["direct"][q], 3) for q in (50, 90, 99)}
    return Row(
        measure="Stock lookup: gateway − raw GetBalance POST (L = 0, 1 connection)",
        result=f"p50 {overhead[50]:.2f} ms, p90 {overhead[90]:.2f} ms (gateway p50 "
        f"{p['gateway'][50]:.2f}, raw POST {p['direct'][50]:.2f}, "
        f"zeep alone {p['zeep'][50]:.2f} ms)",
        target=f"p90 ≤ {OVERHEAD_TARGET_MS} ms",
        met=overhead[90] <= OVERHEAD_TARGET_MS,
        numbers={"samples": samples, "rounds": bench.rounds, "overheadMs": overhead,
                 "percentilesMs": p},
    )  # fmt: skip


def create_throughput(bench: Fair, latency_ms: int, count: int, threads: int) -> Row:
    """POST /api/inventory/reservations against its two upstream calls made raw, same threads."""
    run = uuid.uuid4().hex[:8]
    item = spare_sku(1)
    balance = bench.upstream.envelope("GetBalance", ITEMNO=item.ljust(18), WHSE=WAREHOUSE)
    arguments = {"REFNO": f"BD-{run}-{{i}}", "ITEMNO": item.ljust(18), "WHSE": WAREHOUSE,
                 "LOC": "", "LOTNO": "", "QTY": "1.000", "UOM": "", "RSVTYP": "S", "SRCTYP": "SO",
                 "SRCID": "SO-BENCH", "PRIO": 50, "OWNER": PLANT, "EXPDTM": "",
                 "CRTUSR": "bench", "OVRIDE": "N"}  # fmt: skip
    reserve = bench.upstream.envelope("Reserve", RSVREQ=arguments)
    first = bench.upstream.envelope("Reserve", RSVREQ={**arguments, "REFNO": f"BD-{run}"})
    reserved = numbered_reservation(bench.upstream.soap_answer(first))
    bench.upstream.can({"GetBalance": bench.upstream.soap_answer(balance), "Reserve": reserved})
    bench.sandbox.latency(latency_ms)
    body = json.dumps({"itemSkuId": item, "warehouseId": WAREHOUSE, "quantity": 1, "type": "SALES",
                       "source": {"type": "sales_order", "id": "SO-BENCH"}})  # fmt: skip
    create = {"method": "POST", "path": "/api/inventory/reservations", "body": body, "status": 201,
              "headers": {**bench.headers(), "Content-Type": "application/json",
                          "Idempotency-Key": f"bench-{run}-{{i}}"}}  # fmt: skip
    job = {"count": count, "concurrency": threads, "warmup": threads}
    results = alternated(bench.rounds, {
        "gateway": bench.gateway([create], **job),
        "direct": bench.direct([bench.upstream.soap_request(balance),
                                bench.upstream.soap_request(reserve)], **job),
    })  # fmt: skip
    rate = {name: statistics.median(count / r["seconds"] for r in runs)
            for name, runs in results.items()}  # fmt: skip
    ratio = rate["gateway"] / rate["direct"]
    return Row(
        measure=f"Reservation creates, {threads} connections, L = {latency_ms} ms",
        result=f"gateway {rate['gateway']:.0f}/s, its GetBalance + Reserve raw "
        f"{rate['direct']:.0f}/s: ratio {ratio:.2f}",
        target=f"ratio ≥ {THROUGHPUT_TARGET}",
        met=ratio >= THROUGHPUT_TARGET,
        numbers={"count": count, "threads": threads, "latencyMs": latency_ms,
                 "rounds": bench.rounds, "perSecond": rate, "ratio": round(ratio, 3)},
    )  # fmt: skip


def work_order_latency(bench: Fair, latency_ms: int, runs: int) -> list[Row]:
    """GET /api/work-orders/{id}/reservations against its three upstream calls made raw."""
    return [_work_order_row(bench, latency_ms, runs, size) for size in WORK_ORDER_SIZES]


def _work_order_row(bench: Fair, latency_ms: int, runs: int, size: int) -> Row:
    order = work_order_id(size)
    up = bench.upstream
    by_sources = up.envelope("ListReservationsBySources", SRCIDS={"SRCID": [order]})
    items = [sku(n).ljust(18) for n in range(1, size + 1)]
    balances = up.envelope("GetBalances", ITEMNOS={"ITEMNO": items})
    up.can({"ListReservationsBySources": up.soap_answer(by_sources),
            "GetBalances": up.soap_answer(balances)},
           {"get_work_order": up.work_order_answer(order)})  # fmt: skip
    bench.sandbox.latency(latency_ms)
    view = {"method": "GET", "path": f"/api/work-orders/{order}/reservations",
            "headers": bench.headers()}  # fmt: skip
    work_orders = {**up.work_order_request(order), "url": bench.sandbox.describe["workOrdersUrl"]}
    soap = [up.soap_request(by_sources), up.soap_request(balances)]
    job = {"count": runs, "warmup": 1}
    results = alternated(bench.rounds, {
        "gateway": bench.gateway([view], **job),
        "direct": bench.direct([work_orders, {"parallel": soap}], **job),
    })  # fmt: skip
    gateway, direct = _median_p(results["gateway"], 0.5), _median_p(results["direct"], 0.5)
    return Row(
        measure=f"Work-order reservations, N = {size}, L = {latency_ms} ms",
        result=f"{gateway:.1f} ms (its 3 upstream calls raw, the 2 SOAP ones side by side "
        f"{direct:.1f} ms: +{(gateway / direct - 1) * 100:.0f} %)",
        target=f"≤ raw + {(WORK_ORDER_MARGIN - 1) * 100:.0f} %",
        met=gateway <= direct * WORK_ORDER_MARGIN,
        numbers={"materials": size, "latencyMs": latency_ms, "gatewayMs": round(gateway, 2),
                 "rawMs": round(direct, 2), "runs": runs, "rounds": bench.rounds},
    )  # fmt: skip


def listing(bench: Fair, runs: int) -> Row:
    """10,000 reservations in pages of 500 through the gateway, against lxml on the answers."""
    up = bench.upstream
    page = up.envelope("SearchReservations", CRITERIA={"OWNERS": {"OWNER": [LISTING_OWNER]}},
                       PAGE={"SKIP": 0, "MAXROWS": PAGE})  # fmt: skip
    answer = up.soap_answer(page)
    up.can({"SearchReservations": answer})  # every page answers with the first one's records
    bench.sandbox.latency(0)
    pages = LISTED_RESERVATIONS // PAGE
    headers = bench.headers((LISTING_OWNER,))
    listed = [{"method": "GET", "path": f"/api/inventory/reservations?offset={o}&limit={PAGE}",
               "headers": headers} for o in range(0, LISTED_RESERVATIONS, PAGE)]  # fmt: skip
    job = {"count": runs, "warmup": 1}
    lxml = {"kind": "lxml", "bodies": [answer] * pages, "record": RSV, **job}
    results = alternated(bench.rounds, {
        "gateway": bench.gateway(listed, **job),
        "upstream": bench.direct([up.soap_request(page)] * pages, **job),
        "lxml": lambda: run_load(DIRECT_CORE, lxml),
    })  # fmt: skip
    ms = {name: _median_p(r, 0.5) for name, r in results.items()}
    own = ms["gateway"] - ms["upstream"]
    ratio = own / ms["lxml"]
    return Row(
        measure=f"Listing {LISTED_RESERVATIONS:,} reservations ({pages} pages of {PAGE}, L = 0)",
        result=f"gateway {ms['gateway']:,.0f} ms − raw upstream {ms['upstream']:,.0f} ms = "
        f"{own:,.0f} ms; lxml {ms['lxml']:,.0f} ms: {ratio:.1f}×",
        target=f"≤ {LISTING_TARGET}× lxml",
        met=ratio <= LISTING_TARGET,
        numbers={"reservations": LISTED_RESERVATIONS, "pageSize": PAGE, "runs": runs,
                 "rounds": bench.rounds, **{f"{k}Ms": round(v, 1) for k, v in ms.items()},
                 "gatewayOwnMs": round(own, 1), "ratio": round(ratio, 2)},
    )  # fmt: skip
