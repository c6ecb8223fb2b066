"""``gateway legacy-clients add|list|disable``: the legacy systems that may call the SOAP endpoint.

Passwords are read from standard input or generated and printed once, never taken from argv
(which other users see in ``ps`` and shells keep in their history).
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime
from typing import Any

import click

from gateway import bootstrap
from gateway.auth.passwords import configure_hashing, hash_password, new_password
from gateway.config import read_settings
from gateway.domain.legacy_clients import LegacyClient, new_client
from gateway.domain.roles import RESERVATION_ROLES
from gateway.settings import Settings
from gateway.store.gateway_store import GatewayStore
from gateway.store.legacy_clients import ClientExists

TARGET = "legacy_client"


@click.group("legacy-clients")
def legacy_clients_group() -> None:
    """Legacy SOAP clients: their credentials, roles and owner scope."""


@legacy_clients_group.command("add")
@click.argument("name")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(sorted(RESERVATION_ROLES)),
    help="Repeat for several roles.",
)
@click.option(
    "--owner",
    "owners",
    multiple=True,
    required=True,
    help="An owner id the client may see; repeat for several, '*' for every owner.",
)
@click.option(
    "--digest",
    is_flag=True,
    help="Also accept WS-Security PasswordDigest (needs a master key).",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
def add_command(
    name: str, roles: tuple[str, ...], owners: tuple[str, ...], digest: bool, password_stdin: bool
) -> None:
    """Register a client; a generated password is printed once and cannot be shown again."""
    config, store = open_store()
    password = _password_from_stdin() if password_stdin else new_password()
    try:
        client = new_client(
            name,
            frozenset(roles),
            frozenset(owners),
            password,
            bootstrap.open_master_keys(config.credentials),
            digest,
            datetime.now(UTC),
            hash_password,
        )
        store.legacy_clients.add(client)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    except ClientExists:
        raise click.ClickException(f"a legacy client named {name!r} exists already") from None
    _audit(store, "legacy_client.add", name, None, _described(client))
    click.echo(f"added legacy client {name} ({_auth_kinds(client)})")
    if not password_stdin:
        click.echo(f"password (shown once, store it now): {password}")


@legacy_clients_group.command("list")
def list_command() -> None:
    """Every client with its roles, owners and state; never a secret."""
    _, store = open_store()
    rows = [("NAME", "STATE", "AUTH", "ROLES", "OWNERS", "CREATED")]
    for client in store.legacy_clients.all():
        state = "enabled" if client.enabled else "disabled"
        created = client.created_at.strftime("%Y-%m-%d %H:%M")
        rows.append(
            (
                client.name,
                state,
                _auth_kinds(client),
                ",".join(sorted(client.roles)),
                ",".join(sorted(client.owners)),
                created,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@legacy_clients_group.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Refuse the client from its next call on, in every gateway process."""
    _, store = open_store()
    if not store.legacy_clients.disable(name):
        raise click.ClickException(f"no legacy client named {name!r}")
    _audit(store, "legacy_client.disable", name, {"enabled": True}, {"enabled": False})
    click.echo(f"disabled legacy client {name}")


def open_store() -> tuple[Settings, GatewayStore]:
    """Settings as the gateway reads them, and its database (no upstream adapters needed)."""
    config = Settings.from_mapping(read_settings())  # a bad setting stops here, named
    configure_hashing(config.credentials.password_hashing)  # new passwords get that cost
    return config, bootstrap.open_store(config.database)


def _password_from_stdin() -> str:
    if sys.stdin.isatty():
        return str(click.prompt("password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _auth_kinds(client: LegacyClient) -> str:
    return "basic,text,digest" if client.allows_digest else "basic,text"


def _described(client: LegacyClient) -> dict[str, Any]:
    return {
        "roles": sorted(client.roles),
        "owners": sorted(client.owners),
        "digest": client.allows_digest,
        "enabled": client.enabled,
    }


def _audit(store: GatewayStore, action: str, name: str, before: Any, after: dict[str, Any]) -> None:
    uow = store.unit_of_work()
    uow.audit.record(f"cli:{getpass.getuser()}", action, TARGET, name, before, after)
    uow.commit()
