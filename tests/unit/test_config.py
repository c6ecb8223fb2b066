from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from gateway.config import load_settings


def test_file_overrides_defaults_and_environment_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file = tmp_path / "gateway.toml"
    config_file.write_text('plant_timezone = "Europe/Vienna"\nupstream_read_timeout = 4.5\n')
    monkeypatch.setenv("GATEWAY_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("GATEWAY_UPSTREAM_READ_TIMEOUT", "7.25")
    app = Flask("t")
    load_settings(app)
    assert app.config["PLANT_TIMEZONE"] == "Europe/Vienna"
    assert app.config["UPSTREAM_READ_TIMEOUT"] == 7.25
    assert app.config["UPSTREAM_CONNECT_TIMEOUT"] == 3.05


def test_explicit_overrides_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PLANT_TIMEZONE", "Asia/Tokyo")
    app = Flask("t")
    load_settings(app, {"PLANT_TIMEZONE": "UTC"})
    assert app.config["PLANT_TIMEZONE"] == "UTC"
