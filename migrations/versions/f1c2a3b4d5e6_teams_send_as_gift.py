"""teams: send orders as gifts (a gift receipt, no prices to the buyer) where the supplier can

Revision ID: f1c2a3b4d5e6
Revises: d8a1f3c5e7b9
Create Date: 2026-12-02 00:25:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f1c2a3b4d5e6"
down_revision = "d8a1f3c5e7b9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("send_as_gift", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("send_as_gift")
