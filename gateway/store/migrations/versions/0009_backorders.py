"""Backorders (issue 15.2): what partial creates still wait for, and the filler's lease.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backorders",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("item_sku_id", sa.String(100), nullable=False),
        sa.Column("warehouse_id", sa.String(50), nullable=False),
        sa.Column("requested", sa.String(40), nullable=False),
        sa.Column("quantity", sa.String(40), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("source_type", sa.String(20), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("owner_id", sa.String(50), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("fills", sa.Integer, nullable=False),
        sa.Column("uom", sa.String(20)),
        sa.Column("location", sa.String(40)),
        sa.Column("lot", sa.String(40)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("filling", sa.String(40)),
    )
    op.create_index("backorders_open", "backorders", ["status", "item_sku_id", "warehouse_id"])
    op.create_index("backorders_by_owner", "backorders", ["owner_id", "status"])
    op.create_table(
        "backorder_filler",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(120), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("backorder_filler")
    op.drop_index("backorders_by_owner", "backorders")
    op.drop_index("backorders_open", "backorders")
    op.drop_table("backorders")
