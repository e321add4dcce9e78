"""The read model of the Sales & Orders pages (no views here): filters and their queries, the
shared per-team counts cache, the poll's row versions, and the presenters (labels, tooltips, the
actions a row offers) of the cart and envelope icons."""

import logging
import time as time_module
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app, has_request_context, request, url_for
from flask_login import current_user
from sqlalchemy import Integer, any_, column, func, literal, literal_column, select, table, union
from sqlalchemy.dialects.postgresql import ARRAY

from autoorder import actions, bot_limits, clock, order_index
from autoorder.auth import team_select
from autoorder.extensions import db
from autoorder.inputs import arg_int, bounded_int, day, printable
from autoorder.models import CreditEntry, Order, OrderBot, OrderEvent, Supplier
from autoorder.orders import ACTIVE
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from autoorder.routes import is_htmx

log = logging.getLogger(__name__)

PAGE_SIZE = 50
SLOW_POLL_SECONDS = 30  # after a 286: only watches for new sales and for rows changed by others
NEW_SALE_LOOKBACK = timedelta(days=2)  # a sale sold longer ago is not shown as new on page 1
COMMIT_LAG = timedelta(
    seconds=30
)  # a sale flushed just before the page rendered may commit after it
FILTER_KEYS = ("cart", "envelope", "supplier", "bot", "sold_from", "sold_to", "q")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)
CART_LABELS = {
    S.WAITING: "Waiting",
    S.IN_PROGRESS: "Buying",
    S.SUCCEEDED: "Ordered",
    S.FAILED: "Failed",
    S.NEEDS_ATTENTION: "Needs attention",
    S.NEEDS_YOU: "Needs you",
    S.CANCELLED: "Cancelled",
}
ENVELOPE_LABELS = {
    T.NOT_DUE: "Not due",
    T.SEARCHING: "Searching",
    T.UPLOADED: "Uploaded",
    T.NOT_FOUND: "Not found",
    T.UPLOAD_FAILED: "Upload failed",
}


def parse_filters(args) -> dict:
    """Return the valid filters in ``args`` (invalid values are ignored, not errors)."""
    filters = {}
    if args.get("cart") in CART_LABELS:
        filters["cart"] = args["cart"]
    if args.get("envelope") in ENVELOPE_LABELS:
        filters["envelope"] = args["envelope"]
    for key in ("supplier", "bot"):
        value = arg_int(args, key)
        if value is not None:
            filters[key] = value
    for key in ("sold_from", "sold_to"):
        value = day(args.get(key))
        if value is not None:
            filters[key] = value
    query = printable(args.get("q"), 200).strip()[:100]
    if query:
        filters["q"] = query
    return filters


def apply_filters(query, filters: dict, *, cart: bool = True):
    """Add the filters' WHERE clauses to a query on Order (without the cart status if
    cart=False)."""
    if cart and "cart" in filters:
        query = query.where(Order.status == filters["cart"])
    if "envelope" in filters:
        query = query.where(Order.tracking_status == filters["envelope"])
    if "bot" in filters:
        query = query.where(Order.bot_id == filters["bot"])
    if "supplier" in filters:
        query = query.where(
            Order.bot_id.in_(
                team_select(OrderBot)
                .with_only_columns(OrderBot.id)
                .where(OrderBot.supplier_id == filters["supplier"])
            )
        )
    if "sold_from" in filters:
        query = query.where(Order.sold_at >= datetime.combine(filters["sold_from"], time.min, UTC))
    if "sold_to" in filters:
        query = query.where(
            Order.sold_at < datetime.combine(filters["sold_to"] + timedelta(days=1), time.min, UTC)
        )
    if "q" in filters:
        query = query.where(search_clause(filters["q"]))
    return query


EXACT_COLUMNS = (
    Order.ebay_order_id,
    Order.supplier_order_number,
    Order.tracking_number,
    Order.buyer_username,
)
SEARCH_HINT = (
    f"Fewer than {order_index.SEARCH_MIN} characters: only whole eBay order, supplier order and "
    f"tracking numbers and buyer usernames match. Type {order_index.SEARCH_MIN} or more to search "
    "names, titles and addresses."
)


SEARCH_KEEP = 20_000  # matches a request keeps as a list of ids; more: it stays a subquery


def search_clause(text: str):
    """``Order.id`` among the sales ``text`` finds (search_ids). A list of ids goes to PostgreSQL
    as one array parameter (``= ANY``) and to SQLite as an IN list (up to 32,766 parameters)."""
    found = search_ids(text)
    if isinstance(found, list) and found and not order_index.is_sqlite():
        return Order.id == any_(literal(found, ARRAY(Integer)))
    return Order.id.in_(found)


