"""scale (#19): search text + trigram index / FTS5 table, status counts, keyset and due indexes

Revision ID: d19a5ca1e000
Revises: d5e8f1a2b3c4
Create Date: 2026-12-01 23:00:00

Fills the new search_text and order_status_counts from the existing orders (the same rules as
autoorder.order_index, copied here: migrations never import app code).
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "d19a5ca1e000"
down_revision = "d5e8f1a2b3c4"
branch_labels = None
depends_on = None

ADDRESS_KEYS = ("name", "line1", "line2", "city", "state", "postal_code", "country")
OPEN_SHIP_BY = (
    "ship_by_flagged_at IS NULL AND status <> 'cancelled' AND tracking_status <> 'uploaded'"
)


def _search_text(username, name, title, ship_to):
    if isinstance(ship_to, str):
        try:
            ship_to = json.loads(ship_to)
        except ValueError:
            ship_to = None
    ship = ship_to if isinstance(ship_to, dict) else {}
    lines = []
    for part in [username, name, title, *(ship.get(key) for key in ADDRESS_KEYS)]:
        if isinstance(part, str) and part.strip() and part.strip().lower() not in lines:
            lines.append(part.strip().lower())
    return "\n".join(lines) or None


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.Text(), nullable=True))
        batch_op.drop_index("ix_orders_team_sold")
        batch_op.create_index("ix_orders_team_sold_id", ["team_id", "sold_at", "id"], unique=False)
        batch_op.create_index(
            "ix_orders_team_buyer_username", ["team_id", "buyer_username"], unique=False
        )
        batch_op.create_index(
            "ix_orders_team_tracking_number", ["team_id", "tracking_number"], unique=False
        )
        batch_op.create_index(
            "ix_orders_team_supplier_order", ["team_id", "supplier_order_number"], unique=False
        )
        batch_op.create_index(
            "ix_orders_failure_status_team", ["failure_code", "status", "team_id"], unique=False
        )
        batch_op.drop_index("ix_orders_tracking_due")
        batch_op.create_index(
            "ix_orders_tracking_due",
            ["status", "tracking_status", "next_tracking_check_at"],
            unique=False,
        )
        batch_op.drop_index("ix_orders_ship_by")  # replaced by the partial ix_orders_ship_by_open
    op.create_index(
        "ix_orders_ship_by_open",
        "orders",
        ["ship_by_at"],
        sqlite_where=sa.text(OPEN_SHIP_BY),
        postgresql_where=sa.text(OPEN_SHIP_BY),
    )
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_entries_team_created_id", ["team_id", "created_at", "id"], unique=False
        )
    op.create_table(
        "order_status_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("tracking_status", sa.String(length=32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_order_status_counts_team",
        "order_status_counts",
        ["team_id", "status", "tracking_status", "n"],
        unique=False,
    )

    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer),
        sa.column("buyer_username", sa.String),
        sa.column("buyer_name", sa.String),
        sa.column("title", sa.String),
        sa.column("ship_to", sa.JSON),
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                orders.c.id,
                orders.c.buyer_username,
                orders.c.buyer_name,
                orders.c.title,
                orders.c.ship_to,
            )
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        values = [{"oid": r[0], "t": _search_text(*r[1:])} for r in rows]
        bind.execute(sa.text("UPDATE orders SET search_text = :t WHERE id = :oid"), values)
        last = rows[-1][0]
    bind.execute(
        sa.text(
            "INSERT INTO order_status_counts (team_id, status, tracking_status, n) "
            "SELECT team_id, status, tracking_status, count(*) FROM orders "
            "GROUP BY team_id, status, tracking_status"
        )
    )
    if sqlite:
        op.execute("CREATE VIRTUAL TABLE orders_search USING fts5(search_text, tokenize='trigram')")
        op.execute(
            "INSERT INTO orders_search (rowid, search_text) "
            "SELECT id, search_text FROM orders WHERE search_text IS NOT NULL"
        )
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The extension lives in one schema per database (wherever it was first created), which
        # need not be on this connection's search_path: name its operator class by that schema.
        schema = bind.execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e "
                "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        ).scalar_one()
        opclass = f'"{schema}".gin_trgm_ops'
        op.execute(
            f"CREATE INDEX ix_orders_search_trgm ON orders USING gin (search_text {opclass})"
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS orders_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_orders_search_trgm")
    op.drop_index("ix_order_status_counts_team", table_name="order_status_counts")
    op.drop_table("order_status_counts")
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_entries_team_created_id")
    op.drop_index("ix_orders_ship_by_open", table_name="orders")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_ship_by", ["ship_by_flagged_at", "ship_by_at"], unique=False
        )
        batch_op.drop_index("ix_orders_tracking_due")
        batch_op.create_index(
            "ix_orders_tracking_due", ["tracking_status", "next_tracking_check_at"], unique=False
        )
        batch_op.drop_index("ix_orders_failure_status_team")
        batch_op.drop_index("ix_orders_team_supplier_order")
        batch_op.drop_index("ix_orders_team_tracking_number")
        batch_op.drop_index("ix_orders_team_buyer_username")
        batch_op.drop_index("ix_orders_team_sold_id")
        batch_op.create_index("ix_orders_team_sold", ["team_id", "sold_at"], unique=False)
        batch_op.drop_column("search_text")
