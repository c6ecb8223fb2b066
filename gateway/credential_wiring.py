"""Wires the credential store into an app: master keys, the stored upstream credentials (seeded
from settings once), and the watcher that keeps every token provider on the current version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Flask

from adapters.azure_credentials import (
    AzureCredentialProver,
    certificate_credential,
    msal_credential,
)
from adapters.azure_tokens import AzureTokenProvider
from adapters.http_session import make_session
from gateway.auth.passwords import Argon2Passwords
from gateway.bootstrap import gateway_of
from gateway.domain.credentials import UPSTREAMS, ClientCredential, Secret
from gateway.services.credential_watch import CredentialWatcher, Sink
from gateway.services.credentials import CredentialPolicy, Credentials
from gateway.settings import azure_clients
from gateway.store.credentials import CredentialStore
from gateway.store.database import utc_now
from gateway.store.gateway_store import GatewayStore
from gateway.store.keyring import MasterKeys

SEED_REPLACE = "replace"


def build_credentials(settings: Mapping[str, Any], store: GatewayStore) -> Credentials:
    """The credential use cases over this database and the configured master keys."""
    scopes = {name: settings[f"{name.upper()}_SCOPE"] for name in UPSTREAMS}
    session = make_session(settings["AZURE_CA_BUNDLE"])
    return Credentials(
        store=CredentialStore(store.engine),
        legacy=store.legacy_clients,
        keys=MasterKeys.from_settings(settings),
        prover=AzureCredentialProver(settings["AZURE_AUTHORITY"], session, scopes),
        read_certificate=certificate_credential,
        clock=utc_now,
        passwords=Argon2Passwords(),
        policy=_policy(settings),
    )


def wire_credentials(app: Flask) -> None:
    """Seed, then follow the stored credentials; ``gateway.credentials`` holds the use cases."""
    store: GatewayStore = gateway_of(app).store
    providers = gateway_of(app).adapters.token_providers
    credentials = build_credentials(app.config, store)
    if credentials.keys is None and credentials.store.current_versions():
        raise RuntimeError(
            "The gateway database holds sealed credentials, but no master key is configured "
            "(GATEWAY_MASTER_KEYS or GATEWAY_MASTER_KEY_FILE)"
        )
    _seed(credentials, app.config, store)
    watcher = CredentialWatcher(
        credentials,
        {name: _sink(provider) for name, provider in providers.items()},
        check_seconds=float(app.config["CREDENTIAL_CHECK_SECONDS"]),
        report_seconds=float(app.config["CREDENTIAL_REPORT_SECONDS"]),
    )
    credentials.on_change = watcher.check
    for provider in providers.values():
        provider.watch(watcher.maybe_check)
    watcher.check()  # stored credentials replace the settings' before the first token
    gateway = gateway_of(app)
    gateway.credentials, gateway.credential_watcher = credentials, watcher


def _seed(credentials: Credentials, settings: Mapping[str, Any], store: GatewayStore) -> None:
    replace = settings["CREDENTIALS_SEED"] == SEED_REPLACE
    uow = store.unit_of_work()
    for name, client in azure_clients(settings).items():
        credentials.seed(name, client.client_id, Secret(client.client_secret), replace, uow.audit)
    uow.commit()


def _sink(provider: AzureTokenProvider) -> Sink:
    def use(credential: ClientCredential) -> None:
        provider.replace_credential(credential.client_id, msal_credential(credential))

    return use


def _policy(settings: Mapping[str, Any]) -> CredentialPolicy:
    report = float(settings["CREDENTIAL_REPORT_SECONDS"])
    return CredentialPolicy(
        legacy_grace=timedelta(seconds=float(settings["LEGACY_PASSWORD_GRACE_SECONDS"])),
        live_window=timedelta(seconds=3 * report),
        wait_seconds=float(settings["CREDENTIAL_WAIT_SECONDS"]),
    )
