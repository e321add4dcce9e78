"""Notifications (issue 17): a team's targets (apprise URLs, encrypted), the in-app list, and one
delivery row per (notification, target) that says whether that message went out."""

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoorder import clock
from autoorder.crypto import EncryptedText
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime


class NotificationTarget(db.Model):
    """Where a team's messages go: an apprise URL (mailtos://, json://, slack://, tgram://…).

    The URL holds passwords and tokens: encrypted at rest, never shown back (``display`` is the
    scheme and, where it is a host name, the host)."""

    __tablename__ = "notification_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    url = mapped_column(EncryptedText, nullable=False)
    display: Mapped[str] = mapped_column(String(255))  # masked, e.g. "mailtos://smtp.example.com"
    label: Mapped[str | None] = mapped_column(String(120))
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    def __repr__(self):
        return f"<NotificationTarget {self.id} team={self.team_id}>"


class Notification(db.Model):
    """One event told to a team: the in-app list. ``dedup_key`` (kind, key and the window it
    falls in) is unique per team, so an event is recorded once per window however often it is
    raised, by however many workers at once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("team_id", "dedup_key"),
        Index("ix_notifications_team_created", "team_id", "created_at"),
        Index("ix_notifications_team_read", "team_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    kind: Mapped[str] = mapped_column(String(32))
    dedup_key: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))  # a path in the dashboard, e.g. /orders/7
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    read_at = mapped_column(UTCDateTime)

    deliveries = relationship(
        "NotificationDelivery", order_by="NotificationDelivery.id", back_populates="notification"
    )

    def __repr__(self):
        return f"<Notification {self.id} team={self.team_id} {self.kind}>"


class NotificationDelivery(db.Model):
    """One notification to one target: pending → sending → sent | failed (with the error text).

    A job takes a row with a conditional UPDATE (pending → sending) before it sends, so a second
    run of the same job never sends it again."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "target_id"),
        Index("ix_notification_deliveries_state", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("notification_targets.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at = mapped_column(UTCDateTime)
    sent_at = mapped_column(UTCDateTime)
    updated_at = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False)

    notification = relationship("Notification", back_populates="deliveries")
    target = relationship("NotificationTarget")

    def __repr__(self):
        return f"<NotificationDelivery {self.id} {self.state}>"
