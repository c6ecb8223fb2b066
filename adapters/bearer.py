"""Bearer tokens on outbound requests, fetched from a token provider per request."""

from __future__ import annotations

import requests

from gateway.services.ports import TokenProvider


class BearerAuth(requests.auth.AuthBase):
    """Sets ``Authorization: Bearer …``; the provider caches, so this is cheap."""

    def __init__(self, token_provider: TokenProvider, scope: str) -> None:
        self._token_provider = token_provider
        self._scope = scope

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token_provider.token_for(self._scope)}"
        return request

    def __repr__(self) -> str:
        return f"BearerAuth(scope={self._scope!r})"
