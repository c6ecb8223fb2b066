"""W3C trace context (`traceparent`, `tracestate`): taken from the caller, passed to both
upstreams beside X-Request-ID, and written into every JSON log line as ``trace_id``.

Parsing and formatting are OpenTelemetry's propagator, not ours. The gateway records no spans
(no SDK, no exporter): it takes part in the trace as one hop — the caller's trace id and flags,
a span id of its own as the upstreams' parent — so an operator who runs a tracing backend sees
the legacy calls under the MES request that caused them. A request without a valid
`traceparent` starts a trace of its own (not sampled: nothing here records it).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()


def begin(headers: Mapping[str, str]) -> object:
    """This hop's trace context, from the caller's headers; returns what ``end`` takes."""
    given = trace.get_current_span(PROPAGATOR.extract(headers)).get_span_context()
    hop = SpanContext(
        trace_id=given.trace_id if given.is_valid else _nonzero(128),
        span_id=_nonzero(64),
        is_remote=False,
        trace_flags=given.trace_flags if given.is_valid else TraceFlags(TraceFlags.DEFAULT),
        trace_state=given.trace_state if given.is_valid else None,
    )
    return context.attach(trace.set_span_in_context(NonRecordingSpan(hop)))


def end(token: object) -> None:
    context.detach(token)  # type: ignore[arg-type]


def outbound_headers() -> dict[str, str]:
    """`traceparent` (and `tracestate`) for an upstream call made in this hop; none outside."""
    carrier: dict[str, str] = {}
    PROPAGATOR.inject(carrier)
    return carrier


def trace_id() -> str | None:
    """The current trace id as 32 hex digits, for log lines; None outside a hop."""
    found = trace.get_current_span().get_span_context()
    return format(found.trace_id, "032x") if found.is_valid else None


def environ_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """The trace headers of a WSGI environ (REST and the SOAP gate alike)."""
    return {
        name: str(environ[key])
        for name, key in (("traceparent", "HTTP_TRACEPARENT"), ("tracestate", "HTTP_TRACESTATE"))
        if key in environ
    }


def _nonzero(bits: int) -> int:
    return secrets.randbits(bits) or 1
