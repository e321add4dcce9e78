"""Teams and their users."""

from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, Numeric, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from autoorder import clock
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime

ROLES = ("admin", "member")


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    # Per-team settings; None means "use the server default from the environment".
    order_buffer_seconds: Mapped[int | None]
    max_buy_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    min_profit: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Orders go as gifts (a gift receipt: no prices to the eBay buyer) where the supplier can.
    send_as_gift: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Notifications (autoorder.notifications): tell the team when credits or a bot's gift-card
    # balance fall to these (None: the defaults there).
    notify_credits_below: Mapped[int | None]
    notify_gift_card_below: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    users = relationship("User", back_populates="team")

    def __repr__(self):
        return f"<Team {self.id}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    active: Mapped[bool] = mapped_column(default=True)
    # The server operator (server-wide: job dashboard, packages for every team, recording
    # payments, eBay set-up); independent of the team role. `flask create-admin` makes the first.
    is_operator: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Bumped by logout and password change: every session and remember cookie carries the value it
    # was issued with (``get_id``), so older ones stop working at once.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    last_login_at = mapped_column(UTCDateTime)

    team = relationship("Team", back_populates="users")

    def set_password(self, password: str) -> None:
        if len(password) < 8:
            raise ValueError("a password needs at least 8 characters")
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: stored in the session and the remember cookie
        return f"{self.id}:{self.session_generation or 0}"

    def end_sessions(self) -> None:
        """Revoke every session and remember cookie issued so far (the caller commits)."""
        self.session_generation = (self.session_generation or 0) + 1

    def __repr__(self):
        return f"<User {self.id} team={self.team_id} role={self.role}>"


class SignIn(db.Model):
    """One sign-in attempt (audit, and the login throttle's memory: it survives a Redis flush)."""

    __tablename__ = "sign_ins"
    __table_args__ = (
        Index("ix_sign_ins_email_at", "email", "at"),
        Index("ix_sign_ins_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    email: Mapped[str] = mapped_column(String(255))  # as typed (normalised), known user or not
    ip: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    # ok | wrong_password | unknown_user | inactive | throttled
    result: Mapped[str] = mapped_column(String(32))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    def __repr__(self):
        return f"<SignIn {self.id} user={self.user_id} {self.result}>"
