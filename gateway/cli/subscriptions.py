"""``gateway subscriptions add|list|disable|enable|redeliver|rotate-secret|deliveries``: webhook
subscriptions from the command line (issue 14.1), over the gateway's database alone.

The signing secret is generated and printed once, by ``add`` and ``rotate-secret``; it is
stored sealed under the master key and never printed again. The CLI acts for every owner (it
holds the database); running gateway processes deliver from the database within seconds.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import click

from gateway.bootstrap import open_master_keys
from gateway.cli.legacy_clients import open_store
from gateway.domain.errors import GatewayError
from gateway.domain.principal import ALL_OWNERS
from gateway.domain.webhooks import EVENT_TYPES, DeliveryState, NewSubscription, Subscription
from gateway.services.ports import AuditLog
from gateway.services.webhooks.subscriptions import Webhooks
from gateway.webhook_wiring import build_webhooks

T = TypeVar("T")


@click.group("subscriptions")
def subscriptions_group() -> None:
    """Webhook subscriptions: where reservation events are delivered, signed."""


@subscriptions_group.command("add")
@click.argument("url")
@click.option("--event-type", "event_types", multiple=True, type=click.Choice(EVENT_TYPES),
              help="Repeat for several; default: every event type.")  # fmt: skip
@click.option("--owner", "owners", multiple=True, default=[ALL_OWNERS], show_default=True,
              help="An owner whose events it receives (repeat); '*' for every one.")  # fmt: skip
def add_command(url: str, event_types: tuple[str, ...], owners: tuple[str, ...]) -> None:
    """Subscribe URL; prints the signing secret once."""
    new = NewSubscription(url, frozenset(event_types or EVENT_TYPES), frozenset(owners))
    made, secret = _run(lambda hooks, audit: hooks.subscribe(new, _actor(), None, audit))
    click.echo(f"subscribed {made.id}: {made.url}")
    click.echo(f"signing secret (shown once, store it now): {secret.reveal()}")


@subscriptions_group.command("list")
def list_command() -> None:
    """Every subscription: id, state, cursor, owners, event types, URL; never a secret."""
    rows: list[tuple[str, ...]] = [("ID", "STATE", "CURSOR", "OWNERS", "EVENTS", "URL")]
    rows += [_row(s) for s in _run(lambda hooks, _: hooks.visible(None))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


@subscriptions_group.command("disable")
@click.argument("subscription_id")
def disable_command(subscription_id: str) -> None:
    """Stop SUBSCRIPTION_ID's deliveries."""
    found = _run(lambda hooks, audit: hooks.disable(subscription_id, _actor(), None, audit))
    click.echo(f"{found.id}: {found.state.value} ({found.disabled_reason})")


@subscriptions_group.command("enable")
@click.argument("subscription_id")
def enable_command(subscription_id: str) -> None:
    """Resume SUBSCRIPTION_ID's deliveries from where they stopped."""
    found = _run(lambda hooks, audit: hooks.enable(subscription_id, _actor(), None, audit))
    click.echo(f"{found.id}: {found.state.value} from event {found.cursor}")


@subscriptions_group.command("redeliver")
@click.argument("subscription_id")
def redeliver_command(subscription_id: str) -> None:
    """Send SUBSCRIPTION_ID's dead letters again."""
    count = _run(lambda hooks, audit: hooks.redeliver(subscription_id, _actor(), None, audit))
    click.echo(f"{subscription_id}: {count} dead letter(s) sent back for delivery")


@subscriptions_group.command("rotate-secret")
@click.argument("subscription_id")
@click.option("--grace-hours", type=float, help="How long the old secret signs too.")
def rotate_secret_command(subscription_id: str, grace_hours: float | None) -> None:
    """A new signing secret, printed once; the old one signs too for the grace period."""
    grace = None if grace_hours is None else timedelta(hours=grace_hours)
    found, secret = _run(
        lambda hooks, audit: hooks.rotate_secret(subscription_id, _actor(), None, audit, grace)
    )
    click.echo(f"{found.id}: new signing secret (shown once, store it now): {secret.reveal()}")
    click.echo(f"fingerprints signing now: {', '.join(found.secret_fingerprints)}")


@subscriptions_group.command("deliveries")
@click.argument("subscription_id")
@click.option("--state", type=click.Choice([s.value for s in DeliveryState]))
@click.option("--limit", default=50, show_default=True)
def deliveries_command(subscription_id: str, state: str | None, limit: int) -> None:
    """SUBSCRIPTION_ID's deliveries, newest event first."""
    found = _run(lambda hooks, _: hooks.deliveries(subscription_id, None, state, limit))
    for d in found:
        click.echo(f"event {d.event_id} {d.event_type} {d.aggregate_id}: {d.state.value}, "
                   f"{d.attempts} attempt(s), last {d.last_status or d.last_error or '-'}, "
                   f"given up at {_date(d.give_up_at)}")  # fmt: skip


def _run(action: Callable[[Webhooks, AuditLog], T]) -> T:
    settings, store = open_store()
    hooks = build_webhooks(settings, store, open_master_keys(settings.credentials))
    uow = store.unit_of_work()
    try:
        found = action(hooks, uow.audit)
    except GatewayError as error:
        raise click.ClickException(f"{error.code}: {error.detail}") from None
    uow.commit()
    return found


def _row(subscription: Subscription) -> tuple[str, ...]:
    return (
        subscription.id, subscription.state.value, str(subscription.cursor),
        ",".join(sorted(subscription.owners)), ",".join(sorted(subscription.event_types)),
        subscription.url,
    )  # fmt: skip


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _actor() -> str:
    return f"cli:{getpass.getuser()}"
