"""The sandbox's fail_writes_from knob: refuse the N-th write (and later ones) from when set."""

from __future__ import annotations

import pytest

from sandbox.faults import FaultKnobs


def outcomes(knobs: FaultKnobs, writes: int, operation: str = "Reserve") -> list[bool]:
    return [knobs.take_write_failure(operation) for _ in range(writes)]


def test_writes_pass_while_the_knob_is_off() -> None:
    assert outcomes(FaultKnobs(), 3) == [False, False, False]


def test_the_nth_write_and_every_later_one_fail_until_cleared() -> None:
    knobs = FaultKnobs()
    knobs.update({"fail_writes_from": 2})
    assert outcomes(knobs, 4) == [False, True, True, True]
    knobs.reset()
    assert outcomes(knobs, 2) == [False, False]


def test_a_count_limits_how_many_writes_fail() -> None:
    knobs = FaultKnobs()
    knobs.update({"fail_writes_from": 1, "fail_writes_count": 1})
    assert outcomes(knobs, 3) == [True, False, False]


def test_counting_starts_again_when_the_knob_is_set() -> None:
    knobs = FaultKnobs()
    knobs.update({"fail_writes_from": 2, "fail_writes_count": 1})
    outcomes(knobs, 3)
    knobs.update({"fail_writes_from": 2, "fail_writes_count": 1})
    assert outcomes(knobs, 3) == [False, True, False]


@pytest.mark.parametrize(("operation", "counted"), [("Release", True), ("Reserve", False)])
def test_only_the_named_operations_count(operation: str, counted: bool) -> None:
    knobs = FaultKnobs()
    knobs.update({"fail_writes_from": 1, "operations": ["Release"]})
    assert knobs.take_write_failure(operation) is counted
    assert knobs.snapshot()["fail_writes_from"] == 1


def test_no_canned_answer_unless_one_is_set_for_the_operation() -> None:
    knobs = FaultKnobs()
    knobs.update({"canned_answers": {"GetBalance": "<b/>"}})
    assert knobs.canned_answer_for("Reserve") is None
    assert knobs.canned_answer_for("GetBalance") == b"<b/>"


def test_a_canned_answer_numbers_each_call_where_it_says_seq() -> None:
    knobs = FaultKnobs()
    knobs.update({"canned_answers": {"Reserve": "<RSVNO>{seq}</RSVNO>"}})
    answers = [knobs.canned_answer_for("Reserve") for _ in range(2)]
    assert answers == [b"<RSVNO>1</RSVNO>", b"<RSVNO>2</RSVNO>"]
