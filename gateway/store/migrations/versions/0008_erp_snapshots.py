"""The ERP change detector (issue 14.3): each event's origin, the detector's lease and cursor,
the pairs it reads and the reservations it tracks.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("origin", sa.String(20), nullable=False, server_default="gateway"),
    )
    op.create_table(
        "erp_detector",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("events_read", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "erp_watch",
        sa.Column("item_sku_id", sa.String(100), primary_key=True),
        sa.Column("warehouse_id", sa.String(50), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "erp_snapshots",
        sa.Column("reservation_id", sa.String(100), primary_key=True),
        sa.Column("item_sku_id", sa.String(100), nullable=False),
        sa.Column("warehouse_id", sa.String(50), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("reported", sa.String(20)),
        sa.Column("observed", sa.String(20)),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erp_snapshots")
    op.drop_table("erp_watch")
    op.drop_table("erp_detector")
    op.drop_column("events", "origin")
