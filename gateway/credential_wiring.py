"""Wires the credential store into an app: master keys, the stored upstream credentials (seeded
from settings once), and the watcher that keeps every token provider on the current version."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from adapters.azure_credentials import (
    AzureCredentialProver,
    certificate_credential,
    msal_credential,
)
from adapters.azure_tokens import AzureTokenProvider
from adapters.http_session import make_session
from gateway.auth.passwords import Argon2Passwords
from gateway.bootstrap import gateway_of, open_master_keys
from gateway.domain.credentials import ClientCredential, Secret
from gateway.services.credentials.rotation import CredentialPolicy, Credentials
from gateway.services.credentials.watch import CredentialWatcher, Sink
from gateway.settings import CredentialSettings, Settings
from gateway.store.credentials import CredentialStore
from gateway.store.database import utc_now
from gateway.store.gateway_store import GatewayStore


def build_credentials(config: Settings, store: GatewayStore) -> Credentials:
    """The credential use cases over this database and the configured master keys."""
    upstream = config.upstream
    session = make_session(upstream.azure_ca_bundle)
    return Credentials(
        store=CredentialStore(store.engine),
        legacy=store.legacy_clients,
        keys=open_master_keys(config.credentials),
        prover=AzureCredentialProver(upstream.azure_authority, session, upstream.scopes),
        read_certificate=certificate_credential,
        clock=utc_now,
        passwords=Argon2Passwords(),
        policy=_policy(config.credentials),
    )


def wire_credentials(app: Flask) -> None:
    """Seed, then follow the stored credentials; ``gateway.credentials`` holds the use cases."""
    gateway = gateway_of(app)
    store, providers, config = gateway.store, gateway.adapters.token_providers, gateway.config
    credentials = build_credentials(config, store)
    if credentials.keys is None and credentials.store.current_versions():
        raise RuntimeError(
            "The gateway database holds sealed credentials, but no master key is configured "
            "(GATEWAY_MASTER_KEYS or GATEWAY_MASTER_KEY_FILE)"
        )
    _seed(credentials, config, store)
    watcher = CredentialWatcher(
        credentials,
        {name: _sink(provider) for name, provider in providers.items()},
        check_seconds=config.credentials.check_seconds,
        report_seconds=config.credentials.report_seconds,
    )
    credentials.on_change = watcher.check
    for provider in providers.values():
        provider.watch(watcher.maybe_check)
    watcher.check()  # stored credentials replace the settings' before the first token
    gateway.credentials, gateway.credential_watcher = credentials, watcher


def _seed(credentials: Credentials, config: Settings, store: GatewayStore) -> None:
    replace = config.credentials.seed_replace
    uow = store.unit_of_work()
    for name, client in config.upstream.clients.items():
        credentials.seed(name, client.client_id, Secret(client.client_secret), replace, uow.audit)
    uow.commit()


def _sink(provider: AzureTokenProvider) -> Sink:
    def use(credential: ClientCredential) -> None:
        provider.replace_credential(credential.client_id, msal_credential(credential))

    return use


def _policy(settings: CredentialSettings) -> CredentialPolicy:
    return CredentialPolicy(
        legacy_grace=settings.legacy_password_grace,
        live_window=timedelta(seconds=3 * settings.report_seconds),
        wait_seconds=settings.wait_seconds,
    )
