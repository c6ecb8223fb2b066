"""Bearer tokens on the REST API: who is calling, and may they do this."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from gateway.api.context import adapters
from gateway.domain.errors import Forbidden, Unauthenticated
from gateway.domain.principal import Principal

F = TypeVar("F", bound=Callable[..., Any])


def authenticate() -> None:
    """Validates the bearer token (before every API request) and keeps the caller on ``g``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("A bearer token is required")
    g.principal = adapters().token_validator.validate(token.strip())


def current_principal() -> Principal:
    principal: Principal = g.principal
    return principal


def requires_any_role(*roles: str) -> Callable[[F], F]:
    """The caller needs at least one of ``roles``."""

    def decorate(view: F) -> F:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not current_principal().has_any_role(*roles):
                raise Forbidden("This needs one of the roles: " + ", ".join(roles))
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate
