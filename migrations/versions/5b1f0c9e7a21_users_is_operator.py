"""users.is_operator: the server operator role (separate from a team's admin)

Revision ID: 5b1f0c9e7a21
Revises: 7b2e4c1d9a30
Create Date: 2026-12-01 19:30:00

The earliest admin (lowest id) becomes the operator, as `flask create-admin` would have made them.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5b1f0c9e7a21"
down_revision = "7b2e4c1d9a30"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_operator", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE users SET is_operator = TRUE WHERE id = "
        "(SELECT MIN(id) FROM users WHERE role = 'admin')"
    )


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_operator")
