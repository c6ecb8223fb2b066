"""The ``gateway`` command: demo, serve, token, outbox, sweep, legacy-clients."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from werkzeug.serving import make_server

from gateway import demo
from gateway.app import create_app
from gateway.background import drain_outbox_once, start_background_work, sweep_once
from gateway.bootstrap import gateway_of
from gateway.cli.credentials import credentials_group
from gateway.cli.legacy_clients import legacy_clients_group
from gateway.cli.subscriptions import subscriptions_group
from gateway.demo_webhooks import DemoReceiver
from gateway.observability.logs import configure_logging
from gateway.observability.multiprocess import restart_in_multiprocess_mode

VAR = Path("var")
STACK_FILE = VAR / "stack.json"


@click.group()
def main() -> None:
    """Reservation gateway for legacy ERPs."""


main.add_command(legacy_clients_group)
main.add_command(credentials_group)
main.add_command(subscriptions_group)


@main.command("demo")
@click.option("--port", default=8080, show_default=True, help="Port of the gateway.")
@click.option("--fixtures", type=click.Path(exists=True, path_type=Path), default=None)
@click.option("--webhook-port", default=8081, show_default=True,
              help="Port of the local webhook receiver (any free one if taken).")  # fmt: skip
@click.option("--no-webhooks", is_flag=True, help="No local webhook receiver.")
@click.option(
    "--amqp",
    "amqp_url",
    default=None,
    metavar="URL",
    help="Publish every change to RabbitMQ, e.g. amqp://guest:guest@127.0.0.1:5672/%2F",
)
@click.option("--mqtt", "mqtt_url", default=None, metavar="URL",
              help="Publish every change over MQTT 5, e.g. mqtt://127.0.0.1:1883")  # fmt: skip
def demo_command(
    port: int, fixtures: Path | None, webhook_port: int, no_webhooks: bool,
    amqp_url: str | None, mqtt_url: str | None,
) -> None:  # fmt: skip
    """Start the sandbox ERP and the gateway on 127.0.0.1 (what `make run` runs)."""
    configure_logging()
    secret = demo.new_client_secret()
    with demo.running_sandbox(VAR, fixtures, secret) as sandbox:
        given = {"AMQP_URL": amqp_url, "MQTT_URL": mqtt_url}
        brokers = {name: url for name, url in given.items() if url}  # the admin TOML has no null
        settings = {**demo.gateway_settings(sandbox, secret), **brokers}
        admin_config = demo.prepare_admin(VAR, {**demo.demo_defaults(), **settings})
        url = f"http://127.0.0.1:{port}"
        app = create_app({"PUBLIC_URL": url, **demo.demo_defaults(), **settings})
        server = make_server("127.0.0.1", port, app, threaded=True)
        stack = demo.write_stack(STACK_FILE, url, sandbox)
        token = demo.mint_token(stack, list(demo.DEMO_ROLES), list(demo.DEMO_OWNERS), "demo-user")
        receiver = None if no_webhooks else DemoReceiver(webhook_port).start()
        if receiver is not None:
            receiver.subscribe(app)
            stack = demo.write_stack(STACK_FILE, url, sandbox, receiver.url)
        workers = start_background_work(app)
        stack = {**stack, "brokers": brokers}
        _serve(server, lambda: _banner(stack, token, demo.wait_until_ready(url), admin_config))
        for worker in workers:
            worker.stop()
        if receiver is not None:
            receiver.stop()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the gateway under gunicorn against the configured upstreams (GATEWAY_* settings)."""
    restart_in_multiprocess_mode()  # /metrics then adds up every worker's values
    from gateway.server import serve

    serve(host, port, workers)


@main.group("outbox")
def outbox_group() -> None:
    """The outbox of compensations still to run."""


@outbox_group.command("retry")
def outbox_retry_command() -> None:
    """Make every pending entry due now and run one pass."""
    app = create_app()
    gateway_of(app).store.outbox.make_all_due(datetime.now(UTC))
    done, failed = drain_outbox_once(app)
    pending = gateway_of(app).store.outbox.pending_count()
    click.echo(f"done {done}, failed {failed}, still pending {pending}")


@main.command("sweep")
@click.option("--once", is_flag=True, required=True, help="One pass, then exit.")
def sweep_command(once: bool) -> None:
    """Release expired reservations now (the gateway also does this every few seconds)."""
    click.echo(f"expired {sweep_once(create_app())} reservation(s)")


@main.command("token")
@click.option("--role", "roles", multiple=True, default=["Reservations.Staff"], show_default=True)
@click.option("--owner", "owners", multiple=True, default=["PLANT-A"], show_default=True)
@click.option("--subject", default="cli-user", show_default=True)
def token_command(roles: tuple[str, ...], owners: tuple[str, ...], subject: str) -> None:
    """Print a token from the sandbox identity provider of the running demo stack."""
    stack = demo.read_stack(STACK_FILE)
    click.echo(demo.mint_token(stack, list(roles), list(owners), subject))


def _serve(server: Any, on_ready: Any) -> None:
    """Serve until SIGINT or SIGTERM, then stop cleanly."""
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    worker = threading.Thread(target=server.serve_forever, daemon=True)
    worker.start()
    on_ready()
    stopping.wait()
    click.echo("stopping…")
    server.shutdown()
    worker.join(timeout=10)


def _banner(
    stack: dict[str, Any], token: str, readiness: dict[str, Any], admin_config: Path
) -> None:
    url = stack["gateway"]
    click.echo(f"""
Reservation gateway demo is up ({readiness.get("status")}).

  Gateway     {url}
  API docs    {stack["docs"]}
  OpenAPI     {stack["openapi"]}
  SOAP        {url}/soap/gateway?wsdl  (for legacy systems; see README)
  Inventory   {stack["sandbox"]["inventoryUrl"]}  (legacy SOAP, sandbox)
  Work orders {stack["sandbox"]["workOrdersUrl"]}  (REST, sandbox)
  Identity    {stack["sandbox"]["authority"]}  (OpenID Connect, sandbox)
  Webhooks    {stack.get("webhookReceiver") or "off (--no-webhooks)"}  (a local receiver, \
subscribed to every event: curl it to see what arrived, each signature checked)
  RabbitMQ    {_broker(stack, "AMQP_URL", "--amqp")}
  MQTT        {_broker(stack, "MQTT_URL", "--mqtt")}
  AsyncAPI    {url}/asyncapi.json  (what subscribers receive)

A token (Reservations.Staff + Manager, owner PLANT-A), valid for an hour:

export TOKEN={token}

curl -H "Authorization: Bearer $TOKEN" {url}/api/work-orders/WO-1001/reservations

More tokens: .venv/bin/gateway token --role Reservations.Staff --owner PLANT-A
Admin CLI on this stack (credential rotation: docs/runbook-credentials.md):
export GATEWAY_CONFIG_FILE={admin_config}
Stop with Ctrl-C.
""")


def _broker(stack: dict[str, Any], setting: str, option: str) -> str:
    url = (stack.get("brokers") or {}).get(setting)
    if not url:
        return f"off ({option} URL publishes every change there)"
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}  (every change, from now on)"
