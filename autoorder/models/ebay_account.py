"""Connected eBay seller accounts."""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from autoorder import clock
from autoorder.crypto import EncryptedText
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime


class EbayAccount(db.Model):
    __tablename__ = "ebay_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # the seller's eBay user id, for display
    status: Mapped[str] = mapped_column(String(32), default="connected")  # | reconnect_needed
    access_token = mapped_column(EncryptedText)
    access_token_expires_at = mapped_column(UTCDateTime)
    refresh_token = mapped_column(EncryptedText)
    refresh_token_expires_at = mapped_column(UTCDateTime)
    poll_cursor = mapped_column(UTCDateTime)  # lastModifiedDate high-water mark
    last_polled_at = mapped_column(UTCDateTime)
    next_poll_at = mapped_column(UTCDateTime)
    poll_failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    def __repr__(self):
        return f"<EbayAccount {self.id} team={self.team_id} status={self.status}>"


class EbayOrderProblem(db.Model):
    """An eBay order the poller could not read (a line item without an id, a bad date…).

    Recorded so the account's polling goes on for every other order and this one is not lost: it is
    shown on the settings page and read again by id (getOrder) on later polls until it can be ingested.
    """

    __tablename__ = "ebay_order_problems"
    __table_args__ = (db.UniqueConstraint("ebay_account_id", "ebay_order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ebay_account_id: Mapped[int] = mapped_column(ForeignKey("ebay_accounts.id"), index=True)
    ebay_order_id: Mapped[str | None] = mapped_column(String(64))  # None: eBay sent no usable id
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    first_seen_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    resolved_at = mapped_column(UTCDateTime)

    def __repr__(self):
        return f"<EbayOrderProblem {self.ebay_order_id} account={self.ebay_account_id}>"
