"""supplier selector overrides (versioned, who/when), the bots' dry-run canary, shipments (packages)

Revision ID: c3d9e1f7a2b4
Revises: f472d6f67f67
Create Date: 2026-12-01 20:10:00
"""

import sqlalchemy as sa
from alembic import op

import autoorder.models.types

# revision identifiers, used by Alembic.
revision = "c3d9e1f7a2b4"
down_revision = "f472d6f67f67"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "supplier_selector_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("selectors", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=255), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", autoorder.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_selector_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supplier_selector_overrides_supplier_id"), ["supplier_id"], unique=False
        )
    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=True),
        sa.Column("updated_at", autoorder.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "tracking_number"),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("canary_enabled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_canary_at", autoorder.models.types.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("last_canary_result", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.drop_column("last_canary_result")
        batch_op.drop_column("last_canary_at")
        batch_op.drop_column("canary_enabled")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
    op.drop_table("shipments")
    with op.batch_alter_table("supplier_selector_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supplier_selector_overrides_supplier_id"))
    op.drop_table("supplier_selector_overrides")
