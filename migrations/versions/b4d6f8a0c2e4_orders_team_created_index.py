"""orders (team_id, created_at): the sales poll's new-sale scan reads only the new sales (#19)

Revision ID: b4d6f8a0c2e4
Revises: a3c5e7f9b1d2
Create Date: 2026-12-02 01:45:00

Every poll of page 1 looks for sales created since the page rendered; through (team_id, sold_at)
it read every sale of the last two days (2,300 rows at a million orders) to find none.
"""

from alembic import op

revision = "b4d6f8a0c2e4"
down_revision = "a3c5e7f9b1d2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_team_created", ["team_id", "created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_team_created")
