"""order limits per bot, gift-card ledger, waiting reasons, attempts per bot, SKU rules

Revision ID: d8a1f3c5e7b9
Revises: e5a1c7d93b20
Create Date: 2026-12-01 22:50:00

"""

import sqlalchemy as sa
from alembic import op

import autoorder.models.types

# revision identifiers, used by Alembic.
revision = "d8a1f3c5e7b9"
down_revision = "e5a1c7d93b20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_orders_per_hour", sa.Integer(), server_default="10", nullable=False)
        )
        batch_op.add_column(
            sa.Column("max_orders_per_day", sa.Integer(), server_default="50", nullable=False)
        )
        batch_op.add_column(
            sa.Column("min_gap_seconds", sa.Integer(), server_default="60", nullable=False)
        )
        batch_op.add_column(sa.Column("quiet_start", sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column("quiet_end", sa.String(length=5), nullable=True))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wait_reason", sa.String(length=32), nullable=True))
    with op.batch_alter_table("purchase_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bot_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_purchase_attempts_bot_id_order_bots", "order_bots", ["bot_id"], ["id"]
        )
        batch_op.create_index(
            "ix_purchase_attempts_bot_placing", ["bot_id", "placing_at"], unique=False
        )
    op.create_table(
        "gift_card_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=100), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=True),
        sa.Column("at", autoorder.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bot_id"], ["order_bots.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("gift_card_entries", schema=None) as batch_op:
        batch_op.create_index("ix_gift_card_entries_bot", ["bot_id", "id"], unique=False)
    # A balance typed by hand before the ledger existed becomes its first entry.
    op.execute(
        "INSERT INTO gift_card_entries (team_id, bot_id, kind, amount, actor, note, at) "
        "SELECT team_id, id, 'set', gift_card_balance, 'migration', "
        "'balance entered before the ledger', CURRENT_TIMESTAMP FROM order_bots "
        "WHERE gift_card_balance IS NOT NULL"
    )
    op.create_table(
        "sku_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=200), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("max_buy_price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", autoorder.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["bot_id"], ["order_bots.id"]),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sku_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sku_rules_team_id"), ["team_id"], unique=False)


def downgrade():
    with op.batch_alter_table("sku_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sku_rules_team_id"))
    op.drop_table("sku_rules")
    with op.batch_alter_table("gift_card_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_gift_card_entries_bot")
    op.drop_table("gift_card_entries")
    with op.batch_alter_table("purchase_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_attempts_bot_placing")
        batch_op.drop_constraint("fk_purchase_attempts_bot_id_order_bots", type_="foreignkey")
        batch_op.drop_column("bot_id")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("wait_reason")
    with op.batch_alter_table("order_bots", schema=None) as batch_op:
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
        batch_op.drop_column("min_gap_seconds")
        batch_op.drop_column("max_orders_per_day")
        batch_op.drop_column("max_orders_per_hour")
