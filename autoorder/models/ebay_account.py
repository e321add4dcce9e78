"""Connected eBay seller accounts, eBay API usage and account-deletion notices."""

from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
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
    shown on the settings page and read again by id (getOrder) on later polls until it can be
    ingested.
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


class EbayApiUsage(db.Model):
    """How many eBay API calls this application made on one eBay day, per operation.

    eBay counts an application's call limits per day, and its day starts at midnight
    America/Los_Angeles; ``day`` is that date. Kept in the database (not Redis) so the count
    survives a flushed Redis and is shared by every worker. See autoorder.ebay.budget.
    """

    __tablename__ = "ebay_api_usage"
    __table_args__ = (db.UniqueConstraint("client_id", "day", "operation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128))
    day: Mapped[date] = mapped_column(Date)
    operation: Mapped[str] = mapped_column(String(64))
    calls: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<EbayApiUsage {self.day} {self.operation}={self.calls}>"


class EbayDeletionNotice(db.Model):
    """One Marketplace Account Deletion notification from eBay, acknowledged at once and acted on
    by a job (autoorder.jobs.privacy.erase_ebay_user). The eBay user's id and username are kept only
    until the job has erased their data, then cleared; the counts stay as the record."""

    __tablename__ = "ebay_deletion_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(128), unique=True)
    ebay_user_id: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(128))
    event_date = mapped_column(UTCDateTime)
    received_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    processed_at = mapped_column(UTCDateTime)
    orders_erased: Mapped[int] = mapped_column(default=0)
    accounts_erased: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<EbayDeletionNotice {self.id} processed={self.processed_at is not None}>"
