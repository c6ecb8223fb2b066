"""The sandbox IdP's app registrations: client secrets and certificates, several at once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa


class CertificateRefused(ValueError):
    """A certificate the registry will not take (not PEM, not RSA, expired)."""


@dataclass(frozen=True)
class ClientSecret:
    key_id: str
    value: str = field(repr=False)

    def describe(self) -> dict[str, str]:
        """What Azure's portal shows of a secret (its first characters), and a fingerprint."""
        digest = hashlib.sha256(self.value.encode()).hexdigest()[:16]
        return {"keyId": self.key_id, "hint": self.value[:3], "fingerprint": f"sha256:{digest}"}


@dataclass(frozen=True)
class ClientCertificate:
    key_id: str
    certificate: x509.Certificate

    @property
    def sha1(self) -> bytes:
        return self.certificate.fingerprint(hashes.SHA1())  # noqa: S303 (x5t is SHA-1)

    @property
    def sha256(self) -> bytes:
        return self.certificate.fingerprint(hashes.SHA256())

    def public_key(self) -> rsa.RSAPublicKey:
        key = self.certificate.public_key()
        assert isinstance(key, rsa.RSAPublicKey)  # only RSA certificates are registered
        return key

    def describe(self) -> dict[str, str]:
        """Azure's columns: the SHA-1 thumbprint (upper-case hex), subject and expiry."""
        return {
            "keyId": self.key_id,
            "thumbprint": self.sha1.hex().upper(),
            "thumbprintSha256": self.sha256.hex(),
            "subject": self.certificate.subject.rfc4514_string(),
            "notAfter": self.certificate.not_valid_after_utc.isoformat(),
        }


@dataclass
class Registration:
    secrets: list[ClientSecret] = field(default_factory=list)
    certificates: list[ClientCertificate] = field(default_factory=list)


class ClientRegistry:
    """Client ids with their credentials; like Azure, a client may hold several of each."""

    def __init__(self, initial: Mapping[str, Iterable[str]] | None = None) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Registration] = {}
        for client_id, values in (initial or {}).items():
            self._clients[client_id] = Registration()
            for value in values:
                self.add_secret(client_id, value)

    def add_secret(self, client_id: str, value: str) -> ClientSecret:
        """Register one more secret; the ones the client had keep working."""
        with self._lock:
            registration = self._clients.setdefault(client_id, Registration())
            for known in registration.secrets:
                if known.value == value:
                    return known
            secret = ClientSecret(_key_id(), value)
            registration.secrets.append(secret)
            return secret

    def add_certificate(self, client_id: str, pem: bytes) -> ClientCertificate:
        """Register an RSA certificate's public key (Azure's "upload certificate")."""
        certificate = _rsa_certificate(pem)
        with self._lock:
            registration = self._clients.setdefault(client_id, Registration())
            for known in registration.certificates:
                if known.sha256 == certificate.fingerprint(hashes.SHA256()):
                    return known
            entry = ClientCertificate(_key_id(), certificate)
            registration.certificates.append(entry)
            return entry

    def remove_secret(self, client_id: str, value: str) -> bool:
        """Revoke the secret with this value; True if it was registered."""
        with self._lock:
            registration = self._clients.get(client_id, Registration())
            kept = [s for s in registration.secrets if s.value != value]
            removed = len(kept) != len(registration.secrets)
            registration.secrets = kept
            return removed

    def remove_key(self, client_id: str, key_id: str) -> bool:
        """Revoke a secret or certificate by its key id; True if there was one."""
        with self._lock:
            registration = self._clients.get(client_id, Registration())
            before = len(registration.secrets) + len(registration.certificates)
            registration.secrets = [s for s in registration.secrets if s.key_id != key_id]
            registration.certificates = [c for c in registration.certificates if c.key_id != key_id]
            return before != len(registration.secrets) + len(registration.certificates)

    def has_client(self, client_id: str) -> bool:
        with self._lock:
            return client_id in self._clients

    def check_secret(self, client_id: str, value: str) -> bool:
        """True if ``value`` is one of the client's current secrets (constant time)."""
        with self._lock:
            registered = list(self._clients.get(client_id, Registration()).secrets)
        matched = False
        for candidate in registered:
            # No short-circuit: the time taken must not tell which secret came close.
            matched |= hmac.compare_digest(candidate.value.encode(), value.encode())
        return matched

    def certificate(
        self, client_id: str, x5t_s256: str | None, x5t: str | None
    ) -> ClientCertificate | None:
        """The registered certificate a client assertion's header names, if any."""
        with self._lock:
            registered = list(self._clients.get(client_id, Registration()).certificates)
        for entry in registered:
            if x5t_s256 and _b64(entry.sha256) == x5t_s256.rstrip("="):
                return entry
            if x5t and _b64(entry.sha1) == x5t.rstrip("="):
                return entry
        return None

    def describe(self, client_id: str) -> dict[str, Any] | None:
        """The client's credentials as an admin sees them (never a secret's value)."""
        with self._lock:
            registration = self._clients.get(client_id)
            if registration is None:
                return None
            return {
                "clientId": client_id,
                "secrets": [s.describe() for s in registration.secrets],
                "certificates": [c.describe() for c in registration.certificates],
            }


def _key_id() -> str:
    return secrets.token_hex(8)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _rsa_certificate(pem: bytes) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise CertificateRefused("not a PEM certificate") from exc
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CertificateRefused("only RSA certificates are supported")
    if certificate.not_valid_after_utc <= datetime.now(UTC):
        raise CertificateRefused("the certificate has expired")
    return certificate
