"""``python -m bench``: start the stack, measure the five rows of issue 7, print one table.

How each target is read: latency is the median of several sequential calls; the overhead is
each percentile of the gateway minus the same percentile of zeep, over alternating calls at
L = 0 (the paired differences are in the JSON); throughput is the same number of creates from
8 threads, gateway against zeep ``Reserve``; tokens are counted at the identity provider for a
fresh gateway (empty cache), so "one per lifetime" means one per scope, two; listing compares
what the gateway adds (its listing time minus fetching the same 20 SOAP answers raw) with lxml
parsing those answers and reading every field of every RSV.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.latency import stock_overhead, work_order_latency
from bench.load import create_throughput, listing, token_requests
from bench.rows import Row, machine, table, write_results
from bench.stack import running_stack

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--latency-ms", type=int, default=20, help="upstream latency L (20)")
    parser.add_argument("--runs", type=int, default=5, help="runs per latency median (5)")
    parser.add_argument("--samples", type=int, default=500, help="stock lookups per client")
    parser.add_argument("--creates", type=int, default=400, help="reservations per client")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--token-calls", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows to measure (all)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows: list[Row] = []
    with running_stack() as stack:
        steps = [
            lambda: work_order_latency(stack, args.latency_ms, args.runs),
            lambda: [stock_overhead(stack, args.samples)],
            lambda: [create_throughput(stack, args.latency_ms, args.creates, args.threads)],
            lambda: [token_requests(stack, args.token_calls, args.threads, args.latency_ms)],
            lambda: [listing(stack, max(3, args.runs // 2))],
        ]
        chosen = [steps[int(n) - 1] for n in args.rows.split(",")]
        for step in chosen:
            for row in step():
                rows.append(row)
                print(f"  {row.measure}: {row.result}", file=sys.stderr, flush=True)
    settings = {
        **vars(args),
        "output": str(args.output),
        "seconds": round(time.monotonic() - started),
    }
    write_results(args.output, rows, settings)
    info = machine()
    print(f"\n{info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['date']}, "
          f"L = {args.latency_ms} ms, {settings['seconds']} s\n")  # fmt: skip
    print(table(rows))
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
