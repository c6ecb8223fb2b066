"""OAuth errors answered the way Azure AD answers them."""

from __future__ import annotations

import datetime as dt
import uuid

from flask import Response, jsonify, request


class AzureError(Exception):
    """An OAuth error answered the way Azure AD answers it."""

    def __init__(self, status: int, error: str, code: int, description: str) -> None:
        super().__init__(error)
        self.status, self.error, self.code, self.description = status, error, code, description

    def response(self) -> tuple[Response, int]:
        """The Azure-shaped JSON body and status."""
        trace = str(uuid.uuid4())
        body = {
            "error": self.error,
            "error_description": f"AADSTS{self.code}: {self.description} Trace ID: {trace}",
            "error_codes": [self.code],
            "timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": request.headers.get("client-request-id", str(uuid.uuid4())),
        }
        return jsonify(body), self.status
