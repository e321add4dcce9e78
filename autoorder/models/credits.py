"""Credit packages, the append-only credit ledger, and each team's balance (the ledger's sum,
kept in step with every ledger insert in the same transaction: reading it is one row, whatever
the size of the ledger)."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, event, func, select, text
from sqlalchemy.orm import Mapped, mapped_column

from autoorder import clock
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime


class CreditPackage(db.Model):
    __tablename__ = "credit_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: offered to every team (set up by the server operator); else that team's own package.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    credits: Mapped[int]
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    active: Mapped[bool] = mapped_column(default=True)


class CreditEntry(db.Model):
    """A ledger line. ``key`` is unique so each purchase or order is booked exactly once."""

    __tablename__ = "credit_entries"
    # The console ledger's order (newest first) and its keyset pages (#19).
    __table_args__ = (Index("ix_credit_entries_team_created_id", "team_id", "created_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    key: Mapped[str] = mapped_column(String(128), unique=True)  # e.g. "order:42", "purchase:<uuid>"
    delta: Mapped[int]
    reason: Mapped[str] = mapped_column(String(32))  # purchase | order | adjustment
    package_id: Mapped[int | None] = mapped_column(ForeignKey("credit_packages.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    note: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    @staticmethod
    def balance(team_id: int) -> int:
        """Return the team's credit balance: its maintained balance row (equal to the sum of its
        ledger; see CreditBalance), one primary-key lookup."""
        total = db.session.scalar(
            select(CreditBalance.balance).where(CreditBalance.team_id == team_id)
        )
        return int(total or 0)

    @staticmethod
    def ledger_sum(team_id: int) -> int:
        """The sum of the team's ledger (a scan of its entries: for checks and repairs)."""
        total = db.session.scalar(
            select(func.coalesce(func.sum(CreditEntry.delta), 0)).where(
                CreditEntry.team_id == team_id
            )
        )
        return int(total)

    def __repr__(self):
        return f"<CreditEntry {self.id} team={self.team_id} {self.delta:+d} {self.reason}>"


class CreditBalance(db.Model):
    """A team's credit balance: the sum of its ledger entries, maintained.

    Every ledger insert adds its delta here in the same transaction (``_add_to_balance``, an
    ``after_insert`` hook), with one atomic upsert — ``balance = balance + delta`` — so two
    writers on PostgreSQL queue on the row and neither's delta is lost; a rolled-back entry
    rolls its delta back with it. No row: a balance of 0. The ledger stays the truth:
    ``autoorder.credits.rebuild_balances`` (``flask credits recompute``) recomputes these rows
    from it, ``check_balances`` (``--check``) compares them.
    """

    __tablename__ = "credit_balances"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id"), primary_key=True, autoincrement=False
    )
    balance: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<CreditBalance team={self.team_id} {self.balance}>"


# Both PostgreSQL and SQLite (3.24+) speak this upsert; on conflict PostgreSQL re-reads the row
# as committed by a concurrent writer (it waits for that writer's lock), so the sum is exact.
ADD_TO_BALANCE = text(
    "INSERT INTO credit_balances (team_id, balance) VALUES (:team_id, :delta) "
    "ON CONFLICT (team_id) DO UPDATE SET balance = credit_balances.balance + excluded.balance"
)


@event.listens_for(CreditEntry, "after_insert")
def _add_to_balance(mapper, connection, target):
    connection.execute(ADD_TO_BALANCE, {"team_id": target.team_id, "delta": target.delta})
