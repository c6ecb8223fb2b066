"""A local OpenID Connect provider that behaves like Azure AD v2, over HTTPS on 127.0.0.1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.idp.app import create_idp_app
from sandbox.idp.ca import TlsFiles, ensure_tls_files, server_ssl_context
from sandbox.idp.provider import IdentityProvider, TokenRejected
from sandbox.servers import BackgroundServer

__all__ = [
    "IdentityProvider",
    "RunningIdp",
    "TlsFiles",
    "TokenRejected",
    "create_idp_app",
    "ensure_tls_files",
    "server_ssl_context",
    "start_idp",
]


@dataclass
class RunningIdp:
    """A started IdP: its state, its server and the CA its clients must trust."""

    provider: IdentityProvider
    server: BackgroundServer
    tls: TlsFiles

    @property
    def authority(self) -> str:
        """The MSAL authority, ``https://127.0.0.1:<port>/<tenant>``."""
        return f"{self.server.url}/{self.provider.tenant}"

    @property
    def jwks_uri(self) -> str:
        """Where the signing keys are published."""
        return f"{self.authority}/discovery/v2.0/keys"

    def stop(self) -> None:
        """Shut the server down."""
        self.server.stop()


def start_idp(state_dir: Path, host: str = "127.0.0.1", port: int = 0, **kwargs: Any) -> RunningIdp:
    """Start the IdP over HTTPS; ``kwargs`` go to ``IdentityProvider``."""
    tls = ensure_tls_files(state_dir)
    provider = IdentityProvider(state_dir, **kwargs)
    server = BackgroundServer(
        create_idp_app(provider), host=host, port=port, ssl_context=server_ssl_context(tls)
    )
    # The issuer embeds the bound port, so it is only known once the socket exists.
    provider.base_url = server.url
    return RunningIdp(provider, server.start(), tls)
