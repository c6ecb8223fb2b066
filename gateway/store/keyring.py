"""The master keys that seal stored secrets: Fernet keys, MultiFernet (the first seals, any opens).

Keys come from ``MASTER_KEYS`` (comma-separated; fixed for the life of the process) or from the
key file ``MASTER_KEY_FILE`` (one key a line), which every process re-reads within seconds of a
change, so a master key rotation needs no restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

log = logging.getLogger(__name__)

FileSignature = tuple[int, int, int]


def key_id(key: str) -> str:
    """A name for a key that gives nothing of it away."""
    return "k-" + hashlib.sha256(key.strip().encode()).hexdigest()[:10]


def new_key() -> str:
    return Fernet.generate_key().decode()


class MasterKeys:
    """Seals and opens secrets with the master keys; never shows a key (reprs give ids)."""

    def __init__(
        self,
        keys: Sequence[str],
        path: Path | None = None,
        check_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._path = path
        self._check_seconds = check_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._loaded = _load(keys)  # (keys, ring), replaced as one so readers see a pair
        self._signature = _signature(path) if path else None
        self._checked_at = clock()

    @classmethod
    def configured(
        cls, keys: Sequence[str], key_file: str | None, check_seconds: float = 2.0
    ) -> MasterKeys | None:
        """The given keys if any (fixed), else the key file if it exists; None without keys."""
        if keys:
            return cls(keys, check_seconds=check_seconds)
        if key_file and Path(key_file).is_file():
            return cls(read_key_file(Path(key_file)), Path(key_file), check_seconds)
        return None

    def __repr__(self) -> str:
        return f"MasterKeys(primary={self.primary_id}, keys={len(self._loaded[0])})"

    @property
    def editable(self) -> bool:
        """True when the keys live in a file this process may rewrite."""
        return self._path is not None

    @property
    def primary_id(self) -> str:
        return key_id(self._loaded[0][0])

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every key's id, the primary first."""
        self.reload_if_changed()
        return tuple(key_id(key) for key in self._loaded[0])

    def seal(self, secret: str) -> str:
        """``secret`` encrypted and authenticated under the primary key."""
        self.reload_if_changed()
        return self._loaded[1].encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The secret, or None if no key of ours sealed it."""
        self.reload_if_changed()
        try:
            return self._loaded[1].decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None

    def reseal(self, sealed: str) -> str:
        """The same secret sealed under the primary key (InvalidToken if no key opens it)."""
        return self._loaded[1].rotate(sealed.encode()).decode()

    def opens_with_primary_alone(self, sealed: str) -> bool:
        """True if the primary key by itself opens ``sealed``."""
        try:
            Fernet(self._loaded[0][0].encode()).decrypt(sealed.encode())
        except InvalidToken:
            return False
        return True

    def reload_if_changed(self, force: bool = False) -> bool:
        """Re-read the key file if it changed (looked at once per ``check_seconds``)."""
        if self._path is None or not self._due(force):
            return False
        signature = _signature(self._path)
        if signature == self._signature:
            return False
        try:
            self._loaded = _load(read_key_file(self._path))
        except (OSError, ValueError) as error:
            log.error("master key file %s unusable, keeping the keys loaded: %s", self._path, error)
            return False
        self._signature = signature
        log.info("master keys reloaded: %s", ", ".join(self.key_ids))
        return True

    def add_new_key(self) -> str:
        """Generate a key and add it to the key file, opening only (last); returns its id."""
        key = new_key()
        with self._editing() as keys:
            keys.append(key)
        return key_id(key)

    def remove(self, wanted: str) -> None:
        """Remove the key with id ``wanted`` from the key file (never the last one)."""
        with self._editing() as keys:
            kept = [key for key in keys if key_id(key) != wanted]
            keys[:] = kept or keys

    def promote(self, wanted: str) -> None:
        """Make the key with id ``wanted`` the primary one."""
        with self._editing() as keys:
            keys.sort(key=lambda key: key_id(key) != wanted)

    def drop_all_but_primary(self) -> list[str]:
        """Remove every key but the primary from the key file; returns their ids."""
        with self._editing() as keys:
            dropped = [key_id(key) for key in keys[1:]]
            del keys[1:]
        return dropped

    def _due(self, force: bool) -> bool:
        now = self._clock()
        with self._lock:
            if not force and now - self._checked_at < self._check_seconds:
                return False
            self._checked_at = now
            return True

    @contextmanager
    def _editing(self) -> Iterator[list[str]]:
        if self._path is None:
            raise RuntimeError("the master keys come from MASTER_KEYS and cannot be edited")
        with _file_lock(self._path):
            keys = list(read_key_file(self._path))
            yield keys
            write_key_file(self._path, keys)
        self.reload_if_changed(force=True)


def _load(keys: Sequence[str]) -> tuple[tuple[str, ...], MultiFernet]:
    cleaned = tuple(key.strip() for key in keys if key.strip())
    if not cleaned:
        raise ValueError("no master key")
    return cleaned, MultiFernet([Fernet(key.encode()) for key in cleaned])  # ValueError if bad


def read_key_file(path: Path) -> list[str]:
    """The keys in a key file: one a line, blank lines and ``#`` comments ignored."""
    lines = path.read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def write_key_file(path: Path, keys: Sequence[str]) -> None:
    """Replace the key file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Gateway master keys (Fernet). The first seals; every one opens. Keep secret.\n"
    temporary = path.with_name(path.name + ".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(header + "".join(f"{key}\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def ensure_key_file(path: Path) -> bool:
    """Create a key file with one new key unless it exists; True if created."""
    if path.exists():
        return False
    write_key_file(path, [new_key()])
    return True


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _signature(path: Path) -> FileSignature | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)
