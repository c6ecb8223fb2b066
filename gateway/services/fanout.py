"""Two independent upstream calls at once, so a use case waits for the slower one, not both."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")


def side_by_side(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """Both results; ``second`` runs on another thread while ``first`` runs on this one.

    ``second`` sees this thread's context variables (the request's correlation id), and an
    error of either call is raised here once both have finished — nothing keeps running.
    """
    context = contextvars.copy_context()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="fanout") as pool:
        elsewhere = pool.submit(context.run, second)
        here = first()
        return here, elsewhere.result()
