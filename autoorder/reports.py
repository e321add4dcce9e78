"""Reports (issue 17): profit per sale, per day and per listing over a date range, and the CSV
export of a range's sales.

Amounts are what the order stores: the sale (eBay line item total), eBay's fees (the order's
``totalMarketplaceFee`` split over its line items at ingest; None when eBay did not report it),
and the supplier total paid at checkout. Profit = sale − fees − supplier total, for bought sales
only; a bought sale without reported fees counts them as 0 and is flagged (``fees_missing``).
Days are UTC days of the sale (``sold_at``).
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from autoorder.extensions import db
from autoorder.models import Listing, Order

BOUGHT = "succeeded"
FAILED = ("failed", "needs_attention")
MAX_PAGE_DAYS = 366  # the page's range; the CSV streams any range
ZERO = Decimal("0.00")


class ReportRangeError(ValueError):
    """The date range cannot be reported (unreadable, reversed or too long)."""


def day_range(start_text, end_text, *, default_days=30, max_days=MAX_PAGE_DAYS, today=None):
    """Parse ``YYYY-MM-DD`` bounds (inclusive) into (first day, last day); blank bounds default to
    the last ``default_days`` days. Raises ReportRangeError with a readable message."""
    from autoorder.inputs import FIRST_DAY, LAST_DAY, day

    today = today or datetime.now(UTC).date()
    start_text, end_text = (start_text or "").strip(), (end_text or "").strip()
    first = day(start_text) if start_text else today - timedelta(days=default_days - 1)
    last = day(end_text) if end_text else today
    if first is None or last is None:
        bad = start_text if first is None else end_text
        raise ReportRangeError(
            f"“{bad[:40]}” is not a date: use YYYY-MM-DD between {FIRST_DAY} and {LAST_DAY}."
        )
    if first > last:
        raise ReportRangeError(f"The range starts ({first}) after it ends ({last}).")
    if max_days and (last - first).days + 1 > max_days:
        raise ReportRangeError(
            f"Choose at most {max_days} days here (the CSV export takes any range)."
        )
    return first, last


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The half-open UTC datetime range [first 00:00, last+1 00:00)."""
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    return start, datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)


@dataclass
class Totals:
    """Sums over a group of sales."""

    sales: int = 0
    bought: int = 0
    failed: int = 0
    sale: Decimal = ZERO  # of the bought sales
    fees: Decimal = ZERO
    cost: Decimal = ZERO
    profit: Decimal = ZERO
    fees_missing: int = 0  # bought sales whose fees eBay did not report
    currencies: set = field(default_factory=set)

    def add(self, status, sale, fees, cost, currency) -> None:
        if status == "cancelled":
            return
        self.sales += 1
        if status in FAILED:
            self.failed += 1
        if status != BOUGHT:
            return
        self.bought += 1
        self.currencies.add(currency or "USD")
        sale, cost = sale or ZERO, cost or ZERO
        if fees is None:
            self.fees_missing += 1
        fees = fees or ZERO
        self.sale += sale
        self.fees += fees
        self.cost += cost
        self.profit += sale - fees - cost

    @property
    def margin(self) -> Decimal | None:
        return (self.profit * 100 / self.sale).quantize(Decimal("0.1")) if self.sale else None


def order_profit(order) -> Decimal | None:
    """A bought sale's profit (fees not reported count as 0); None for a sale not bought."""
    if order.status != BOUGHT or order.sale_price is None:
        return None
    return order.sale_price - (order.ebay_fees or ZERO) - (order.supplier_cost or ZERO)


def _range_query(team_id: int, start: datetime, end: datetime):
    return (
        select(Order)
        .where(Order.team_id == team_id, Order.sold_at >= start, Order.sold_at < end)
        .order_by(Order.sold_at, Order.id)
    )