def search_ids(text: str):
    """The ids of the team's sales that ``text`` finds (for ``Order.id.in_``).

    Exact first: the whole eBay order, supplier order or tracking number or buyer username (as
    typed, upper- or lower-cased), each through a (team_id, column) b-tree. A query that is such a
    whole value finds those sales only: the substring search is not run (it would cost a trigram
    scan of every common trigram of a long number or username to add sales whose name or address
    merely contains it). Otherwise, with 3 characters or more, the substring search:
    ``search_text LIKE '%text%'`` (lower-cased) through the trigram index — pg_trgm on PostgreSQL;
    on SQLite the FTS5 trigram table gives the candidates and the same LIKE decides.

    The answer is worked out once per request (the page's counts and rows both use it) and kept
    as a list of ids while it has at most SEARCH_KEEP of them; a broader search stays a subquery.
    """
    found = _search(text)
    return found.ids if found.ids is not None else found.query


@dataclass
class Search:
    """One request's answer to a search: the ids (None: more than SEARCH_KEEP; then ``query``
    selects them) and how many of them are in each cart status."""

    ids: list[int] | None
    counts: dict[str, int] | None
    query: object


def _search(text: str) -> Search:
    kept = _request_searches()
    key = (current_user.team_id, text)
    if kept is not None and key in kept:
        return kept[key]
    variants = sorted({text, text.upper(), text.lower()})
    query = union(
        *(
            team_select(Order).with_only_columns(Order.id, Order.status).where(column.in_(variants))
            for column in EXACT_COLUMNS
        )
    )
    rows = db.session.execute(query.limit(SEARCH_KEEP + 1)).all()
    if not rows and len(text) >= order_index.SEARCH_MIN:
        query = _substring(text)
        rows = db.session.execute(query.limit(SEARCH_KEEP + 1)).all()
    if len(rows) <= SEARCH_KEEP:
        counts: dict[str, int] = {}
        for _, status in rows:
            counts[status] = counts.get(status, 0) + 1
        found = Search([order_id for order_id, _ in rows], counts, None)
    else:
        found = Search(None, None, select(query.subquery().c.id))
    if kept is not None:
        kept[key] = found
    return found


def _substring(text: str):
    needle = order_index.normalise_query(text)
    substring = team_select(Order).with_only_columns(Order.id, Order.status)
    if order_index.is_sqlite():
        fts = table(order_index.FTS_TABLE, column("rowid"))
        substring = substring.where(
            Order.id.in_(
                select(fts.c.rowid).where(
                    literal_column(order_index.FTS_TABLE).op("MATCH")(
                        order_index.fts_phrase(needle)
                    )
                )
            )
        )
    return substring.where(Order.search_text.contains(needle, autoescape=True))


def _request_searches() -> dict | None:
    """This request's searches (None outside a request: nothing kept)."""
    if not has_request_context():
        return None
    return request.environ.setdefault("autoorder.searches", {})


def status_counts(filters: dict) -> dict[str, int]:
    """{cart status: number of sales} under every filter but the cart status.

    With no filter but the envelope, from the maintained counts (a few rows per team, see
    autoorder.order_index); with a search alone, from the search's own answer (it read each
    match's status); with others, one GROUP BY over the sales they select.
    """
    if set(filters) <= {"cart", "envelope"}:
        return order_index.team_counts(current_user.team_id, filters.get("envelope"))
    if set(filters) - {"cart"} == {"q"}:
        found = _search(filters["q"])
        if found.counts is not None:
            return dict(found.counts)
    return dict(
        db.session.execute(
            apply_filters(team_select(Order), filters, cart=False)
            .with_only_columns(Order.status, func.count())
            .group_by(Order.status)
        ).all()
    )


_SHARED_COUNTS: dict = {}  # (team, filters, change) -> (expires, counts); per web process
SHARED_COUNTS_SECONDS = 10


def shared_counts(filters: dict, change: tuple) -> dict[str, int]:
    """status_counts for a poll answer, computed once per team, filters and change.

    Every dashboard on the same page sees the same change within one poll interval and asks for
    the same counts; they share one GROUP BY instead of running it each (``change`` names the rows
    and versions the answer carries, so a later change gets fresh counts).
    """
    key = (current_user.team_id, tuple(sorted((k, str(v)) for k, v in filters.items())), change)
    now = time_module.monotonic()
    hit = _SHARED_COUNTS.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    counts = status_counts(filters)
    if len(_SHARED_COUNTS) > 256:
        _SHARED_COUNTS.clear()
    _SHARED_COUNTS[key] = (now + SHARED_COUNTS_SECONDS, counts)
    return counts


