"""Durable write plans, one lock row per work order, and the plan behind an idempotency key.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "write_plans",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("operation", sa.String(50), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("steps", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("correlation_id", sa.String(128)),
        sa.Column("lease_until", Stamp, nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("updated_at", Stamp, nullable=False),
        sa.Column("finished_at", Stamp),
    )
    op.create_index("write_plans_running", "write_plans", ["state", "lease_until"])
    op.create_table(
        "work_order_locks",
        sa.Column("work_order_id", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(40), nullable=False),
        sa.Column("locked_until", Stamp, nullable=False),
    )
    op.add_column("idempotency_records", sa.Column("plan_id", sa.String(40)))
    op.add_column("outbox", sa.Column("plan_id", sa.String(40)))


def downgrade() -> None:
    op.drop_column("outbox", "plan_id")
    op.drop_column("idempotency_records", "plan_id")
    op.drop_table("work_order_locks")
    op.drop_table("write_plans")
