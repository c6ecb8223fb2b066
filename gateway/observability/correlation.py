"""The correlation id of the work in progress, for outbound calls and log lines."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

HEADER = "X-Request-ID"
SOAP_HEADER_NAMESPACE = "urn:reservation-gateway:correlation"

current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def taken_or_new(given: str | None) -> str:
    """The caller's id when it is one a log line can carry (printable, at most 128), else new."""
    if given and len(given) <= 128 and given.isprintable():
        return given
    return str(uuid.uuid4())


def correlation_id() -> str | None:
    """The id set for this request (or background pass), if any."""
    return current.get()
