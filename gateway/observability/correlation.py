"""The correlation id of the work in progress, for outbound calls and log lines."""

from __future__ import annotations

from contextvars import ContextVar

HEADER = "X-Request-ID"
SOAP_HEADER_NAMESPACE = "urn:reservation-gateway:correlation"

current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def correlation_id() -> str | None:
    """The id set for this request (or background pass), if any."""
    return current.get()