def report(team_id: int, first: date, last: date) -> dict:
    """Totals, per day and per listing for the days first..last (inclusive)."""
    start, end = bounds(first, last)
    rows = db.session.execute(
        select(
            Order.sold_at,
            Order.status,
            Order.sale_price,
            Order.ebay_fees,
            Order.supplier_cost,
            Order.sale_currency,
            Order.listing_id,
        ).where(Order.team_id == team_id, Order.sold_at >= start, Order.sold_at < end)
    ).all()
    total, days, listings = Totals(), {}, {}
    for sold_at, status, sale, fees, cost, currency, listing_id in rows:
        values = (status, sale, fees, cost, currency)
        total.add(*values)
        days.setdefault(sold_at.date(), Totals()).add(*values)
        listings.setdefault(listing_id, Totals()).add(*values)
    names = {
        listing.id: listing
        for listing in db.session.scalars(
            select(Listing).where(Listing.id.in_([k for k in listings if k is not None]))
        )
    }
    per_listing = sorted(
        ((names.get(listing_id), t) for listing_id, t in listings.items()),
        key=lambda pair: pair[1].profit,
        reverse=True,
    )
    return {
        "first": first,
        "last": last,
        "total": total,
        "days": sorted(days.items()),
        "listings": per_listing,
    }


def orders(team_id: int, first: date, last: date, limit: int = 200) -> list:
    """The range's sales, newest first (the page shows the latest ``limit``)."""
    start, end = bounds(first, last)
    return db.session.scalars(
        select(Order)
        .where(Order.team_id == team_id, Order.sold_at >= start, Order.sold_at < end)
        .order_by(Order.sold_at.desc(), Order.id.desc())
        .limit(limit)
    ).all()


def summary(team_id: int, start: datetime, end: datetime) -> dict:
    """Counts and profit of the sales sold in [start, end) (the daily summary)."""
    total = Totals()
    for status, sale, fees, cost, currency in db.session.execute(
        select(
            Order.status,
            Order.sale_price,
            Order.ebay_fees,
            Order.supplier_cost,
            Order.sale_currency,
        ).where(Order.team_id == team_id, Order.sold_at >= start, Order.sold_at < end)
    ):
        total.add(status, sale, fees, cost, currency)
    return {
        "sales": total.sales,
        "bought": total.bought,
        "failed": total.failed,
        "profit": total.profit,
        "fees_estimated": bool(total.fees_missing),
    }


# --- CSV -----------------------------------------------------------------------------------------
CSV_COLUMNS = [
    "sale id",
    "sold at (UTC)",
    "eBay order id",
    "eBay line item id",
    "eBay item id",
    "SKU",
    "title",
    "listing id",
    "status",
    "tracking",
    "quantity",
    "currency",
    "sale",
    "eBay fees",
    "supplier total",
    "profit",
    "supplier order number",
    "tracking number",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A text cell a spreadsheet will not run: one starting with = + - @ (or tab/CR) gets a
    leading apostrophe (OWASP's CSV injection advice). Numbers we write ourselves stay numbers."""
    if value is None:
        return ""
    if isinstance(value, (int, Decimal)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_row(o: Order) -> list:
    profit = order_profit(o)
    return [
        o.id,
        o.sold_at.strftime("%Y-%m-%d %H:%M:%S"),
        safe_cell(o.ebay_order_id),
        safe_cell(o.ebay_line_item_id),
        safe_cell(o.legacy_item_id),
        safe_cell(o.sku),
        safe_cell(o.title),
        o.listing_id or "",
        o.status,
        o.tracking_status,
        o.quantity,
        safe_cell(o.sale_currency),
        safe_cell(o.sale_price),
        safe_cell(o.ebay_fees),
        safe_cell(o.supplier_cost),
        safe_cell(profit),
        safe_cell(o.supplier_order_number),
        safe_cell(o.tracking_number),
    ]


def csv_lines(team_id: int, first: date, last: date, batch: int = 500) -> Iterator[str]:
    """The range's sales as CSV text, a chunk at a time (for a streamed response)."""
    start, end = bounds(first, last)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    last_key = None
    while True:  # keyset pages: no server-side cursor held across the response
        query = _range_query(team_id, start, end).limit(batch)
        if last_key is not None:
            sold_at, order_id = last_key
            query = query.where(
                (Order.sold_at > sold_at) | ((Order.sold_at == sold_at) & (Order.id > order_id))
            )
        page = db.session.scalars(query).all()
        if not page:
            return
        buffer.seek(0)
        buffer.truncate()
        for o in page:
            writer.writerow(_csv_row(o))
        yield buffer.getvalue()
        last_key = (page[-1].sold_at, page[-1].id)
        db.session.expunge_all()
