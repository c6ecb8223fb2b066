"""Webhook subscriptions and their deliveries (issue 14.1).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Stamp = sa.DateTime(timezone=True)
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_types", sa.Text, nullable=False),
        sa.Column("owners", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("disabled_at", Stamp),
        sa.Column("disabled_reason", sa.Text),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("retry_at", Stamp),
        sa.Column("lease_holder", sa.String(120)),
        sa.Column("lease_until", Stamp),
    )
    op.create_index("webhook_subscriptions_by_state", "webhook_subscriptions", ["state"])
    op.create_table(
        "webhook_secrets",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.String(40),
            sa.ForeignKey("webhook_subscriptions.id"),
            nullable=False,
        ),
        sa.Column("sealed", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(100), nullable=False),
        sa.Column("created_at", Stamp, nullable=False),
        sa.Column("not_after", Stamp),
    )
    op.create_index("webhook_secrets_by_subscription", "webhook_secrets", ["subscription_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.String(40), nullable=False),
        sa.Column("event_id", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_attempt_at", Stamp, nullable=False),
        sa.Column("last_attempt_at", Stamp),
        sa.Column("next_attempt_at", Stamp),
        sa.Column("give_up_at", Stamp, nullable=False),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered_at", Stamp),
        sa.UniqueConstraint("subscription_id", "event_id", name="webhook_delivery_once"),
    )
    op.create_index(
        "webhook_deliveries_by_state", "webhook_deliveries", ["subscription_id", "state"]
    )


def downgrade() -> None:
    op.drop_index("webhook_deliveries_by_state", "webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index("webhook_secrets_by_subscription", "webhook_secrets")
    op.drop_table("webhook_secrets")
    op.drop_index("webhook_subscriptions_by_state", "webhook_subscriptions")
    op.drop_table("webhook_subscriptions")
