"""each package is its own eBay shipping fulfillment: per-shipment upload state

Revision ID: d5e8f1a2b3c4
Revises: e6a1c4b7d953
Create Date: 2026-12-01 22:45:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5e8f1a2b3c4"
down_revision = "e6a1c4b7d953"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quantity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ebay_carrier_code", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "upload_state", sa.String(length=16), nullable=False, server_default="pending"
            )
        )
        batch_op.add_column(sa.Column("upload_message", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("ebay_fulfillment_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("uploaded_at")
        batch_op.drop_column("ebay_fulfillment_id")
        batch_op.drop_column("upload_message")
        batch_op.drop_column("upload_state")
        batch_op.drop_column("ebay_carrier_code")
        batch_op.drop_column("quantity")