def counts_context(filters: dict, counts: dict, *, oob: bool = False) -> dict:
    args = filter_args(filters)
    return dict(
        counts=counts,
        filters=filters,
        filter_args=args,
        statuses=list(S),
        cart_labels=CART_LABELS,
        base_args={k: v for k, v in args.items() if k != "cart"},
        counts_oob=oob,
    )


def filter_args(filters: dict) -> dict:
    """The filters as query-string values (for links and the poller)."""
    return {key: str(filters[key]) for key in FILTER_KEYS if key in filters}


def new_sale_ids(filters: dict, known: dict, rendered_at: datetime) -> list[int]:
    """Ids of the team's sales created since the page rendered that match its filters, newest
    (sold) first. Read newest-created first through (team_id, created_at), so that the scan is
    the new sales whatever plan PostgreSQL caches for the statement (ordered by sold_at, its
    generic plan walked (team_id, sold_at) through every sale of the lookback)."""
    query = (
        apply_filters(team_select(Order), filters)
        .with_only_columns(Order.id, Order.sold_at)
        .where(
            Order.created_at >= rendered_at - COMMIT_LAG,
            Order.sold_at >= rendered_at - NEW_SALE_LOOKBACK,
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(PAGE_SIZE)
    )
    if known:
        query = query.where(Order.id.not_in(known))
    rows = sorted(db.session.execute(query), key=lambda row: (row.sold_at, row.id), reverse=True)
    return [row.id for row in rows]


def by_ids(ids, *columns):
    """The team's orders (or these columns of them) with these ids, looked up by primary key.

    The team rule is team_select's own clause. SQLite without ANALYZE statistics believes
    ``team_id = ?`` matches ~10 rows and scans the whole team through ix_orders_team_sold instead
    (12 ms at 100k orders); likely() tells it that term is not selective, so the rowid is used.
    """
    team_rule = team_select(Order).whereclause
    if db.session.get_bind().dialect.name == "sqlite":
        team_rule = func.likely(team_rule)
    return select(*(columns or (Order,))).where(team_rule, Order.id.in_(ids))


def load_orders(ids) -> list[Order]:
    if not ids:
        return []
    found = {
        o.id: o for o in db.session.scalars(by_ids(ids).execution_options(populate_existing=True))
    }
    return [found[i] for i in ids if i in found]


def parse_versions(text: str) -> dict[int, int]:
    """``"12.1717000000123456,13.…"`` → {order id: version}; malformed pairs are skipped."""
    known = {}
    for pair in text.split(",")[: PAGE_SIZE * 4]:
        order_id, _, seen = pair.partition(".")
        order_id = bounded_int(order_id, minimum=1)
        if order_id is not None and seen.isdigit() and len(seen) <= 20:
            known[order_id] = int(seen)
    return known


def version(moment: datetime | None) -> int:
    """A row version: updated_at in whole microseconds since the epoch (exact, unlike float)."""
    return (moment - EPOCH) // MICRO if moment is not None else 0


def from_version(value: int) -> datetime | None:
    try:
        return EPOCH + value * MICRO
    except OverflowError:
        return None


def is_active(status: str, tracking_status: str) -> bool:
    """Will this row change without a human? (The envelope moves only once the sale is bought.)"""
    return status in ACTIVE or (status == S.SUCCEEDED and tracking_status in ACTIVE)


def poller(filters, page, *, at, fast, oob=False) -> dict:
    seconds = current_app.config.get("SALES_POLL_SECONDS", 5) if fast else SLOW_POLL_SECONDS
    vals = filter_args(filters) | {"page": page, "at": at, "mode": "fast" if fast else "slow"}
    return {
        "seconds": seconds,
        "vals": vals,
        "oob": oob,
        "mode": vals["mode"],
        "now": clock.now().isoformat(),
    }


def wants_fragment() -> bool:
    return is_htmx() and request.headers.get("HX-History-Restore-Request") != "true"


@dataclass
class BotName:
    id: int
    name: str
    supplier_id: int
    supplier_name: str


def team_bots() -> dict[int, BotName]:
    """{bot id: names} of the team's bots, without loading (and decrypting) the bots' secrets."""
    rows = db.session.execute(
        team_select(OrderBot)
        .join(Supplier, Supplier.id == OrderBot.supplier_id)
        .with_only_columns(OrderBot.id, OrderBot.name, Supplier.id, Supplier.name)
    )
    return {
        bot_id: BotName(bot_id, name, supplier_id, supplier)
        for bot_id, name, supplier_id, supplier in rows
    }


@dataclass
class RowView:
    """Everything a row shows, computed once in Python (the template only prints it)."""

    order: Order
    url: str  # the detail page; the actions are url + "/cancel", "/retry", … (see the routes above)
    version: int
    active: bool
    cart_label: str
    cart_title: str
    envelope_label: str
    envelope_title: str
    sale: str | None
    cost: str | None
    profit: str | None
    profit_class: str
    bot: BotName | None
    actions: frozenset  # actions.allowed(order): the buttons shown


def row_views(orders: list[Order], bots: dict[int, BotName]) -> list[RowView]:
    """What the row template shows for each order (labels and tooltips need the last events)."""
    reasons = last_reasons([o.id for o in orders])
    prefix = url_for("orders.detail", order_id=0)[:-1]  # one url_for per render, not five per row
    views = []
    for o in orders:
        profit = o.profit
        views.append(
            RowView(
                order=o,
                url=f"{prefix}{o.id}",
                version=version(o.updated_at),
                active=is_active(o.status, o.tracking_status),
                cart_label=(o.status == S.WAITING and bot_limits.describe(o))
                or CART_LABELS.get(o.status, o.status),
                cart_title=cart_title(o, reasons),
                envelope_label=ENVELOPE_LABELS.get(o.tracking_status, o.tracking_status),
                envelope_title=envelope_title(o, reasons),
                sale=money(o.sale_price, o.sale_currency),
                cost=money(o.supplier_cost, o.sale_currency),
                profit=money(profit, o.sale_currency),
                profit_class="" if profit is None else ("positive" if profit >= 0 else "negative"),
                bot=bots.get(o.bot_id),
                actions=actions.allowed(o),
            )
        )
    return views


SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def money(value, currency: str = "USD") -> str | None:
    """``-3.5`` → ``"−$3.50"``; None stays None (the template shows a dash)."""
    if value is None:
        return None
    symbol = SYMBOLS.get(currency)
    text = f"{symbol}{abs(value):,.2f}" if symbol else f"{abs(value):,.2f} {currency}"
    return f"−{text}" if value < 0 else text


def last_reasons(ids) -> dict:
    """{(order id, "cart" | "tracking"): reason of the latest such event} for these orders."""
    if not ids:
        return {}
    latest = (
        select(func.max(OrderEvent.id))
        .where(OrderEvent.order_id.in_(ids), OrderEvent.kind.in_(("cart", "tracking")))
        .group_by(OrderEvent.order_id, OrderEvent.kind)
    )
    rows = db.session.execute(
        select(OrderEvent.order_id, OrderEvent.kind, OrderEvent.reason).where(
            OrderEvent.id.in_(latest)
        )
    )
    return {(order_id, kind): reason for order_id, kind, reason in rows}


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def cart_title(order: Order, reasons: dict) -> str:
    reason = reasons.get((order.id, "cart"))
    match order.status:
        case S.WAITING if order.wait_reason == "gift_card_low":
            return (
                "Waiting: the gift-card balance is too low for this sale; it goes after a top-up."
            )
        case S.WAITING if bot_limits.describe(order):
            return f"Waiting: {bot_limits.describe(order)} (the bot's order limits)."
        case S.WAITING:
            return f"Waiting: buys at {when(order.order_after)} (end of the cancellation buffer)."
        case S.IN_PROGRESS:
            return f"Buying on the supplier site since {when(order.status_changed_at)}."
        case S.SUCCEEDED:
            number = order.supplier_order_number or "—"
            return (
                f"Ordered {when(order.ordered_at or order.status_changed_at)}: "
                f"supplier order {number}."
            )
        case S.FAILED | S.NEEDS_ATTENTION | S.NEEDS_YOU:
            return order.failure_message or reason or CART_LABELS[order.status]
        case _:
            return reason or CART_LABELS.get(order.status, order.status)


def envelope_title(order: Order, reasons: dict) -> str:
    reason = reasons.get((order.id, "tracking"))
    match order.tracking_status:
        case T.NOT_DUE if order.status != S.SUCCEEDED:
            return "Tracking is looked for once the sale is bought."
        case T.NOT_DUE if order.next_tracking_check_at is None:
            return "Bought; the first tracking check is not scheduled yet."
        case T.NOT_DUE:
            return f"First tracking check {when(order.next_tracking_check_at)}."
        case T.SEARCHING:
            text = f"Searching: next check {when(order.next_tracking_check_at)}."
            return f"{text} {order.tracking_message}" if order.tracking_message else text
        case T.UPLOADED:
            return (
                f"Uploaded to eBay: {order.tracking_carrier or order.ebay_carrier_code or ''} "
                f"{order.tracking_number or ''}"
            )
        case _:
            return (
                order.tracking_message or reason or ENVELOPE_LABELS.get(order.tracking_status, "")
            )


def detail_context(order: Order) -> dict:
    credit = db.session.scalar(
        team_select(CreditEntry).where(CreditEntry.key == f"order:{order.id}")
    )
    view = row_views([order], team_bots())[0]
    return {"order": order, "row": view, "credit": credit, "section": "orders", "money": money}
