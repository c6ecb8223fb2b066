"""Clocks, percentiles and a fixed amount of work spread over threads."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def timed(work: Callable[[], object]) -> float:
    """Seconds ``work`` took."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_of(runs: int, work: Callable[[], object]) -> float:
    """The median of ``runs`` timings of ``work``, in seconds."""
    return statistics.median(timed(work) for _ in range(runs))


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.9 is p90)."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def spread(total: int, threads: int, work: Callable[[int], object]) -> float:
    """Seconds for ``threads`` threads to do ``work(i)`` for i in 0..total-1, all told."""
    counter = iter(range(total))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            work(index)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker) for _ in range(threads)]:
            future.result()
    return time.perf_counter() - start


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
