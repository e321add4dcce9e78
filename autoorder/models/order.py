"""Sales/orders and what hangs off them: the event timeline, purchase attempts, tracking
checks and evidence files. Status columns are written only by autoorder.orders."""

from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from autoorder import clock
from autoorder.extensions import db
from autoorder.models.types import UTCDateTime


class Order(db.Model):
    """One eBay line item to be bought from a supplier (a "sale" in the dashboard)."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("team_id", "ebay_order_id", "ebay_line_item_id"),
        Index("ix_orders_due", "status", "order_after"),
        # The tick's due tracking checks (status = succeeded, envelope not_due/searching, due).
        Index("ix_orders_tracking_due", "status", "tracking_status", "next_tracking_check_at"),
        # The sales page's order (sold_at desc, id desc) and its keyset pages (#19).
        Index("ix_orders_team_sold_id", "team_id", "sold_at", "id"),
        Index("ix_orders_team_status", "team_id", "status"),  # the dashboard's counts per status
        # The poll's new sales (created since the page rendered): O(new), not O(sales in 2 days).
        Index("ix_orders_team_created", "team_id", "created_at"),
        # Exact search (#19): eBay order numbers are in the unique constraint above.
        Index("ix_orders_team_buyer_username", "team_id", "buyer_username"),
        Index("ix_orders_team_tracking_number", "team_id", "tracking_number"),
        Index("ix_orders_team_supplier_order", "team_id", "supplier_order_number"),
        # Sales held for credits (the tick's resume duty and the console), whatever the team size.
        Index("ix_orders_failure_status_team", "failure_code", "status", "team_id"),
    )
    # Database-only objects of #19 (not in this metadata; see autoorder/order_index.py): the
    # partial index ix_orders_ship_by_open (the tick's at-risk scan), the trigram index
    # ix_orders_search_trgm (PostgreSQL) and the FTS5 table orders_search (SQLite).

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    ebay_account_id: Mapped[int | None] = mapped_column(ForeignKey("ebay_accounts.id"))
    ebay_order_id: Mapped[str] = mapped_column(String(64))
    ebay_line_item_id: Mapped[str] = mapped_column(String(64))
    legacy_item_id: Mapped[str | None] = mapped_column(String(64))
    legacy_variation_id: Mapped[str | None] = mapped_column(String(64))
    sku: Mapped[str | None] = mapped_column(String(128))
    title: Mapped[str | None] = mapped_column(String(255))
    variant_label: Mapped[str | None] = mapped_column(String(255))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id"))
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("order_bots.id"))

    buyer_username: Mapped[str | None] = mapped_column(String(128))
    buyer_name: Mapped[str | None] = mapped_column(String(255))
    ship_to: Mapped[dict | None] = mapped_column(JSON)  # snapshot of shippingStep.shipTo
    quantity: Mapped[int] = mapped_column(default=1)
    sale_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # line item total
    sale_currency: Mapped[str] = mapped_column(String(3), default="USD")
    ebay_fees: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    # The two icons. Defaults are OrderStatus.WAITING and TrackingStatus.NOT_DUE.
    # active_history: the status counts (autoorder.order_index) need the value a change replaces.
    status: Mapped[str] = mapped_column(String(32), default="waiting", active_history=True)
    tracking_status: Mapped[str] = mapped_column(String(32), default="not_due", active_history=True)
    status_changed_at = mapped_column(UTCDateTime, default=clock.now)
    tracking_status_changed_at = mapped_column(UTCDateTime, default=clock.now)
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(Text)
    # Why a WAITING sale is not being bought now (autoorder.bot_limits): "bot_limit" (it goes at
    # order_after by itself) or "gift_card_low" (it goes after a top-up); None otherwise.
    wait_reason: Mapped[str | None] = mapped_column(String(32))

    sold_at = mapped_column(UTCDateTime, nullable=False)
    order_after = mapped_column(UTCDateTime, nullable=False)  # end of the cancellation buffer
    ship_by_at = mapped_column(UTCDateTime)  # eBay's shipByDate for this line item
    # When the sale was flagged at risk of missing ship_by_at (once; the team is notified then).
    ship_by_flagged_at = mapped_column(UTCDateTime)
    ordered_at = mapped_column(UTCDateTime)
    next_tracking_check_at = mapped_column(UTCDateTime)
    tracking_deadline_at = mapped_column(UTCDateTime)
    tracking_failures: Mapped[int] = mapped_column(default=0)

    supplier_order_number: Mapped[str | None] = mapped_column(String(128))
    supplier_cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    tracking_carrier: Mapped[str | None] = mapped_column(String(64))  # as the supplier shows it
    ebay_carrier_code: Mapped[str | None] = mapped_column(String(64))
    tracking_message: Mapped[str | None] = mapped_column(Text)  # why the envelope is not green
    ebay_fulfillment_id: Mapped[str | None] = mapped_column(String(64))

    # Ownership while a job works on the order (see orders.claim).
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at = mapped_column(UTCDateTime)

    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    # What substring search looks in, lower-cased: buyer name and username, title, address
    # (autoorder.order_index.search_text; set on every ORM write, rebuilt by
    # `flask orders reindex`).
    search_text: Mapped[str | None] = mapped_column(Text)

    events = relationship("OrderEvent", order_by="OrderEvent.id", back_populates="order")
    evidence = relationship("Evidence", order_by="Evidence.id", back_populates="order")
    shipments = relationship("Shipment", order_by="Shipment.id", back_populates="order")
    attempts = relationship(
        "PurchaseAttempt", order_by="PurchaseAttempt.id", back_populates="order"
    )
    tracking_checks = relationship(
        "TrackingCheck", order_by="TrackingCheck.id", back_populates="order"
    )
    listing = relationship("Listing")
    bot = relationship("OrderBot")

    @property
    def ship_by_at_risk(self) -> bool:
        """Near or past eBay's ship-by date without tracking on eBay (see tracking_schedule)."""
        from autoorder.tracking_schedule import at_risk

        return at_risk(self)

    @property
    def profit(self):
        if self.sale_price is None or self.supplier_cost is None:
            return None
        return self.sale_price - (self.ebay_fees or 0) - self.supplier_cost

    def __repr__(self):
        return f"<Order {self.id} team={self.team_id} {self.status}/{self.tracking_status}>"


