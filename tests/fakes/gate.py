"""The writes of the fakes, counted in order; fails them on demand like the sandbox's knobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from gateway.domain.errors import UpstreamUnavailable

T = TypeVar("T")


@dataclass
class WriteGate:
    """Every write of the fakes sharing it, in order; refuses the N-th and later ones when told
    to (like the sandbox's ``fail_writes_from``) before anything is done."""

    log: list[str] = field(default_factory=list)
    fail_from: int | None = None
    fail_count: int | None = None
    lose_answer_of: int | None = None
    """This write lands, then its answer is lost (like the sandbox's drop_after_commit)."""
    error: Callable[[str], Exception] = lambda what: UpstreamUnavailable("fake", what)

    def enter(self, what: str) -> None:
        self.log.append(what)
        if self.fail_from is None:
            return
        past = len(self.log) - self.fail_from
        if past >= 0 and (self.fail_count is None or past < self.fail_count):
            raise self.error(what)

    def leave(self, result: T) -> T:
        if self.lose_answer_of == len(self.log):
            raise UpstreamUnavailable("fake", f"answer of {self.log[-1]} lost")
        return result

    def clear(self) -> None:
        self.fail_from = self.fail_count = self.lose_answer_of = None
