"""Every gateway process follows the credential versions in the database within seconds,
and says which versions and master keys it uses, so a retire can wait for the slowest.

Before each token request a provider calls ``maybe_check``: one indexed query for the current
versions at most every ``CREDENTIAL_CHECK_SECONDS``, non-blocking for other threads unless the
last check is older than the report interval (then they wait, so an idle process never uses a
stale credential). A background thread runs the same check, so idle processes follow too, and
the check re-reads the master key file. What the process uses is written to
``credential_processes`` on change and every ``CREDENTIAL_REPORT_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping

from gateway.domain.credentials import ClientCredential
from gateway.services.credentials.rotation import Credentials

log = logging.getLogger(__name__)

Sink = Callable[[ClientCredential], None]
"""Puts a credential to use (e.g. a token provider's swap)."""


class CredentialWatcher:
    """Looks for a new credential version at most once per ``check_seconds``; cheap otherwise."""

    def __init__(
        self,
        credentials: Credentials,
        sinks: Mapping[str, Sink],
        check_seconds: float = 2.0,
        report_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._sinks = dict(sinks)
        self._check_seconds = check_seconds
        self._report_seconds = report_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._checked_at = -float("inf")
        self._reported: tuple[dict[str, int], list[str]] | None = None
        self._reported_at = -float("inf")
        self._applied: dict[str, int] = {}
        self._identity: tuple[int, str] | None = None

    @property
    def applied(self) -> dict[str, int]:
        """The credential version this process uses, per upstream."""
        return dict(self._applied)

    @property
    def process_id(self) -> str:
        """host:pid:random — computed per pid, so forked workers never share one."""
        if self._identity is None or self._identity[0] != os.getpid():
            name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
            self._identity = (os.getpid(), name)
        return self._identity[1]

    def maybe_check(self) -> None:
        """Check if one is due; when long overdue, wait for a check someone else is running."""
        since = self._clock() - self._checked_at
        if since < self._check_seconds:
            return
        overdue = since > self._report_seconds  # e.g. after idling: never use a stale credential
        if not self._lock.acquire(blocking=overdue):
            return
        try:
            if self._clock() - self._checked_at >= self._check_seconds:
                self._check()
        finally:
            self._lock.release()

    def check(self) -> None:
        """Catch up now: reload master keys, apply new credential versions, report."""
        with self._lock:
            self._check()

    def stop(self) -> None:
        """This process is going away: it no longer counts as a user of anything."""
        self._credentials.store.forget_process(self.process_id)

    def _check(self) -> None:
        self._checked_at = self._clock()
        try:
            keys = self._credentials.keys
            if keys is not None:
                keys.reload_if_changed(force=True)
            versions = self._credentials.store.current_versions()
            for name, sink in self._sinks.items():
                if versions.get(name) not in (None, self._applied.get(name)):
                    self._apply(name, sink)
            self._report()
        except Exception:
            log.exception("credential check failed; the credentials in use stay in use")

    def _apply(self, name: str, sink: Sink) -> None:
        try:
            opened = self._credentials.unseal_current(name)
            if opened is None:
                return
            version, credential = opened
            sink(credential)
        except Exception:
            log.exception("cannot switch to the new %s credential; keeping the one in use", name)
            return
        self._applied[name] = version
        log.info("%s credential version %d in use (%s)", name, version, credential.fingerprint)

    def _report(self) -> None:
        keys = self._credentials.keys
        state = (dict(self._applied), list(keys.key_ids) if keys else [])
        now = self._clock()
        if state == self._reported and now - self._reported_at < self._report_seconds:
            return
        self._credentials.store.report(self.process_id, *state, self._credentials.clock())
        self._reported, self._reported_at = state, now
