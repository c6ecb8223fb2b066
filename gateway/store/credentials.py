"""Upstream credentials (sealed), which process uses which, and every sealed value for re-keying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, RowMapping, Table, Update, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.domain.credentials import (
    CredentialKind,
    CredentialState,
    ProcessReport,
    UpstreamCredential,
)
from gateway.services.credentials.ports import ConcurrentChange, LegacySecretRow
from gateway.store import json
from gateway.store.json import as_utc
from gateway.store.tables import credential_processes as processes
from gateway.store.tables import legacy_client_secrets, webhook_secrets
from gateway.store.tables import upstream_credentials as credentials

SEALED_COLUMNS: dict[str, tuple[Table, str]] = {
    "upstream_credentials": (credentials, "sealed"),
    "legacy_client_secrets": (legacy_client_secrets, "digest_secret"),
    "webhook_secrets": (webhook_secrets, "sealed"),
}
"""Every column holding a value sealed under the master key: a master key rotation walks these."""


@dataclass(frozen=True)
class SealedValue:
    table: str
    row_id: int
    sealed: str


class CredentialStore:
    """Implements the credential repository on the gateway's database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def current_versions(self) -> dict[str, int]:
        """The version in use for each upstream: one cheap query, asked every few seconds."""
        query = select(credentials.c.name, credentials.c.version).where(
            credentials.c.state == CredentialState.CURRENT
        )
        with self._engine.connect() as connection:
            return {row.name: row.version for row in connection.execute(query)}

    def current(self, name: str) -> tuple[UpstreamCredential, str] | None:
        """The credential in use for ``name`` and its sealed value, or None."""
        query = select(credentials).where(
            credentials.c.name == name, credentials.c.state == CredentialState.CURRENT
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else (_credential(row), row["sealed"])

    def history(self, name: str | None = None) -> list[UpstreamCredential]:
        """Every stored version (of ``name``, or of all), newest first within a name."""
        query = select(credentials).order_by(credentials.c.name, credentials.c.version.desc())
        if name is not None:
            query = query.where(credentials.c.name == name)
        with self._engine.connect() as connection:
            return [_credential(row) for row in connection.execute(query).mappings()]

    def store_current(
        self, new: UpstreamCredential, sealed: str, demote_to: CredentialState
    ) -> UpstreamCredential:
        """Make ``new`` current and the one before it ``demote_to`` (previous or retired)."""
        try:
            with self._engine.begin() as connection:
                last = connection.execute(
                    select(func.max(credentials.c.version)).where(credentials.c.name == new.name)
                ).scalar()
                if (last or 0) + 1 != new.version:
                    raise ConcurrentChange(new.name)
                connection.execute(_demote(new.name, CredentialState.CURRENT, demote_to, new))
                connection.execute(insert(credentials).values(**_row(new), sealed=sealed))
        except IntegrityError:
            raise ConcurrentChange(new.name) from None
        return new

    def retire(self, name: str, state: CredentialState, now: datetime) -> int:
        """Retire every version of ``name`` in ``state``, forgetting their values."""
        with self._engine.begin() as connection:
            retired = connection.execute(
                update(credentials)
                .where(credentials.c.name == name, credentials.c.state == state)
                .values(state=CredentialState.RETIRED, sealed=None, retired_at=now)
            )
            return int(retired.rowcount)

    def report(
        self, process_id: str, versions: dict[str, int], key_ids: list[str], now: datetime
    ) -> None:
        """Record what this process uses now (its heartbeat)."""
        values = {"versions": json.dumps(versions), "key_ids": json.dumps(key_ids), "seen_at": now}
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(processes).where(processes.c.process_id == process_id).values(**values)
            )
            if changed.rowcount == 0:
                connection.execute(insert(processes).values(process_id=process_id, **values))

    def reports(self, seen_since: datetime) -> list[ProcessReport]:
        """What each process seen since ``seen_since`` last reported."""
        query = select(processes).where(processes.c.seen_at >= seen_since)
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(processes.c.process_id)).mappings().all()
        return [
            ProcessReport(
                row["process_id"],
                dict(json.loads(row["versions"])),
                tuple(json.loads(row["key_ids"])),
                as_utc(row["seen_at"]) or seen_since,
            )
            for row in rows
        ]

    def forget_process(self, process_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(processes).where(processes.c.process_id == process_id))

    def sealed_values(self) -> list[SealedValue]:
        """Every value sealed under the master key, wherever it is kept."""
        found: list[SealedValue] = []
        with self._engine.connect() as connection:
            for name, (table, column) in SEALED_COLUMNS.items():
                query = select(table.c.id, table.c[column]).where(table.c[column].is_not(None))
                found += [SealedValue(name, row[0], row[1]) for row in connection.execute(query)]
        return found

    def replace_sealed(self, value: SealedValue, resealed: str) -> bool:
        """Swap one sealed value for its re-sealed form, unless it changed meanwhile."""
        table, column = SEALED_COLUMNS[value.table]
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(table)
                .where(table.c.id == value.row_id, table.c[column] == value.sealed)
                .values({column: resealed})
            )
            return changed.rowcount == 1

    def legacy_secrets(self) -> list[LegacySecretRow]:
        """Every legacy client secret (hash and dates, never a sealed value), newest first."""
        table = legacy_client_secrets
        query = select(table).order_by(table.c.client_name, table.c.id.desc())
        with self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            LegacySecretRow(
                row["client_name"],
                row["password_hash"],
                row["digest_secret"] is not None,
                as_utc(row["created_at"]),
                as_utc(row["not_after"]),
            )
            for row in rows
        ]


def _demote(
    name: str, state: CredentialState, to: CredentialState, new: UpstreamCredential
) -> Update:
    values: dict[str, object] = {"state": to}
    if to is CredentialState.RETIRED:
        values |= {"sealed": None, "retired_at": new.created_at}
    where = (credentials.c.name == name, credentials.c.state == state)
    return update(credentials).where(*where).values(**values)


def _row(credential: UpstreamCredential) -> dict[str, object]:
    return {
        "name": credential.name,
        "version": credential.version,
        "kind": credential.kind.value,
        "client_id": credential.client_id,
        "fingerprint": credential.fingerprint,
        "state": credential.state.value,
        "created_at": credential.created_at,
        "created_by": credential.created_by,
        "expires_at": credential.expires_at,
        "retired_at": credential.retired_at,
    }


def _credential(row: RowMapping) -> UpstreamCredential:
    return UpstreamCredential(
        name=row["name"],
        version=row["version"],
        kind=CredentialKind(row["kind"]),
        client_id=row["client_id"],
        fingerprint=row["fingerprint"],
        state=CredentialState(row["state"]),
        created_at=as_utc(row["created_at"]) or datetime.min,
        created_by=row["created_by"],
        expires_at=as_utc(row["expires_at"]),
        retired_at=as_utc(row["retired_at"]),
    )
