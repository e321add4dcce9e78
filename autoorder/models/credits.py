"""Credit packages and the append-only credit ledger (balance = sum of entries)."""

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, func, select
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
        """Return the team's credit balance: the sum of its ledger."""
        total = db.session.scalar(
            select(func.coalesce(func.sum(CreditEntry.delta), 0)).where(
                CreditEntry.team_id == team_id
            )
        )
        return int(total)

    def __repr__(self):
        return f"<CreditEntry {self.id} team={self.team_id} {self.delta:+d} {self.reason}>"
