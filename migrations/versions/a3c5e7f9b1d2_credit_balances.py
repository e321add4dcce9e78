"""credit_balances: each team's credit balance, kept in step with its ledger (#19)

Revision ID: a3c5e7f9b1d2
Revises: f1c2a3b4d5e6
Create Date: 2026-12-02 01:40:00

The navigation showed the balance on every page as a SUM over the team's whole ledger (190 ms at
746,000 entries); now it reads one row, which every ledger insert updates in its transaction.
Filled here from the existing ledger.
"""

import sqlalchemy as sa
from alembic import op

revision = "a3c5e7f9b1d2"
down_revision = "f1c2a3b4d5e6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "credit_balances",
        sa.Column("team_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_credit_balances_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_credit_balances")),
    )
    op.execute(
        "INSERT INTO credit_balances (team_id, balance) "
        "SELECT team_id, sum(delta) FROM credit_entries GROUP BY team_id"
    )


def downgrade():
    op.drop_table("credit_balances")
