"""gunicorn's own refusals (a request line or headers over its limits) as problem+json.

gunicorn answers those before the app runs, with an HTML page; a client of the gateway gets the
same RFC 9457 body with a stable code as for every other error (SPEC §6).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

REFUSALS = {
    LimitRequestHeaders: (431, "Request Header Fields Too Large", "request.headers_too_large",
                          "The request's headers are over the gateway's limits"),
    LimitRequestLine: (414, "URI Too Long", "request.uri_too_long",
                       "The request line is over the gateway's limit"),
}  # fmt: skip


class GatewayWorker(ThreadWorker):
    """gunicorn's threaded worker, answering its own limit refusals as problem+json."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        refusal = next((r for kind, r in REFUSALS.items() if isinstance(exc, kind)), None)
        if refusal is None:
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("refused a request from %s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, problem_response(*refusal))
        except Exception:
            self.log.debug("Failed to send the refusal.")


def problem_response(status: int, reason: str, code: str, detail: str) -> bytes:
    body = json.dumps({
        "type": f"urn:reservation-gateway:problem:{code}", "title": reason, "status": status,
        "detail": detail, "code": code, "correlationId": str(uuid.uuid4()),
    }).encode()  # fmt: skip
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body
