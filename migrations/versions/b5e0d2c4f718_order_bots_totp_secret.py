"""order bots: the account's authenticator key (TOTP), encrypted

Revision ID: b5e0d2c4f718
Revises: c3d9e1f7a2b4
Create Date: 2026-12-01 22:40:00
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b5e0d2c4f718"
down_revision = "c3d9e1f7a2b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.drop_column("totp_secret")
