"""Idempotency records, audit entries, events and outbox.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "idempotency_records",
        sa.Column("caller", sa.String(200), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("locked_until", Stamp, nullable=False),
        sa.Column("status_code", sa.Integer),
        sa.Column("response_body", sa.Text),
        sa.Column("response_headers", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("completed_at", Stamp),
    )
    op.create_table(
        "audit_entries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("target_type", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("correlation_id", sa.String(128)),
    )
    op.create_index("audit_by_target", "audit_entries", ["target_type", "target_id"])
    op.create_table(
        "events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("at", Stamp, nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.String(100), nullable=False),
        sa.Column("owner_id", sa.String(50)),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("correlation_id", sa.String(128)),
        sa.Column("dedupe_key", sa.String(200), unique=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", Stamp, nullable=False),
        sa.Column("claimed_until", Stamp),
        sa.Column("last_error", sa.Text),
        sa.Column("done_at", Stamp),
        sa.Column("correlation_id", sa.String(128)),
    )
    op.create_index("outbox_due", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    for table in ("outbox", "events", "audit_entries", "idempotency_records"):
        op.drop_table(table)
