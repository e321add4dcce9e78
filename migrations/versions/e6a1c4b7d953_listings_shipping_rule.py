"""listings: the shipping rule (cheapest / fastest / fastest under a cap / a named method)

Revision ID: e6a1c4b7d953
Revises: b5e0d2c4f718
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e6a1c4b7d953"
down_revision = "b5e0d2c4f718"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipping_rule", sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_column("shipping_rule")
