"""Imports point one way (docs/architecture.md): entry points → services → ports ← adapters,
with the domain at the centre importing nothing of ours. Every import counts, those inside
functions too; TYPE_CHECKING blocks are annotations only and are skipped."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = ("flask", "werkzeug", "zeep", "requests", "sqlalchemy", "spyne", "lxml",
              "marshmallow", "msal", "tenacity", "alembic", "gunicorn", "webargs", "pika",
              "paho", "standardwebhooks")  # fmt: skip
PORTS = ("gateway.services.ports", "gateway.services.credentials.ports")

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "gateway.domain": ("gateway.", "adapters", "sandbox", *FRAMEWORKS),
    "gateway.services": ("gateway.api", "gateway.soap", "gateway.store", "gateway.auth",
                         "gateway.observability", "gateway.app", "gateway.wiring",
                         "gateway.cli", "gateway.background", "adapters", "sandbox",
                         *FRAMEWORKS),
    "gateway.store": ("gateway.api", "gateway.soap", "gateway.auth", "gateway.services",
                      "adapters", "sandbox", "flask", "zeep", "requests", "spyne"),
    "gateway.auth": ("gateway.api", "gateway.soap", "gateway.store", "gateway.services",
                     "adapters", "sandbox", "flask"),
    "gateway.observability": ("gateway.api", "gateway.soap", "gateway.store",
                              "gateway.services", "gateway.auth", "adapters", "sandbox"),
    "gateway.api": ("gateway.soap", "sandbox"),
    "gateway.soap": ("gateway.api", "sandbox"),
    "adapters": ("gateway.api", "gateway.soap", "gateway.store", "gateway.auth",
                 "gateway.services", "flask", "sandbox"),
}  # fmt: skip
"""What each layer may not import (a port module of the services is always allowed)."""
DOMAIN_ITSELF = "gateway.domain"
LAZY = {("gateway.cli", "gateway.server")}
"""Imports kept inside a function for start-up cost only (gunicorn for one CLI command)."""


def modules() -> dict[str, list[tuple[str, int, bool]]]:
    found: dict[str, list[tuple[str, int, bool]]] = {}
    for path in sorted([*ROOT.glob("gateway/**/*.py"), *ROOT.glob("adapters/**/*.py")]):
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = list(_imports(ast.parse(path.read_text())))
    return found


def _imports(tree: ast.Module) -> list[tuple[str, int, bool]]:
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    inside = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in inside) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno, id(node) in inside))
    return found


def layer_of(module: str) -> str | None:
    return next((layer for layer in FORBIDDEN if module == layer
                 or module.startswith(layer + ".")), None)  # fmt: skip


def violations(found: dict[str, list[tuple[str, int, bool]]]) -> list[str]:
    """Every import that points against the layers."""
    wrong = []
    for module, imports in found.items():
        layer = layer_of(module)
        if layer is None:
            continue
        for target, line, _ in imports:
            if target.startswith(PORTS) and layer != DOMAIN_ITSELF:
                continue
            if layer == DOMAIN_ITSELF and target.startswith(DOMAIN_ITSELF):
                continue
            if any(target == bad or target.startswith(bad.rstrip(".") + ".")
                   or (bad.endswith(".") and target.startswith(bad))
                   for bad in FORBIDDEN[layer]):  # fmt: skip
                wrong.append(f"{module}:{line} imports {target}")
    return wrong


def test_every_import_points_the_way_the_layers_allow() -> None:
    assert violations(modules()) == []


def test_no_import_hides_inside_a_function() -> None:
    hidden = [
        f"{module}:{line} imports {target} inside a function"
        for module, imports in modules().items()
        for target, line, inside in imports
        if inside and target.startswith(("gateway", "adapters")) and (module, target) not in LAZY
    ]
    assert hidden == []


def test_the_rules_catch_wrong_imports_and_let_ports_through() -> None:
    tree = ast.parse("import flask\ndef f():\n    from gateway.store import x\n")
    found = {"gateway.domain.model": _imports(tree),
             "gateway.services.reservations": [("gateway.store.tables", 1, False),
                                               ("gateway.services.ports", 2, False)],
             "gateway.soap.faults": [("gateway.api.problems", 3, False)]}  # fmt: skip
    assert violations(found) == [
        "gateway.domain.model:1 imports flask",
        "gateway.domain.model:3 imports gateway.store",
        "gateway.services.reservations:1 imports gateway.store.tables",
        "gateway.soap.faults:3 imports gateway.api.problems",
    ]