class OrderStatusCount(db.Model):
    """Per-team sales counts by (cart status, envelope status), kept as signed deltas.

    Every insert of an order and every change of its statuses adds rows here in the same
    transaction (autoorder.order_index); a team's count is the SUM of its rows. Only inserts, so
    concurrent workers never wait on a counter row; a periodic duty folds each team's rows into
    one per status pair, and `flask orders reindex` rebuilds them from the orders.
    """

    __tablename__ = "order_status_counts"
    __table_args__ = (
        Index("ix_order_status_counts_team", "team_id", "status", "tracking_status", "n"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    status: Mapped[str] = mapped_column(String(32))
    tracking_status: Mapped[str] = mapped_column(String(32))
    n: Mapped[int]


class OrderEvent(db.Model):
    """Append-only timeline entry: a status change or a notable fact (who, why, when)."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # cart | tracking | note
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(128), default="system")
    at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    data: Mapped[dict | None] = mapped_column(JSON)

    order = relationship("Order", back_populates="events")

    def __repr__(self):
        return f"<OrderEvent {self.id} order={self.order_id} {self.from_status}->{self.to_status}>"


class PurchaseAttempt(db.Model):
    """One try at buying an order, committed before the place-order click.

    ``reference`` is the stable supplier-side marker (put in the order note) that lets a
    later run find the supplier order if the attempt ended ambiguously.
    """

    __tablename__ = "purchase_attempts"
    __table_args__ = (Index("ix_purchase_attempts_bot_placing", "bot_id", "placing_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(32), default="started")
    # started -> placing (click may happen) -> placed | failed | not_placed; placing is ambiguous
    job_id: Mapped[str | None] = mapped_column(String(128))
    worker: Mapped[str | None] = mapped_column(String(128))
    # The supplier account this attempt used (bots rotate): the order limits count these.
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("order_bots.id"))
    started_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    placing_at = mapped_column(UTCDateTime)
    finished_at = mapped_column(UTCDateTime)
    supplier_order_number: Mapped[str | None] = mapped_column(String(128))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)

    order = relationship("Order", back_populates="attempts")

    def __repr__(self):
        return f"<PurchaseAttempt {self.id} order={self.order_id} {self.state}>"


class TrackingCheck(db.Model):
    """One look at the supplier site for tracking, and what it found."""

    __tablename__ = "tracking_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    at = mapped_column(UTCDateTime, default=clock.now, nullable=False)
    result: Mapped[str] = mapped_column(String(32))  # found | not_found | invalid | error
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

    order = relationship("Order", back_populates="tracking_checks")


class Shipment(db.Model):
    """One package of the supplier order, as the supplier's order page lists it: its own number,
    carrier and status (shipped | delivered | returned | cancelled) and the supplier item ids in it.
    Kept up to date by each tracking check (one row per tracking number).

    Each package goes to eBay as its own shipping fulfillment: ``upload_state`` is pending |
    uploaded | invalid (the number failed validation) | refused (eBay said no) | not_needed (eBay
    counts every unit of the line item shipped already) | not_shipped (returned or cancelled before
    it was uploaded); ``upload_message`` says why it is not on eBay."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("order_id", "tracking_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    tracking_number: Mapped[str] = mapped_column(String(64))
    carrier: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="shipped")
    items: Mapped[list | None] = mapped_column(JSON)
    quantity: Mapped[int | None] = mapped_column()  # units in it, when the supplier says
    ebay_carrier_code: Mapped[str | None] = mapped_column(String(64))  # once validated
    upload_state: Mapped[str] = mapped_column(String(16), default="pending")
    upload_message: Mapped[str | None] = mapped_column(Text)
    ebay_fulfillment_id: Mapped[str | None] = mapped_column(String(64))
    uploaded_at = mapped_column(UTCDateTime)
    updated_at = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now, nullable=False)

    order = relationship("Order", back_populates="shipments")


class Evidence(db.Model):
    """A file kept as proof: review/confirmation screenshots, page HTML on failure."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # review | confirmation | failure | page_html
    path: Mapped[str] = mapped_column(String(500))  # relative to EVIDENCE_DIR
    content_type: Mapped[str] = mapped_column(String(64), default="image/png")
    created_at = mapped_column(UTCDateTime, default=clock.now, nullable=False)

    order = relationship("Order", back_populates="evidence")
