"""The sandbox identity provider's state: signing keys, registered clients, token minting."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from sandbox.faults import CallLog, FaultKnobs
from sandbox.idp.ca import state_lock, write_private
from sandbox.idp.clients import ClientRegistry

KEYS_FILE = "signing-keys.json"
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]


class TokenRejected(Exception):
    """A token this provider did not issue, or no longer vouches for."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWKS entry."""
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}


class IdentityProvider:
    """A one-tenant Azure AD v2 look-alike; ``base_url`` is set once the server is bound."""

    def __init__(
        self,
        state_dir: Path,
        tenant: str = "sandbox-tenant",
        clients: Mapping[str, Iterable[str]] | None = None,
        token_lifetime: int = 3600,
        owner_claim: str = "owners",
        base_url: str | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.tenant = tenant
        self.token_lifetime = token_lifetime
        self.owner_claim = owner_claim
        self.base_url = base_url
        self.calls = CallLog()
        self.faults = FaultKnobs()
        self._lock = threading.Lock()
        self.clients = ClientRegistry(clients)
        self.tokens_issued: Counter[str] = Counter()
        """Client-credentials tokens issued, by client id."""
        state_dir.mkdir(parents=True, exist_ok=True)
        self._keys: list[SigningKey] = self._load_or_create_keys()

    # -- issuer ------------------------------------------------------------------------

    def issuer_for(self, base_url: str) -> str:
        """The Azure v2 issuer for this tenant when served from ``base_url``."""
        return f"{base_url.rstrip('/')}/{self.tenant}/v2.0"

    @property
    def issuer(self) -> str:
        """The issuer of every token; needs ``base_url``."""
        if not self.base_url:
            raise RuntimeError("IdentityProvider.base_url is not set (bind the server first)")
        return self.issuer_for(self.base_url)

    # -- signing keys ------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """Every published key, the current signing key last."""
        with self._lock:
            return {"keys": [key.public_jwk() for key in self._keys]}

    def current_kid(self) -> str:
        """The key id new tokens are signed with."""
        with self._lock:
            return self._keys[-1].kid

    def rotate_signing_key(self) -> str:
        """Sign with a new key from now on; the old ones stay published. Returns the new kid."""
        key = _new_signing_key()
        with self._lock:
            self._keys.append(key)
            self._save_keys()
        return key.kid

    def retire_old_keys(self) -> list[str]:
        """Stop publishing every key but the current one. Returns the retired kids."""
        with self._lock:
            retired = [key.kid for key in self._keys[:-1]]
            self._keys = self._keys[-1:]
            self._save_keys()
        return retired

    # -- tokens ------------------------------------------------------------------------

    def mint(
        self,
        subject: str,
        audience: str,
        roles: Iterable[str] = (),
        owners: Iterable[str] = (),
        lifetime: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        client_id: str | None = None,
    ) -> str:
        """An RS256 access token shaped like an Azure AD v2 one."""
        claims = self._base_claims(subject, audience, lifetime, client_id or subject)
        if roles := list(roles):
            claims["roles"] = roles
        if owners := list(owners):
            claims[self.owner_claim] = owners
        claims.update(extra_claims or {})
        with self._lock:
            key = self._keys[-1]
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})

    def verify(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a token this provider issued for ``audience``; TokenRejected if not."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenRejected(f"malformed token: {exc}") from exc
        if header.get("alg") != "RS256":
            raise TokenRejected("algorithm must be RS256")
        key = self._public_key(header.get("kid"))
        try:
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=audience,
                issuer=self.issuer,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise TokenRejected(str(exc)) from exc

    def _base_claims(
        self, subject: str, audience: str, lifetime: int | None, client_id: str
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": audience,
            "sub": subject,
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.tenant}/{subject}")),
            "azp": client_id,
            "appid": client_id,
            "tid": self.tenant,
            "iat": now,
            "nbf": now,
            "exp": now + (self.token_lifetime if lifetime is None else lifetime),
            "ver": "2.0",
            "uti": secrets.token_urlsafe(16),
        }

    def _public_key(self, kid: object) -> rsa.RSAPublicKey:
        with self._lock:
            for key in self._keys:
                if key.kid == kid:
                    return key.private_key.public_key()
        raise TokenRejected("unknown signing key")

    # -- clients -----------------------------------------------------------------------

    def add_client_secret(self, client_id: str, secret: str) -> None:
        """Register one more secret for ``client_id``; the ones it had keep working."""
        self.clients.add_secret(client_id, secret)

    def remove_client_secret(self, client_id: str, secret: str) -> bool:
        """Revoke one secret; True if it was registered."""
        return self.clients.remove_secret(client_id, secret)

    def has_client(self, client_id: str) -> bool:
        """True if ``client_id`` is registered (with or without credentials)."""
        return self.clients.has_client(client_id)

    # -- persistence -------------------------------------------------------------------

    def _load_or_create_keys(self) -> list[SigningKey]:
        with state_lock(self.state_dir):
            path = self.state_dir / KEYS_FILE
            if path.exists():
                return [_load_key(entry) for entry in json.loads(path.read_text())["keys"]]
            keys = [_new_signing_key()]
            _write_keys(path, keys)
            return keys

    def _save_keys(self) -> None:
        with state_lock(self.state_dir):
            _write_keys(self.state_dir / KEYS_FILE, self._keys)


def _new_signing_key() -> SigningKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(_kid_for(private_key.public_key()), private_key)


def _kid_for(public_key: rsa.RSAPublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:15]).decode()


def _load_key(entry: Mapping[str, str]) -> SigningKey:
    private_key = serialization.load_pem_private_key(entry["pem"].encode(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError(f"signing key {entry['kid']} is not an RSA key")
    return SigningKey(entry["kid"], private_key)


def _write_keys(path: Path, keys: list[SigningKey]) -> None:
    entries = [{"kid": key.kid, "pem": _pem(key.private_key)} for key in keys]
    write_private(path, json.dumps({"keys": entries}, indent=2).encode())


def _pem(private_key: rsa.RSAPrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
