"""Request bodies over the limit are refused however they arrive (Content-Length or chunked).

Flask's MAX_CONTENT_LENGTH only sees a declared length: a chunked body was read up to the limit
and the truncated document processed. This WSGI layer reads a chunked body into memory up to
the limit and marks anything longer, so the view never runs and the client gets a 413.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import abort, request

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
TOO_LARGE = "gateway.body_too_large"
CHUNK = 64 * 1024
DISCARD_LIMIT = 64 * 1024 * 1024
"""An oversized chunked body is drained up to this much so that the client reads the 413."""


class BodyLimit:
    """Bounds every request body to ``max_bytes`` before Flask reads it."""

    def __init__(self, app: WsgiApp, max_bytes: int) -> None:
        self._app = app
        self._max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            environ[TOO_LARGE] = True
        elif not declared and _chunked(environ):
            self._buffer_chunked(environ)
        return self._app(environ, start_response)

    def _buffer_chunked(self, environ: dict[str, Any]) -> None:
        stream, body, size = environ["wsgi.input"], [], 0
        while size <= self._max_bytes:
            chunk = stream.read(min(CHUNK, self._max_bytes + 1 - size))
            if not chunk:
                break
            body.append(chunk)
            size += len(chunk)
        if size > self._max_bytes:
            environ[TOO_LARGE] = True
            _drain(stream)
            body = []
        data = b"".join(body)
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        environ.pop("wsgi.input_terminated", None)
        environ.pop("HTTP_TRANSFER_ENCODING", None)  # werkzeug reads no body while it says chunked


def _chunked(environ: dict[str, Any]) -> bool:
    encoding = environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return "chunked" in encoding or bool(environ.get("wsgi.input_terminated"))


def _drain(stream: Any) -> None:
    drained = 0
    while drained < DISCARD_LIMIT:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        drained += len(chunk)


def refuse_oversized_body() -> None:
    """A before_request hook: the body was over the limit, whatever the view would do."""
    if request.environ.get(TOO_LARGE):
        abort(413, description="The request body is over the gateway's size limit")
