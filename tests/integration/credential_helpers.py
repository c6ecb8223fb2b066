"""Traffic through a gateway while its credentials change, and what such tests need."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import Flask

STOCK = "/api/inventory/items/RM-1001/stock?warehouseId=W01"
"""One inventory (SOAP) call per request: every request needs an inventory token."""


@dataclass
class Traffic:
    """``threads`` threads sending ``send`` until stopped; any answer but 200 is a failure."""

    send: Callable[[Any], int]
    client_for: Callable[[], Any]
    threads: int = 8
    sent: int = 0
    failures: list[str] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Traffic:
        for number in range(self.threads):
            worker = threading.Thread(target=self._run, name=f"traffic-{number}", daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def wait_until(self, condition: Callable[[], bool], timeout: float = 60.0) -> None:
        """Block until ``condition`` holds (looked at after every answer); fail on timeout."""
        with self._changed:
            met = self._changed.wait_for(lambda: condition() or bool(self.failures), timeout)
        assert met, f"not reached in {timeout} s; sent {self.sent}"

    def stop(self) -> None:
        self._stopping.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _run(self) -> None:
        client = self.client_for()
        while not self._stopping.is_set():
            try:
                status = self.send(client)
                failure = "" if status == 200 else f"HTTP {status}"
            except Exception as error:  # a failed request, whatever it was
                failure = repr(error)
            with self._changed:
                self.sent += 1
                if failure:
                    self.failures.append(failure)
                self._changed.notify_all()


@contextmanager
def running(traffic: Traffic) -> Iterator[Traffic]:
    """Start the traffic; stop it however the block ends."""
    traffic.start()
    try:
        yield traffic
    finally:
        traffic.stop()


def stock_traffic(app: Flask, token: str, threads: int = 8) -> Traffic:
    """Reads of a stock level through the gateway's test client, one client per thread."""
    headers = {"Authorization": f"Bearer {token}"}
    return Traffic(lambda client: client.get(STOCK, headers=headers).status_code,
                   app.test_client, threads)  # fmt: skip


def certificate_pem(common_name: str) -> tuple[str, str]:
    """A new self-signed RSA certificate: (private key PEM, certificate PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()
