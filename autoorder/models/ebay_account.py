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
