"""The gateway's distribution ships without the fake ERP; the sandbox is a distribution of its
own (issue 11.7)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[2]


def packages_of(project: Path) -> list[str]:
    config = tomllib.loads((project / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(find_packages(where=str(project), include=include))


def test_the_gateway_distribution_holds_no_sandbox() -> None:
    shipped = packages_of(ROOT)
    assert "gateway" in shipped and "adapters" in shipped and "gateway.soap" in shipped
    assert not [name for name in shipped if name.split(".")[0] in ("sandbox", "tests", "bench")]


def test_the_sandbox_is_a_distribution_of_its_own_with_its_fixtures() -> None:
    project = ROOT / "sandbox-erp"
    config = tomllib.loads((project / "pyproject.toml").read_text())
    assert config["project"]["name"] != "reservation-gateway"
    shipped = packages_of(project)
    assert {"sandbox", "sandbox.inventory", "sandbox.workorders", "sandbox.idp"} <= set(shipped)
    assert config["tool"]["setuptools"]["package-data"]["sandbox"] == ["fixtures/*.json"]
    assert (project / "sandbox" / "fixtures" / "demo.json").is_file()
    assert "reservation-gateway-sandbox" not in (ROOT / "pyproject.toml").read_text()
