"""``python -m sandbox serve|wsdl``: run the reference ERP, or print the inventory WSDL."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path

from lxml import etree

CLIENTS_ENV = "SANDBOX_CLIENTS"
WSDL_PLACEHOLDER_ADDRESS = "http://localhost:8001/soap/inventory"
SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run every sandbox service until SIGINT/SIGTERM")
    serve.add_argument("--state-dir", type=Path, default=Path("var/sandbox"))
    serve.add_argument("--fixtures", type=Path, default=None, help="fixtures JSON (default: demo)")
    serve.add_argument("--host", default="127.0.0.1")
    commands.add_parser("wsdl", help="print the inventory service's WSDL")
    args = parser.parse_args(argv)
    if args.command == "wsdl":
        sys.stdout.write(inventory_wsdl())
        return 0
    return serve_until_stopped(args.state_dir, args.fixtures, args.host)


def inventory_wsdl(address: str = WSDL_PLACEHOLDER_ADDRESS) -> str:
    """The WSDL spyne generates for the inventory service, pretty-printed."""
    from spyne.interface.wsdl import Wsdl11

    from sandbox.inventory.service import create_inventory_application

    application = create_inventory_application(None, None, None)  # type: ignore[arg-type]
    application.transport = SOAP_OVER_HTTP  # what spyne's WSGI server would declare
    wsdl = Wsdl11(application.interface)
    wsdl.build_interface_document(address)
    tree = etree.fromstring(wsdl.get_interface_document())
    for schema in tree.iter("{http://www.w3.org/2001/XMLSchema}schema"):
        # spyne emits types in an order that changes between runs; sort for a stable file
        schema[:] = sorted(
            schema, key=lambda node: (etree.QName(node).localname, node.get("name", ""))
        )
    return etree.tostring(tree, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode()


def serve_until_stopped(state_dir: Path, fixtures: Path | None, host: str) -> int:
    """Start the sandbox, print one JSON line describing it, and run until told to stop."""
    from sandbox.launcher import start_sandbox

    clients = json.loads(os.environ.get(CLIENTS_ENV, "{}"))
    sandbox = start_sandbox(state_dir, fixtures, clients=clients, host=host)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    print(json.dumps({"ready": True, **sandbox.describe()}), flush=True)
    stopping.wait()
    sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
