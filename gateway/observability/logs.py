"""JSON log lines (python-json-logger), each with the correlation id of its request."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from gateway.observability.correlation import correlation_id
from gateway.observability.tracing import trace_id

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class CorrelationFilter(logging.Filter):
    """Adds ``correlation_id`` and the W3C ``trace_id`` to every record logged while a request
    is being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation_id()
        record.trace_id = trace_id()
        return True


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process (called by the CLI and gunicorn's config)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(FIELDS, rename_fields={"levelname": "level", "asctime": "time"})
    )
    handler.addFilter(CorrelationFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # our own access log replaces it
