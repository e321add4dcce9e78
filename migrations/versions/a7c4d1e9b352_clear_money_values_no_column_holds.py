"""clear money values stored before issue 10 that no Numeric(12,2) can hold (Infinity, NaN, 1e30)

Revision ID: a7c4d1e9b352
Revises: 8d3e2a6f4c10
Create Date: 2026-12-01 19:55:00

SQLite kept such values (as REAL) and PostgreSQL kept NaN; every page that shows them then failed.
They were never valid amounts: they become NULL ("not set"). Nothing to undo on downgrade.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "a7c4d1e9b352"
down_revision = "8d3e2a6f4c10"
branch_labels = None
depends_on = None

MONEY_COLUMNS = (
    ("teams", "max_buy_price"),
    ("teams", "min_profit"),
    ("order_bots", "gift_card_balance"),
    ("listings", "max_buy_price"),
    ("orders", "supplier_cost"),
)
LIMIT = "9999999999.99"


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, column in MONEY_COLUMNS:
        bad = f"{column} > {LIMIT} OR {column} < -{LIMIT}"
        if postgres:
            bad = f"{column} = 'NaN'::numeric OR " + bad
        op.execute(f"UPDATE {table} SET {column} = NULL WHERE {bad}")
    # A package needs a price: one no column holds is no offer; take it off sale at 0.
    bad = f"price > {LIMIT} OR price < 0" + (" OR price = 'NaN'::numeric" if postgres else "")
    op.execute(f"UPDATE credit_packages SET price = 0, active = FALSE WHERE {bad}")


def downgrade():
    pass
