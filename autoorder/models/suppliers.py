"""Suppliers, the order bots that buy from them, and listings mapped to supplier products."""

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoorder import clock
from autoorder.crypto import EncryptedText
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime

PAYMENT_METHODS = ("card", "gift_card")


class Supplier(db.Model):
    """A supplier website; ``key`` names its adapter in autoorder.scrapers."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    base_url: Mapped[str] = mapped_column(String(500))

    def __repr__(self):
        return f"<Supplier {self.id} {self.key}>"


class SelectorOverride(db.Model):
    """One saved version of a supplier's selector override (JSON: name -> [fallbacks]), kept with
    who saved it and when. The newest row is the one in force; older rows are the history a
    version can be restored from (restoring saves a new row). An empty object means none."""

    __tablename__ = "supplier_selector_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    selectors: Mapped[dict] = mapped_column(JSON, default=dict)
    saved_by: Mapped[str] = mapped_column(String(255))  # the operator's email
    note: Mapped[str | None] = mapped_column(String(200))
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)


class OrderBot(db.Model):
    """One supplier account that places orders. Every secret column is encrypted at rest."""

    __tablename__ = "order_bots"
    __table_args__ = (UniqueConstraint("team_id", "supplier_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    name: Mapped[str] = mapped_column(String(120))
    account_email: Mapped[str] = mapped_column(String(255))
    password = mapped_column(EncryptedText, nullable=False)
    payment_method: Mapped[str] = mapped_column(String(16), default="card")
    card_holder = mapped_column(EncryptedText)
    card_number = mapped_column(EncryptedText)
    card_expiry = mapped_column(EncryptedText)  # MM/YY
    card_cvc = mapped_column(EncryptedText)
    card_last4: Mapped[str | None] = mapped_column(String(4))  # for the masked display only
    billing_address: Mapped[dict | None] = mapped_column(JSON)
    gift_card_balance: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The account's authenticator key (TOTP, autoorder.otp): write-only like the password.
    totp_secret = mapped_column(EncryptedText)
    enabled: Mapped[bool] = mapped_column(default=True)
    browser_state = mapped_column(EncryptedText)  # Playwright storage state (cookies) as JSON
    browser_state_saved_at = mapped_column(UTCDateTime)
    # The last "test login" (state pending|done, ok, code, message), shown on the bots page.
    last_login_check_at = mapped_column(UTCDateTime)
    last_login_check_result: Mapped[dict | None] = mapped_column(JSON)
    # One checkout per supplier account at a time (autoorder.account_lock): who holds it, until
    # when.
    checkout_lock_owner: Mapped[str | None] = mapped_column(String(200))
    checkout_lock_expires_at = mapped_column(UTCDateTime)
    # The dry-run canary (jobs.canary): periodic when enabled (daily), its last result per step.
    canary_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_canary_at = mapped_column(UTCDateTime)
    last_canary_result: Mapped[dict | None] = mapped_column(JSON)
    # Order limits of this supplier account (autoorder.bot_limits); quiet hours are "HH:MM" in the
    # team's time zone (UTC when the team has none), both empty for none.
    max_orders_per_hour: Mapped[int] = mapped_column(default=10, server_default="10")
    max_orders_per_day: Mapped[int] = mapped_column(default=50, server_default="50")
    min_gap_seconds: Mapped[int] = mapped_column(default=60, server_default="60")
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    supplier = relationship("Supplier")

    @property
    def masked_card(self) -> str:
        if self.payment_method == "gift_card":
            return "gift card"
        return f"•••• {self.card_last4}" if self.card_last4 else "no card"

    def set_card(self, *, number, expiry, cvc, holder, billing_address=None):
        """Store a card; only the last four digits stay readable."""
        digits = "".join(ch for ch in str(number) if ch.isdigit())
        self.card_number, self.card_last4 = digits, digits[-4:]
        self.card_expiry, self.card_cvc, self.card_holder = expiry, cvc, holder
        self.billing_address = billing_address

    def redact(self, message: str | None) -> str:
        """``message`` (at most 500 characters) with this bot's secrets blanked: safe to store
        and show (a login test's or a canary's result)."""
        message = (message or "")[:500]
        for secret in (self.password, self.card_number, self.card_cvc):
            if secret:
                message = message.replace(secret, "•••")
        return message

    def __repr__(self):
        return f"<OrderBot {self.id} team={self.team_id} supplier={self.supplier_id}>"


class Listing(db.Model):
    """An eBay listing (item id + variation/SKU) mapped to the supplier product that fills it."""

    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("team_id", "ebay_item_id", "ebay_variation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    ebay_item_id: Mapped[str] = mapped_column(String(64))
    # legacyVariationId or SKU of a multi-variation listing; "" for a single-variation one.
    ebay_variation_key: Mapped[str] = mapped_column(String(128), default="")
    sku: Mapped[str | None] = mapped_column(String(128), index=True)
    title: Mapped[str | None] = mapped_column(String(255))
    supplier_product_url: Mapped[str] = mapped_column(String(1000))
    supplier_variant: Mapped[str | None] = mapped_column(String(255))  # e.g. "Black / L"
    # How to ship when the supplier offers several methods (scrapers.shipping); None = cheapest.
    shipping_rule: Mapped[str | None] = mapped_column(String(120))
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("order_bots.id"))
    max_buy_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    quantity_per_sale: Mapped[int] = mapped_column(default=1)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    bot = relationship("OrderBot")

    def __repr__(self):
        return f"<Listing {self.id} team={self.team_id} item={self.ebay_item_id}>"


class GiftCardEntry(db.Model):
    """The gift-card ledger of one bot (append-only). ``kind``: ``read`` (the balance the supplier
    showed, ``amount`` absolute), ``set`` (typed by a person, absolute), ``spend`` (an order's
    total, negative) or ``top_up`` (entered by a person, positive). The balance is the last read/set
    amount plus every spend/top-up after it (autoorder.gift_cards)."""

    __tablename__ = "gift_card_entries"
    __table_args__ = (Index("ix_gift_card_entries_bot", "bot_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    bot_id: Mapped[int] = mapped_column(ForeignKey("order_bots.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    # unique per fact (e.g. "spend:<order id>"), so a retried job books it once
    key: Mapped[str | None] = mapped_column(String(100), unique=True)
    actor: Mapped[str] = mapped_column(String(255), default="system")
    note: Mapped[str | None] = mapped_column(String(255))
    at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    def __repr__(self):
        return f"<GiftCardEntry {self.id} bot={self.bot_id} {self.kind}>"


class SkuRule(db.Model):
    """A team's own SKU pattern: a sale whose eBay SKU matches ``pattern`` (a regex with a named
    group ``id``) is mapped by itself to that supplier product, bought by ``bot_id``."""

    __tablename__ = "sku_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    pattern: Mapped[str] = mapped_column(String(200))
    bot_id: Mapped[int] = mapped_column(ForeignKey("order_bots.id"))
    max_buy_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    position: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    bot = relationship("OrderBot")
