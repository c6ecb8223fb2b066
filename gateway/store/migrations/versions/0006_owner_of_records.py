"""The owner each audit entry and outbox entry belongs to, so an admin sees its own scope.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_entries", sa.Column("owner_id", sa.String(50)))
    op.create_index("audit_by_owner", "audit_entries", ["owner_id", "id"])
    op.add_column("outbox", sa.Column("owner_id", sa.String(50)))


def downgrade() -> None:
    op.drop_column("outbox", "owner_id")
    op.drop_index("audit_by_owner", "audit_entries")
    op.drop_column("audit_entries", "owner_id")
