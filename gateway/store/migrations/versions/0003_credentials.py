"""Upstream credentials (sealed under the master key) and which gateway process uses which.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "upstream_credentials",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("sealed", sa.Text),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("expires_at", Stamp),
        sa.Column("retired_at", Stamp),
        sa.UniqueConstraint("name", "version", name="upstream_credential_version"),
    )
    op.create_index("upstream_credentials_by_state", "upstream_credentials", ["name", "state"])
    op.create_table(
        "credential_processes",
        sa.Column("process_id", sa.String(120), primary_key=True),
        sa.Column("versions", sa.Text, nullable=False),
        sa.Column("key_ids", sa.Text, nullable=False),
        sa.Column("seen_at", Stamp, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("credential_processes")
    op.drop_table("upstream_credentials")
