"""A hand-off: a supplier challenge (captcha, slider, one-time code) a person passes from the
dashboard's live view. This row is the hand-off's state of record; Redis only carries its frames
and the person's input, which may be lost (autoorder.handoff, autoorder.live_view)."""

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoorder import clock
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime


class Handoff(db.Model):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_expires", "status", "expires_at"),
        Index("ix_handoffs_bot_status", "bot_id", "status"),
        Index("ix_handoffs_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    bot_id: Mapped[int] = mapped_column(ForeignKey("order_bots.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_attempts.id"))
    kind: Mapped[str] = mapped_column(String(32))  # a scrapers.base.CHALLENGE_KINDS key
    message: Mapped[str] = mapped_column(Text)  # what the supplier asked, in words
    # waiting (for the hand-off process) | live (its browser shows the challenge) | passed |
    # gave_up | timed_out | failed
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)  # the time limit
    live_at = mapped_column(UTCDateTime)  # the challenge is on screen in the live view
    seen_at = mapped_column(UTCDateTime)  # the hand-off process's last heartbeat
    worker: Mapped[str | None] = mapped_column(String(255))  # which process serves it
    ended_at = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(128))  # user:<id> | system
    outcome: Mapped[str | None] = mapped_column(Text)  # how it ended, in words

    order = relationship("Order")
    bot = relationship("OrderBot")

    def __repr__(self):
        return f"<Handoff {self.id} order={self.order_id} {self.kind} {self.status}>"
