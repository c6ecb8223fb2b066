from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from gateway.config import DEFAULTS, SettingError, from_environment, load_settings
from gateway.settings import AzureClient, Settings


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


def test_a_secret_stays_the_exact_string_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_AZURE_CLIENT_SECRET", "123e4")
    monkeypatch.setenv("GATEWAY_INVENTORY_CLIENT_SECRET", "true")
    monkeypatch.setenv("GATEWAY_MASTER_KEYS", "00012")
    app = Flask("t")
    load_settings(app)
    assert app.config["AZURE_CLIENT_SECRET"] == "123e4"
    assert app.config["INVENTORY_CLIENT_SECRET"] == "true"
    assert app.config["MASTER_KEYS"] == "00012"


def test_each_setting_reads_as_the_kind_of_its_default() -> None:
    read = from_environment({
        "GATEWAY_UPSTREAM_RETRY_ATTEMPTS": "5", "GATEWAY_UPSTREAM_READ_TIMEOUT": "3",
        "GATEWAY_RESERVATION_OVERRIDE_ALLOWED": "False", "GATEWAY_DATABASE_AUTO_MIGRATE": "1",
        "GATEWAY_WORKORDER_WAREHOUSES": '{"PLANT-A": "W01"}', "GATEWAY_PUBLIC_URL": "123",
        "GATEWAY_UNKNOWN_THING": "[1]", "OTHER_VARIABLE": "x",
    })  # fmt: skip
    assert read == {
        "UPSTREAM_RETRY_ATTEMPTS": 5, "UPSTREAM_READ_TIMEOUT": 3.0,
        "RESERVATION_OVERRIDE_ALLOWED": False, "DATABASE_AUTO_MIGRATE": True,
        "WORKORDER_WAREHOUSES": {"PLANT-A": "W01"}, "PUBLIC_URL": "123", "UNKNOWN_THING": "[1]",
    }  # fmt: skip
    assert isinstance(read["UPSTREAM_READ_TIMEOUT"], float)


@pytest.mark.parametrize(
    ("variable", "text"),
    [("GATEWAY_UPSTREAM_RETRY_ATTEMPTS", "three"), ("GATEWAY_UPSTREAM_RETRY_ATTEMPTS", "2.5"),
     ("GATEWAY_UPSTREAM_READ_TIMEOUT", "soon"), ("GATEWAY_DATABASE_AUTO_MIGRATE", "maybe"),
     ("GATEWAY_WORKORDER_WAREHOUSES", "[1, 2]"), ("GATEWAY_WORKORDER_WAREHOUSES", "{oops")],
)  # fmt: skip
def test_a_setting_that_does_not_read_stops_the_start_naming_it(variable: str, text: str) -> None:
    with pytest.raises(SettingError, match=variable):
        from_environment({variable: text})


def test_the_typed_settings_name_a_bad_value_and_never_show_a_secret() -> None:
    values = {**DEFAULTS, "AZURE_CLIENT_SECRET": "s3cr3t-value", "INVENTORY_CLIENT_ID": "inv-app"}
    settings = Settings.from_mapping(values)
    assert settings.upstream.clients["inventory"] == AzureClient("inv-app", "s3cr3t-value")
    assert settings.upstream.clients["workorders"].client_id == DEFAULTS["AZURE_CLIENT_ID"]
    assert "s3cr3t-value" not in repr(settings)
    assert settings.auth.jwks_url.endswith("/discovery/v2.0/keys")
    assert settings.database.plan_lease.total_seconds() == DEFAULTS["PLAN_LEASE_SECONDS"]
    for name, bad in [("UPSTREAM_RETRY_ATTEMPTS", "three"), ("UPSTREAM_READ_TIMEOUT", True),
                      ("DATABASE_AUTO_MIGRATE", "maybe"), ("WORKORDER_WAREHOUSES", [1]),
                      ("INVENTORY_URL", "")]:  # fmt: skip
        with pytest.raises(SettingError, match=name):
            Settings.from_mapping({**DEFAULTS, name: bad})


def test_every_group_is_typed_and_the_secret_ones_stay_out_of_reprs() -> None:
    values = {**DEFAULTS, "MASTER_KEYS": " key-one , ,key-two ", "SOAP_MAX_BODY_BYTES": "4096",
              "RATE_LIMIT_URL": "redis://:hunter2@cache:6379/0", "CREDENTIALS_SEED": "replace",
              "LOGIN_MAX_FAILURES_PER_CLIENT": 3, "ARGON2_MEMORY_KIB": "1024"}  # fmt: skip
    settings = Settings.from_mapping(values)
    assert settings.credentials.master_keys == ("key-one", "key-two")
    assert settings.credentials.seed_replace is True
    assert settings.credentials.password_hashing.memory_kib == 1024
    assert settings.soap.max_body_bytes == 4096
    assert settings.soap.login_throttle.client_failures == 3
    assert settings.soap.xml_limits.max_depth == DEFAULTS["XML_MAX_DEPTH"]
    assert settings.soap.token_max_age.total_seconds() == DEFAULTS["SOAP_TOKEN_MAX_AGE_SECONDS"]
    assert settings.background.outbox_drain_seconds == DEFAULTS["OUTBOX_DRAIN_SECONDS"]
    assert settings.upstream.scopes["workorders"] == DEFAULTS["WORKORDERS_SCOPE"]
    assert "key-one" not in repr(settings) and "hunter2" not in repr(settings)
    assert Settings.from_mapping(DEFAULTS).credentials.seed_replace is False


@pytest.mark.parametrize(
    ("name", "bad"),
    [("CREDENTIALS_SEED", "always"), ("SOAP_MAX_BODY_BYTES", "big"), ("XML_MAX_ELEMENTS", 1.5),
     ("EXPIRY_SWEEP_SECONDS", "soon"), ("ARGON2_TIME_COST", None), ("MAX_CONTENT_LENGTH", "")],
)  # fmt: skip
def test_a_bad_value_in_any_group_stops_the_start_naming_it(name: str, bad: object) -> None:
    with pytest.raises(SettingError, match=name):
        Settings.from_mapping({**DEFAULTS, name: bad})
