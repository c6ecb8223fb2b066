"""No known secret may appear in a captured log record or in any answer of the gateway.

Every test runs under ``SecretScan`` (an autouse fixture in tests/conftest.py): answers of
gateway apps through Flask's test client are kept, and at teardown they and the captured log
records are searched for every secret the test made known. The one value the API ever sends, a
legacy password the gateway generated, may appear in exactly one answer (``shown_once``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

ACTIVE: list[SecretScan] = []
"""The scan of the test running now (answers served on a real socket go to it)."""


class SecretScan:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = {s for s in secrets if s}
        self._shown_once: set[str] = set()
        self.answers: list[str] = []

    def watch(self, *secrets: str) -> None:
        """These values must never be logged nor answered."""
        self._secrets.update(s for s in secrets if s)

    def shown_once(self, secret: str) -> None:
        """A generated password: one answer (its rotation's) may carry it, no log may."""
        self._shown_once.add(secret)

    def record(self, response: Any) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.answers.append(headers + "\n" + response.get_data(as_text=True))

    def record_raw(self, headers: list[tuple[str, str]], body: bytes) -> None:
        lines = "\n".join(f"{k}: {v}" for k, v in headers)
        self.answers.append(lines + "\n" + body.decode("utf-8", "replace"))

    def leaks(self, records: Iterable[logging.LogRecord]) -> list[str]:
        """Where a secret showed up, without showing it."""
        found = [f"answer #{i}" for i, a in enumerate(self.answers) if self._leaky(a, once=False)]
        found += [f"answer carrying a one-time password ({n} times)" for n in self._repeats()]
        for record in records:
            text = _text_of(record)
            if self._leaky(text, once=True):
                found.append(f"log record {record.name}:{record.levelname}")
        return found

    def _leaky(self, text: str, once: bool) -> bool:
        watched = self._secrets | (self._shown_once if once else set())
        return any(secret in text for secret in watched)

    def _repeats(self) -> list[int]:
        counts = [sum(secret in a for a in self.answers) for secret in self._shown_once]
        return [count for count in counts if count > 1]


def _text_of(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), record.exc_text or "", str(record.__dict__)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(repr(record.exc_info[1]))
    return "\n".join(parts)


def recorded(app: Any) -> Callable[..., Iterator[bytes]]:
    """``app`` (WSGI) whose answers are kept by the running test's scan."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        kept: list[tuple[str, str]] = []

        def start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            kept.extend(headers)
            return start_response(status, headers, *args)

        chunks = list(app(environ, start))
        if ACTIVE:
            ACTIVE[-1].record_raw(kept, b"".join(chunks))
        yield from chunks

    return serve
