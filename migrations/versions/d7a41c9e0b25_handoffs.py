"""handoffs: a supplier challenge waiting for a person (the live view's state of record)

Revision ID: d7a41c9e0b25
Revises: d19a5ca1e000
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d7a41c9e0b25"
down_revision = "d19a5ca1e000"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("live_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=255), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=128), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["bot_id"], ["order_bots.id"]),
        sa.ForeignKeyConstraint(["attempt_id"], ["purchase_attempts.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handoffs_status_expires", "handoffs", ["status", "expires_at"])
    op.create_index("ix_handoffs_bot_status", "handoffs", ["bot_id", "status"])
    op.create_index("ix_handoffs_order", "handoffs", ["order_id"])


def downgrade():
    op.drop_index("ix_handoffs_order", table_name="handoffs")
    op.drop_index("ix_handoffs_bot_status", table_name="handoffs")
    op.drop_index("ix_handoffs_status_expires", table_name="handoffs")
    op.drop_table("handoffs")
