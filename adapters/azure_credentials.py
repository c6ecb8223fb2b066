"""Azure client credentials: certificates read and checked, MSAL's form of a credential, and
the proof that a new credential works (a token from the authority, nothing cached)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.azure_tokens import AzureTokenProvider, TokenRetry
from gateway.domain.credentials import ClientCredential, CredentialKind, Secret
from gateway.domain.errors import CredentialInvalid, CredentialRejected, UpstreamFault

PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.S)


def certificate_credential(client_id: str, pem: Secret) -> ClientCredential:
    """A certificate credential from PEM text holding an RSA private key and its certificate."""
    key, certificate = _key_and_certificate(pem.reveal())
    if key.public_key().public_numbers() != _rsa_public_key(certificate).public_numbers():
        raise CredentialInvalid("The private key does not belong to the certificate")
    expires_at = certificate.not_valid_after_utc
    if expires_at <= datetime.now(UTC):
        raise CredentialInvalid("The certificate has expired")
    bundle = _pem(key) + certificate.public_bytes(serialization.Encoding.PEM).decode()
    return ClientCredential(
        client_id,
        CredentialKind.AZURE_CERTIFICATE,
        Secret(bundle),
        certificate_fingerprint(certificate),
        expires_at,
    )


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """The SHA-1 thumbprint, upper-case hex, as Azure's portal lists certificates."""
    return "sha1:" + certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303


def msal_credential(credential: ClientCredential) -> str | dict[str, Any]:
    """What MSAL's ``client_credential`` takes: the secret, or key and certificate (it then
    signs a client assertion with PS256 and sends the SHA-256 thumbprint and the chain)."""
    if credential.kind is CredentialKind.AZURE_SECRET:
        return credential.material.reveal()
    blocks = {kind: text for kind, text in _blocks(credential.material.reveal())}
    return {"private_key": blocks["PRIVATE KEY"], "public_certificate": blocks["CERTIFICATE"]}


class AzureCredentialProver:
    """Proves a credential by acquiring a token for its upstream's scope, bypassing every cache."""

    def __init__(
        self,
        authority: str,
        http_session: requests.Session,
        scopes: Mapping[str, str],
        timeout: float | tuple[float, float] = (3.05, 10.0),
    ) -> None:
        self._authority = authority
        self._session = http_session
        self._scopes = dict(scopes)
        self._timeout = timeout

    def prove(self, name: str, credential: ClientCredential) -> None:
        """Nothing if the authority issues a token; CredentialRejected with its error if not."""
        provider = AzureTokenProvider(
            self._authority,
            credential.client_id,
            msal_credential(credential),
            self._session,
            token_cache=msal.SerializableTokenCache(),  # a fresh cache: a real round trip
            timeout=self._timeout,
            retry=TokenRetry(attempts=2),
        )
        try:
            provider.token_for(self._scopes[name])
        except UpstreamFault as fault:
            error = str(fault.extra.get("error") or "unknown_error")
            raise CredentialRejected(error, fault.detail) from None


def _key_and_certificate(text: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    blocks = dict(_blocks(text))
    key_text = blocks.get("PRIVATE KEY") or blocks.get("RSA PRIVATE KEY")
    if not key_text or "CERTIFICATE" not in blocks:
        raise CredentialInvalid("The PEM needs an unencrypted private key and its certificate")
    try:
        key = serialization.load_pem_private_key(key_text.encode(), password=None)
        certificate = x509.load_pem_x509_certificate(blocks["CERTIFICATE"].encode())
    except (ValueError, TypeError):
        raise CredentialInvalid("The private key or the certificate cannot be read") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CredentialInvalid("Only RSA keys are supported")
    return key, certificate


def _rsa_public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise CredentialInvalid("Only RSA certificates are supported")
    return public


def _blocks(text: str) -> list[tuple[str, str]]:
    """(type, PEM text) of each block, the first of each type winning."""
    seen: dict[str, str] = {}
    for match in PEM_BLOCK.finditer(text):
        seen.setdefault(match.group(1), match.group(0) + "\n")
    return list(seen.items())


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
