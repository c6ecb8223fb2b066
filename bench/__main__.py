"""``python -m bench``: the gateway under gunicorn against direct clients, in separate processes.

The sandbox (canned answers: an upstream costs L) and the load generator run on core 0, the
gateway (``gateway serve``: gunicorn gthread, keep-alive) and the direct clients on core 1. Each
comparison alternates its contenders over ``--rounds`` rounds and reports medians. ``--ir``
instead counts the gateway's instructions per request under callgrind (``bench/ir.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import fair
from bench.delivery_lag import delivery_lag
from bench.fixtures import write_fixtures
from bench.processes import gateway_process, pinning, sandbox_process
from bench.rows import Row, machine, table, write_results
from bench.upstream import Upstream

RESULTS = Path(__file__).with_name("results.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--ir", action="store_true", help="instruction counts under callgrind")
    parser.add_argument("--latency-ms", type=int, default=20, help="upstream latency L (20)")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds per row (5)")
    parser.add_argument("--runs", type=int, default=5, help="work-order views per round (5)")
    parser.add_argument("--samples", type=int, default=300, help="stock lookups per round")
    parser.add_argument("--creates", type=int, default=200, help="creates per round")
    parser.add_argument("--threads", type=int, default=8, help="connections for the creates")
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows (1 WO, 2 stock, 3 create, "
                        "4 listing, 5 delivery lag; with --ir: stock,create,listing,workorder,"
                        "floors)")  # fmt: skip
    parser.add_argument("--scale", type=float, default=1.0, help="--ir workload multiplier")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.ir:
        from bench.ir import measure_ir

        rows = measure_ir(args.rows if args.rows != "1,2,3,4,5" else None, args.scale)
    else:
        rows = _fair_rows(args)
    settings = {**vars(args), "output": str(args.output), "pinned": pinning(),
                "seconds": round(time.monotonic() - started)}  # fmt: skip
    write_results(args.output, rows, settings)
    info = machine()
    print(f"\n{info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['date']}, "
          f"pinned {settings['pinned']}, {settings['seconds']} s\n")  # fmt: skip
    print(table(rows))
    print(f"\nwritten to {args.output}")
    return 0


def _fair_rows(args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as directory:
        state = Path(directory)
        fixtures = write_fixtures(state)
        with sandbox_process(state, fixtures) as sandbox, gateway_process(sandbox, state) as url:
            bench = fair.Fair(sandbox, url, Upstream(sandbox), args.rounds)
            steps = {
                "1": lambda: fair.work_order_latency(bench, args.latency_ms, args.runs),
                "2": lambda: [fair.stock_overhead(bench, args.samples)],
                "3": lambda: [
                    fair.create_throughput(bench, args.latency_ms, args.creates, args.threads)
                ],
                "4": lambda: [fair.listing(bench, max(1, args.runs // 2))],
                "5": lambda: delivery_lag(),
            }
            for key in args.rows.split(","):
                for row in steps[key]():
                    rows.append(row)
                    print(f"  {row.measure}: {row.result}", file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
