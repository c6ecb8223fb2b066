"""Rows 1 and 2: work-order reservations at N materials, and the gateway's overhead per call."""

from __future__ import annotations

from functools import partial

from bench.clients import (
    GatewayClient,
    NaiveMaterial,
    naive_work_order_reservations,
    plain_zeep,
    real_adapters,
    three_calls,
)
from bench.fixtures import WAREHOUSE, WORK_ORDER_SIZES, sku, work_order_id
from bench.rows import Row
from bench.stack import Stack
from bench.timing import median_of, ms, percentile, timed

OVERHEAD_TARGET_MS = 1.7


def work_order_latency(stack: Stack, latency_ms: int, runs: int) -> list[Row]:
    """GET /api/work-orders/{id}/reservations at N materials beside L and a naive client."""
    stack.set_latency(latency_ms)
    client = GatewayClient(stack.gateway.url, stack.headers())
    wired = real_adapters(stack)
    rows = []
    for size in WORK_ORDER_SIZES:
        order = work_order_id(size)
        path = f"/api/work-orders/{order}/reservations"
        _check_gateway_answer(client.get(path), size)
        _check_naive_answer(
            naive_work_order_reservations(order, wired.work_orders, wired.inventory), size
        )
        gateway = median_of(runs, partial(client.get, path))
        direct = median_of(runs, partial(three_calls, order, wired.work_orders, wired.inventory))
        naive = median_of(
            runs if size <= 10 else 1,
            partial(naive_work_order_reservations, order, wired.work_orders, wired.inventory),
        )
        limit = 3 * latency_ms / 1000
        rows.append(Row(
            measure=f"Work-order reservations, N = {size}",
            result=f"{ms(gateway):.1f} ms (its 3 upstream calls one after another "
                   f"{ms(direct):.1f} ms; naive {ms(naive):,.0f} ms = {naive / gateway:.1f}×)",
            target=f"≤ 3 L = {ms(limit):.0f} ms",
            met=gateway <= limit,
            numbers={"materials": size, "latencyMs": latency_ms, "gatewayMs": ms(gateway),
                     "threeCallsSequentialMs": ms(direct), "naiveMs": ms(naive),
                     "naiveCalls": 1 + 2 * size, "runs": runs},
        ))  # fmt: skip
    return rows


def _check_gateway_answer(answer: dict[str, object], size: int) -> None:
    materials = answer["materials"]
    assert isinstance(materials, list) and len(materials) == size, "wrong material count"
    assert all(len(m["reservations"]) == 1 for m in materials), "a reservation is missing"


def _check_naive_answer(materials: list[NaiveMaterial], size: int) -> None:
    assert len(materials) == size, "the naive client saw another work order"
    assert all(m.reservations == 1 for m in materials), "the naive client missed one"


def stock_overhead(stack: Stack, samples: int) -> Row:
    """GET /api/inventory/items/{sku}/stock against the same GetBalance with zeep, latency 0."""
    stack.set_latency(0)
    client = GatewayClient(stack.gateway.url, stack.headers())
    _, service = plain_zeep(stack)
    wired = real_adapters(stack)
    item = sku(1)
    empty = stack.empty_app()  # what the web server alone costs per request
    contenders = {
        "gateway": partial(client.get, f"/api/inventory/items/{item}/stock", warehouseId=WAREHOUSE),
        "zeep": partial(service.GetBalance, ITEMNO=item.ljust(18), WHSE=WAREHOUSE),
        "adapter": partial(wired.inventory.get_stock_level, item, WAREHOUSE),
        "emptyApp": partial(GatewayClient(empty.url, {}).get, "/"),
    }
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(samples + samples // 10):
        names = list(contenders)
        turn = round_ % len(names)
        names = names[turn:] + names[:turn]  # nobody always goes first
        for name in names:
            elapsed = timed(contenders[name])
            if round_ >= samples // 10:  # the first tenth warms up
                times[name].append(elapsed)
    paired = [g - z for g, z in zip(times["gateway"], times["zeep"], strict=True)]
    overhead = {
        f"p{p}": ms(percentile(times["gateway"], p / 100) - percentile(times["zeep"], p / 100))
        for p in (50, 90, 99)
    }
    return Row(
        measure="Stock lookup: gateway − direct zeep GetBalance (L = 0)",
        result=f"p50 {overhead['p50']:.2f} ms, p90 {overhead['p90']:.2f} ms, "
        f"p99 {overhead['p99']:.2f} ms (zeep alone p50 "
        f"{ms(percentile(times['zeep'], 0.5)):.2f} ms; an empty Flask app on the same "
        f"server p50 {ms(percentile(times['emptyApp'], 0.5)):.2f} ms)",
        target=f"p90 ≤ {OVERHEAD_TARGET_MS} ms",
        met=overhead["p90"] <= OVERHEAD_TARGET_MS,
        numbers={
            "samples": samples,
            "overheadMs": overhead,
            "pairedDifferenceMs": {f"p{p}": ms(percentile(paired, p / 100)) for p in (50, 90, 99)},
            **{
                f"{name}Ms": {f"p{p}": ms(percentile(values, p / 100)) for p in (50, 90, 99)}
                for name, values in times.items()
            },
        },
    )
