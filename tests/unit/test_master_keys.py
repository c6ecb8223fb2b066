"""The master keys: sealing, reloading the key file, editing it, never showing a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gateway.bootstrap import open_master_keys
from gateway.config import DEFAULTS
from gateway.settings import Settings
from gateway.store.keyring import (
    MasterKeys,
    ensure_key_file,
    key_id,
    read_key_file,
    write_key_file,
)


def keys_from(values: dict[str, str]) -> MasterKeys | None:
    """The master keys as the gateway opens them from these settings."""
    return open_master_keys(Settings.from_mapping({**DEFAULTS, **values}).credentials)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys"
    ensure_key_file(path)
    return path


def test_a_key_file_is_private_to_its_owner_and_made_once(key_file: Path) -> None:
    before = read_key_file(key_file)

    created_again = ensure_key_file(key_file)

    assert not created_again and read_key_file(key_file) == before
    assert key_file.stat().st_mode & 0o077 == 0


def test_reprs_show_key_ids_never_keys(key_file: Path) -> None:
    keys = keys_from({"MASTER_KEY_FILE": str(key_file)})
    assert keys is not None
    (key,) = read_key_file(key_file)

    assert key not in repr(keys) and key_id(key) in repr(keys)


def test_settings_keys_win_over_the_file_and_no_key_means_none(key_file: Path) -> None:
    given = Fernet.generate_key().decode()

    from_env = keys_from({"MASTER_KEYS": given, "MASTER_KEY_FILE": str(key_file)})
    nothing = keys_from({"MASTER_KEY_FILE": str(key_file.with_name("absent"))})

    assert from_env is not None and from_env.key_ids == (key_id(given),)
    assert not from_env.editable
    assert nothing is None


def test_a_changed_key_file_is_read_again_after_the_check_interval(key_file: Path) -> None:
    clock = Clock()
    keys = MasterKeys(read_key_file(key_file), key_file, check_seconds=2.0, clock=clock)
    other_key = Fernet.generate_key().decode()
    other = MasterKeys([other_key])
    write_key_file(key_file, [*read_key_file(key_file), other_key])
    sealed_elsewhere = other.seal("s3cret")

    clock.now = 1.0
    too_soon = keys.open(sealed_elsewhere)
    clock.now = 2.5
    later = keys.open(sealed_elsewhere)

    assert too_soon is None and later == "s3cret"


def test_an_unreadable_key_file_keeps_the_keys_loaded(key_file: Path) -> None:
    clock = Clock()
    keys = MasterKeys(read_key_file(key_file), key_file, clock=clock)
    sealed = keys.seal("value")
    key_file.write_text("not a fernet key\n")

    clock.now = 10.0

    assert keys.open(sealed) == "value"


def test_add_promote_and_drop_walk_a_rotation_through_the_file(key_file: Path) -> None:
    keys = MasterKeys(read_key_file(key_file), key_file)
    old = keys.primary_id
    sealed_old = keys.seal("value")

    new = keys.add_new_key()
    still_old = keys.primary_id
    keys.promote(new)
    resealed = keys.reseal(sealed_old)
    dropped = keys.drop_all_but_primary()

    assert still_old == old and keys.primary_id == new
    assert dropped == [old] and keys.key_ids == (new,)
    assert keys.opens_with_primary_alone(resealed) and keys.open(sealed_old) is None
