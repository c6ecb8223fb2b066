"""Stand-ins for the token ports: outbound tokens to upstreams, inbound token validation."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.errors import Unauthenticated
from gateway.domain.principal import Principal


@dataclass
class FakeTokens:
    """The TokenProvider: one fixed token for every scope; remembers the scopes asked for."""

    token: str = "tok-123"
    scopes: list[str] = field(default_factory=list)

    def token_for(self, scope: str) -> str:
        self.scopes.append(scope)
        return self.token


@dataclass
class FakeTokenValidator:
    """Accepts the tokens it was given, each standing for one principal."""

    principals: dict[str, Principal] = field(default_factory=dict)

    def validate(self, token: str) -> Principal:
        if token not in self.principals:
            raise Unauthenticated("token not recognised")
        return self.principals[token]
