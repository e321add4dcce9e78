"""order bots: checkout lock (one checkout per supplier account at a time)

Revision ID: 7b2e4c1d9a30
Revises: 0a61ecec2b18
Create Date: 2026-12-01 19:45:00

"""

import sqlalchemy as sa
from alembic import op

revision = "7b2e4c1d9a30"
down_revision = "0a61ecec2b18"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_lock_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("checkout_lock_expires_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.drop_column("checkout_lock_expires_at")
        batch_op.drop_column("checkout_lock_owner")
