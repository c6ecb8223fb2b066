"""What one SOAP call works with: the caller, the gateway (gateway/bootstrap.py), its unit of
work."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.domain.principal import Principal

if TYPE_CHECKING:
    from gateway.bootstrap import Gateway
    from gateway.store.unit_of_work import SqlUnitOfWork

CONTEXT_KEY = "gateway.soap.call"
"""Where the gate leaves the SoapCall in the WSGI environ for the spyne service."""


@dataclass
class SoapCall:
    correlation_id: str
    gateway: Gateway
    principal: Principal | None = None
    _uow: SqlUnitOfWork | None = field(default=None, repr=False)

    @property
    def caller(self) -> Principal:
        if self.principal is None:  # the gate authenticates before spyne runs
            raise RuntimeError("SOAP call without an authenticated caller")
        return self.principal

    @property
    def uow(self) -> SqlUnitOfWork:
        """The call's unit of work, made on first use (reads never open one)."""
        if self._uow is None:
            self._uow = self.gateway.store.unit_of_work(self.correlation_id)
        return self._uow

    def commit(self) -> None:
        """Write what the use case recorded (audit, events, outbox), if anything."""
        if self._uow is not None:
            self._uow.commit()


def soap_call(ctx: Any) -> SoapCall:
    """The SoapCall of a spyne method context."""
    call: SoapCall = ctx.transport.req_env[CONTEXT_KEY]
    return call
