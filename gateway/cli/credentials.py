"""``gateway credentials list|rotate|retire|rotate-master-key`` (SPEC §5.5).

Secrets come from standard input or a file, never from argv (``ps`` and shell history show
argv). Running gateway processes pick up every change from the database within seconds.
"""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from gateway.cli.legacy_clients import open_store
from gateway.credential_wiring import build_credentials
from gateway.domain.credentials import (
    MASTER_KEY,
    CredentialInfo,
    RotationRequest,
    RotationResult,
    Secret,
)
from gateway.domain.errors import GatewayError
from gateway.services.credentials.rotation import Credentials

Readable = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group("credentials")
def credentials_group() -> None:
    """Upstream Azure credentials, legacy client passwords and the master key."""


@credentials_group.command("list")
def list_command() -> None:
    """Every credential: name, kind, state, fingerprint, dates; never a value."""
    credentials = _credentials()
    header = ("NAME", "KIND", "STATE", "VERSION", "FINGERPRINT", "CLIENT ID", "CREATED", "EXPIRES")
    rows: list[tuple[str, ...]] = [header]
    rows += [_row(info) for info in credentials.list_all()]
    _table(rows)
    processes = credentials.running_processes()
    window = int(credentials.policy.live_window.total_seconds())
    click.echo(f"\n{len(processes)} running gateway process(es), reported in the last {window} s:")
    for process in processes:
        versions = ", ".join(f"{name} v{v}" for name, v in sorted(process.versions.items()))
        keys = ", ".join(process.key_ids)
        click.echo(f"  {process.process_id}: {versions or 'no stored credential'}; keys {keys}")


@credentials_group.command("rotate")
@click.argument("name")
@click.option("--secret-stdin", is_flag=True, help="Read the secret or password from stdin.")
@click.option("--secret-file", type=Readable, help="Read the secret or password from a file.")
@click.option("--certificate", type=Readable, help="PEM: certificate (and private key).")
@click.option("--private-key", type=Readable, help="PEM private key, if not in --certificate.")
@click.option("--client-id", help="Another app registration's client id (upstreams only).")
@click.option("--expires", type=click.DateTime(), help="When the new client secret expires (UTC).")
@click.option("--grace-hours", type=float, help="How long the old legacy password still works.")
def rotate_command(name: str, **options: Any) -> None:
    """Rotate NAME: inventory, workorders, legacy:<client> or master-key.

    An upstream's new secret or certificate is proven with the identity provider first; the
    old one stays usable until `retire`. A legacy client's new password is generated and
    printed once unless given; the old one works for a grace period (default 24 h).
    """
    request = _rotation_request(options)
    result = _run(lambda c, audit: c.rotate(name, request, _actor(), audit))
    _report_rotation(name, result)


@credentials_group.command("retire")
@click.argument("name")
def retire_command(name: str) -> None:
    """Forget NAME's replaced credential, once no running gateway process uses it."""
    info = _run(lambda c, audit: c.retire(name, _actor(), audit))
    if name == MASTER_KEY:
        click.echo(f"old master keys removed; {info.fingerprint} is the only one")
    elif info.version is not None:
        click.echo(f"retired {name} version {info.version} ({info.fingerprint}): forgotten")
        click.echo("now remove it at the identity provider")
    else:
        click.echo(f"{name}: older passwords refused from now on; in use: {info.fingerprint}")


@credentials_group.command("rotate-master-key")
def rotate_master_key_command() -> None:
    """Add a master key, re-seal every stored secret under it (`retire master-key` later)."""
    result = _run(lambda c, audit: c.rotate(MASTER_KEY, RotationRequest(), _actor(), audit))
    _report_rotation(MASTER_KEY, result)


def _credentials() -> Credentials:
    settings, store = open_store()
    return build_credentials(settings, store)


def _run(action: Any) -> Any:
    settings, store = open_store()
    credentials = build_credentials(settings, store)
    uow = store.unit_of_work()
    try:
        return action(credentials, uow.audit)
    except GatewayError as error:
        raise click.ClickException(f"{error.code}: {error.detail}") from None
    finally:
        uow.commit()  # refusals are audited too


def _rotation_request(options: dict[str, Any]) -> RotationRequest:
    grace = options["grace_hours"]
    expires: datetime | None = options["expires"]
    return RotationRequest(
        secret=_secret(options),
        certificate=_certificate(options),
        client_id=options["client_id"],
        expires_at=expires.replace(tzinfo=UTC) if expires else None,
        grace=None if grace is None else timedelta(hours=grace),
    )


def _secret(options: dict[str, Any]) -> Secret | None:
    if options["secret_file"]:
        return Secret(options["secret_file"].read_text().strip())
    if not options["secret_stdin"]:
        return None
    if sys.stdin.isatty():
        return Secret(str(click.prompt("secret", hide_input=True, confirmation_prompt=True)))
    return Secret(sys.stdin.readline().rstrip("\r\n"))


def _certificate(options: dict[str, Any]) -> Secret | None:
    if not options["certificate"]:
        return None
    parts = [options["certificate"].read_text()]
    if options["private_key"]:
        parts.insert(0, options["private_key"].read_text())
    return Secret("\n".join(parts))


def _report_rotation(name: str, result: RotationResult) -> None:
    info = result.credential
    if name == MASTER_KEY:
        click.echo(f"master key {info.fingerprint} seals from now on; {result.detail}")
        click.echo("then: gateway credentials retire master-key")
        return
    if result.password is not None:
        click.echo(f"{name}: new password (shown once, store it now): {result.password.reveal()}")
    elif info.version is not None:
        click.echo(
            f"{name}: version {info.version} ({info.fingerprint}) proven with the identity "
            "provider; every gateway process uses it within seconds"
        )
    click.echo(result.detail)


def _row(info: CredentialInfo) -> tuple[str, ...]:
    return (
        info.name,
        info.kind.value,
        info.state.value,
        "" if info.version is None else str(info.version),
        info.fingerprint,
        info.client_id or "",
        _date(info.created_at),
        _date(info.expires_at),
    )


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "-"


def _table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"
