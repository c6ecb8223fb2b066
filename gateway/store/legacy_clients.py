"""Legacy SOAP clients, their hashed secrets, and the nonces they already used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.legacy_clients import LegacyClient, StoredSecret
from gateway.store import json
from gateway.store.database import utc_now
from gateway.store.json import as_utc
from gateway.store.tables import legacy_client_secrets as secrets
from gateway.store.tables import legacy_clients as clients
from gateway.store.tables import used_nonces as nonces


class ClientExists(Exception):
    """A legacy client of that name is already registered."""


class LegacyClientStore:
    """Implements LegacyClientRepository on the gateway's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, client: LegacyClient) -> None:
        """Store a new client with its secrets; ClientExists if the name is taken."""
        try:
            with self._engine.begin() as connection:
                connection.execute(insert(clients).values(**_client_row(client)))
                for secret in client.secrets:
                    connection.execute(insert(secrets).values(**_secret_row(client, secret)))
        except IntegrityError:
            raise ClientExists(client.name) from None

    def find(self, name: str) -> LegacyClient | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(clients).where(clients.c.name == name)).mappings()
            found = row.first()
            return None if found is None else _client(found, _secrets_of(connection, name))

    def all(self) -> list[LegacyClient]:
        """Every client, by name."""
        with self._engine.connect() as connection:
            rows = connection.execute(select(clients).order_by(clients.c.name)).mappings()
            return [_client(row, _secrets_of(connection, row["name"])) for row in rows.all()]

    def disable(self, name: str) -> bool:
        """Refuse the client from now on; False if there is no such client."""
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(clients)
                .where(clients.c.name == name)
                .values(enabled=False, disabled_at=utc_now())
            )
            return changed.rowcount == 1

    def rotate_secret(self, name: str, new: StoredSecret, old_until: datetime) -> bool:
        """Add ``new``; every older secret stays valid until ``old_until`` at the latest.
        False if there is no such client."""
        with self._engine.begin() as connection:
            if connection.execute(select(clients.c.name).where(clients.c.name == name)).first():
                _end_older_secrets(connection, name, old_until)
                row = {"client_name": name, "password_hash": new.password_hash,
                       "digest_secret": new.digest_secret, "created_at": utc_now()}  # fmt: skip
                connection.execute(insert(secrets).values(**row))
                return True
        return False

    def end_grace(self, name: str, now: datetime) -> int:
        """Refuse every secret but the newest from ``now`` on; returns how many were cut short."""
        with self._engine.begin() as connection:
            return _end_older_secrets(connection, name, now, keep_newest=True)

    def remember_nonce(self, name: str, nonce: str, expires_at: datetime, now: datetime) -> bool:
        """Record a nonce; False if it was used before. The primary key decides, so several
        gateway processes on one database agree."""
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(nonces).where(nonces.c.expires_at < now))
                connection.execute(
                    insert(nonces).values(client_name=name, nonce=nonce, expires_at=expires_at)
                )
        except IntegrityError:
            return False
        return True


def _end_older_secrets(
    connection: Connection, name: str, until: datetime, keep_newest: bool = False
) -> int:
    """Give the client's secrets ``until`` as their end unless they end sooner already."""
    mine = secrets.c.client_name == name
    later = or_(secrets.c.not_after.is_(None), secrets.c.not_after > until)
    conditions = [mine, later]
    if keep_newest:
        newest = select(func.max(secrets.c.id)).where(mine).scalar_subquery()
        conditions.append(secrets.c.id != newest)
    changed = connection.execute(update(secrets).where(*conditions).values(not_after=until))
    return int(changed.rowcount)


def _client_row(client: LegacyClient) -> dict[str, object]:
    return {
        "name": client.name,
        "roles": json.dumps(sorted(client.roles)),
        "owners": json.dumps(sorted(client.owners)),
        "enabled": client.enabled,
        "created_at": client.created_at,
        "disabled_at": client.disabled_at,
    }


def _secret_row(client: LegacyClient, secret: StoredSecret) -> dict[str, object]:
    return {
        "client_name": client.name,
        "password_hash": secret.password_hash,
        "digest_secret": secret.digest_secret,
        "created_at": client.created_at,
        "not_after": secret.not_after,
    }


def _secrets_of(connection: Connection, name: str) -> tuple[StoredSecret, ...]:
    query = select(secrets).where(secrets.c.client_name == name).order_by(secrets.c.id.desc())
    return tuple(
        StoredSecret(row["password_hash"], row["digest_secret"], as_utc(row["not_after"]))
        for row in connection.execute(query).mappings()
    )


def _client(row: RowMapping, stored: tuple[StoredSecret, ...]) -> LegacyClient:
    return LegacyClient(
        name=row["name"],
        roles=frozenset(json.loads(row["roles"])),
        owners=frozenset(json.loads(row["owners"])),
        enabled=bool(row["enabled"]),
        created_at=as_utc(row["created_at"]) or utc_now(),
        disabled_at=as_utc(row["disabled_at"]),
        secrets=stored,
    )
