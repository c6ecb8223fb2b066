"""Legacy SOAP clients, their hashed secrets, and the UsernameToken nonces already used.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "legacy_clients",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("roles", sa.Text, nullable=False),
        sa.Column("owners", sa.Text, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("disabled_at", Stamp),
    )
    op.create_table(
        "legacy_client_secrets",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "client_name", sa.String(64), sa.ForeignKey("legacy_clients.name"), nullable=False
        ),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("digest_secret", sa.Text),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("not_after", Stamp),
    )
    op.create_index("legacy_secrets_by_client", "legacy_client_secrets", ["client_name"])
    op.create_table(
        "used_nonces",
        sa.Column("client_name", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), primary_key=True),
        sa.Column("expires_at", Stamp, nullable=False),
    )
    op.create_index("used_nonces_expiry", "used_nonces", ["expires_at"])


def downgrade() -> None:
    for table in ("used_nonces", "legacy_client_secrets", "legacy_clients"):
        op.drop_table(table)
