"""Fault knobs and a call log, shared by the sandbox's upstream services.

Each service owns one ``FaultKnobs`` and one ``CallLog`` and exposes them through the
admin blueprint at ``/_sandbox``: tests and people turn faults on and off at run time,
and count the calls a service received.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from flask import Blueprint, jsonify, request


@dataclass
class FaultSettings:
    latency_ms: int = 0
    """Added to every call before it is handled."""
    error_rate: float = 0.0
    """Fraction of calls answered with HTTP 503 before anything is done."""
    soap_fault: int | None = None
    """Legacy error number every matching inventory call faults with."""
    drop_after_commit: int = 0
    """The next N matching write calls commit, then the connection is dropped unanswered."""
    lose_answer_of_write: int | None = None
    """Counting matching write calls from when this is set, the N-th one commits and then loses
    its answer (the connection is dropped); ``None`` turns this off."""
    hold_after_commit: int | None = None
    """Counting matching write calls from when this is set, the N-th one commits, then holds its
    answer until the knobs are reset or ``release_held`` (at most two minutes) and drops the
    connection: a caller that dies while waiting (a gateway process killed mid-plan) leaves a
    write that landed and was never answered."""
    fail_writes_from: int | None = None
    """Counting matching write calls from when this is set, the N-th one and the ones after it
    are refused (HTTP 503) before anything is done; ``None`` turns this off."""
    fail_writes_count: int | None = None
    """How many writes ``fail_writes_from`` refuses; ``None`` means every one until cleared."""
    raw_answer: str | None = None
    """Answer every matching call with this body (HTTP 200, text/xml) instead of the service's
    answer: a hostile or broken upstream (the XML attack corpus is served this way)."""
    canned_answers: dict[str, str] = field(default_factory=dict)
    """Operation name → a pre-rendered body answered (HTTP 200, the service's content type)
    after the latency, without running the service: an upstream that costs just L (the bench).
    Each ``{seq}`` in it becomes a number counting up from 1, so canned writes get new ids."""
    operations: list[str] = field(default_factory=list)
    """Restrict the faults above to these operation names; empty means every operation."""
    seed: int | None = None


class FaultKnobs:
    """Thread-safe fault settings; ``update`` validates names and types."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._random = random.Random()
        self._writes_seen = 0
        self._writes_answered = 0
        self._writes_before_hold = 0
        self._canned_served = 0
        self._held_released = threading.Event()
        self.writes_held = 0
        """How many writes ``hold_after_commit`` has held so far (tests wait on it)."""

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return asdict(self._settings)

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        known = {f.name for f in fields(FaultSettings)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            merged = {**asdict(self._settings), **changes}
            self._settings = FaultSettings(**merged)
            if "seed" in changes:
                self._random.seed(changes["seed"])
            if "fail_writes_from" in changes:
                self._writes_seen = 0  # "the N-th write" counts from now
            if "lose_answer_of_write" in changes:
                self._writes_answered = 0
            if "hold_after_commit" in changes:
                self._writes_before_hold = 0
            return asdict(self._settings)

    def release_held(self) -> None:
        """Let held writes answer (drop their connection) without resetting the other knobs."""
        self._held_released.set()

    def reset(self) -> None:
        with self._lock:
            self._settings = FaultSettings()
            self._writes_seen = self._writes_answered = self._writes_before_hold = 0
            self._held_released.set()

    def _applies(self, operation: str) -> bool:
        ops = self._settings.operations
        return not ops or operation in ops

    def delay(self, operation: str) -> None:
        """Sleep for the configured latency (the sandbox pretends to be slow)."""
        with self._lock:
            latency = self._settings.latency_ms if self._applies(operation) else 0
        if latency:
            time.sleep(latency / 1000)

    def should_error(self, operation: str) -> bool:
        with self._lock:
            rate = self._settings.error_rate if self._applies(operation) else 0.0
            return rate > 0 and self._random.random() < rate

    def soap_fault_for(self, operation: str) -> int | None:
        with self._lock:
            return self._settings.soap_fault if self._applies(operation) else None

    def raw_answer_for(self, operation: str) -> bytes | None:
        with self._lock:
            raw = self._settings.raw_answer if self._applies(operation) else None
            return None if raw is None else raw.encode()

    def canned_answer_for(self, operation: str) -> bytes | None:
        """The pre-rendered answer for ``operation``, if one is set (not limited by operations)."""
        with self._lock:
            canned = self._settings.canned_answers.get(operation)
            if canned is None:
                return None
            self._canned_served += 1
            return canned.replace("{seq}", str(self._canned_served)).encode()

    def take_drop_after_commit(self, operation: str) -> bool:
        """True (and one fewer left) when this write should lose its answer after committing;
        a write ``hold_after_commit`` takes waits for the reset first."""
        with self._lock:
            held = False
            if self._settings.hold_after_commit is not None and self._applies(operation):
                self._writes_before_hold += 1
                if self._writes_before_hold == self._settings.hold_after_commit:
                    self._held_released.clear()
                    self.writes_held += 1
                    held = True
        if held:
            self._held_released.wait(120)
            return True
        with self._lock:
            number = self._settings.lose_answer_of_write
            if number is not None and self._applies(operation):
                self._writes_answered += 1
                if self._writes_answered == number:
                    return True
            if self._settings.drop_after_commit > 0 and self._applies(operation):
                self._settings.drop_after_commit -= 1
                return True
            return False

    def take_write_failure(self, operation: str) -> bool:
        """Count one write; True when ``fail_writes_from`` says this one is refused."""
        with self._lock:
            first = self._settings.fail_writes_from
            if first is None or not self._applies(operation):
                return False
            self._writes_seen += 1
            count = self._settings.fail_writes_count
            past = self._writes_seen - first
            return past >= 0 and (count is None or past < count)


class CallLog:
    """Counts the calls a service received, per operation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._correlations: deque[dict[str, str | None]] = deque(maxlen=1000)
        self._traces: deque[dict[str, str]] = deque(maxlen=1000)

    def record(self, operation: str, **correlation: str | None) -> None:
        """Count a call; ``correlation`` names where a correlation id came (header → id)."""
        with self._lock:
            self._counts[operation] += 1
            if any(correlation.values()):
                self._correlations.append({"operation": operation, **correlation})

    def record_trace(self, operation: str, traceparent: str | None) -> None:
        """Keep the W3C ``traceparent`` a call came with, if any."""
        if traceparent:
            with self._lock:
                self._traces.append({"operation": operation, "traceparent": traceparent})

    def traces(self) -> list[dict[str, str]]:
        """The ``traceparent`` headers received with the last calls, oldest first."""
        with self._lock:
            return list(self._traces)

    def correlations(self) -> list[dict[str, str | None]]:
        """The correlation ids received with the last calls, oldest first."""
        with self._lock:
            return list(self._correlations)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._correlations.clear()
            self._traces.clear()


DROP_CONNECTION_KEY = "sandbox.drop_connection"


def drop_connection(environ: dict[str, Any]) -> None:
    """Reset the client's connection, so it never sees the answer of what was committed."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("dropping a connection needs the werkzeug server")
    # shutdown() acts at once; close() alone waits for the server's file objects to let go.
    sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def admin_blueprint(knobs: FaultKnobs, calls: CallLog) -> Blueprint:
    """``/_sandbox/faults`` (GET, PUT, DELETE) and ``/_sandbox/calls`` (GET, DELETE)."""
    bp = Blueprint("sandbox_admin", __name__, url_prefix="/_sandbox")

    @bp.get("/faults")
    def get_faults() -> Any:
        return jsonify(knobs.snapshot())

    @bp.put("/faults")
    def put_faults() -> Any:
        try:
            return jsonify(knobs.update(request.get_json(force=True) or {}))
        except (TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400

    @bp.delete("/faults")
    def delete_faults() -> Any:
        knobs.reset()
        return jsonify(knobs.snapshot())

    @bp.get("/calls")
    def get_calls() -> Any:
        return jsonify(calls.counts())

    @bp.get("/correlations")
    def get_correlations() -> Any:
        return jsonify(calls.correlations())

    @bp.get("/traces")
    def get_traces() -> Any:
        return jsonify(calls.traces())

    @bp.delete("/calls")
    def delete_calls() -> Any:
        calls.reset()
        return "", 204

    return bp
