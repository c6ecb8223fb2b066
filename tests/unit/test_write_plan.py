"""All-or-nothing runs of a plan of steps (gateway/services/write_plan.py)."""

from __future__ import annotations

from typing import Any

from gateway.domain.errors import InsufficientStock, UpstreamTimeout, UpstreamUnavailable
from gateway.services.write_plan import Compensation, Step, run_plan
from tests.fake_store import FakeOutbox


class Journal:
    """Records what ran; writes and compensations named in ``failing`` raise."""

    def __init__(self, failing: dict[str, Exception] | None = None) -> None:
        self.entries: list[str] = []
        self.failing = failing or {}

    def write(self, name: str) -> Any:
        def run() -> str:
            self.entries.append(name)
            if name in self.failing:
                raise self.failing[name]
            return f"{name} done"

        return run

    def undo(self, compensation: Compensation) -> None:
        name = compensation.payload["name"]
        self.entries.append(f"undo {name}")
        if f"undo {name}" in self.failing:
            raise self.failing[f"undo {name}"]


def steps(journal: Journal, *names: str) -> list[Step]:
    return [Step(name, journal.write(name), Compensation("k", {"name": name})) for name in names]


def test_steps_run_in_order_and_their_results_are_kept() -> None:
    journal = Journal()
    run = run_plan(steps(journal, "a", "b", "c"), journal.undo, FakeOutbox())
    assert journal.entries == ["a", "b", "c"]
    assert run.results == ["a done", "b done", "c done"]
    assert run.error is None


def test_a_failing_step_undoes_the_done_ones_in_reverse_and_keeps_its_error() -> None:
    refused = InsufficientStock("no")
    journal = Journal({"c": refused})
    run = run_plan(steps(journal, "a", "b", "c", "d"), journal.undo, FakeOutbox())
    assert journal.entries == ["a", "b", "c", "undo b", "undo a"]
    assert run.error is refused
    assert run.failed is not None and run.failed.description == "c"


def test_a_step_whose_outcome_is_unknown_is_undone_too() -> None:
    for lost in (UpstreamUnavailable("x"), UpstreamTimeout("x")):
        journal = Journal({"b": lost})
        run_plan(steps(journal, "a", "b"), journal.undo, FakeOutbox())
        assert journal.entries == ["a", "b", "undo b", "undo a"]


def test_a_compensation_that_fails_goes_to_the_outbox_and_the_others_still_run() -> None:
    journal = Journal({"c": InsufficientStock("no"), "undo b": UpstreamUnavailable("down")})
    outbox = FakeOutbox()
    run = run_plan(steps(journal, "a", "b", "c"), journal.undo, outbox)
    assert journal.entries == ["a", "b", "c", "undo b", "undo a"]
    assert outbox.entries == [("k", {"name": "b"})]
    assert [c.payload["name"] for c in run.queued] == ["b"]
    assert isinstance(run.error, InsufficientStock)
