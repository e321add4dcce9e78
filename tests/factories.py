"""Plain factory functions with counters for unique fields."""

import itertools
from datetime import timedelta
from decimal import Decimal

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import Listing, Order, OrderBot, Supplier, Team, User

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def make_team(**kw):
    team = Team(name=kw.pop("name", f"Team {next(_seq)}"), **kw)
    db.session.add(team)
    db.session.flush()
    return team


def make_user(team=None, *, role="member", password=PASSWORD, **kw):
    team = team or make_team()
    user = User(team=team, email=kw.pop("email", f"user{next(_seq)}@example.com"), role=role, **kw)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_supplier(**kw):
    n = next(_seq)
    supplier = Supplier(
        key=kw.pop("key", f"supplier_{n}"),
        name=kw.pop("name", f"Supplier {n}"),
        base_url=kw.pop("base_url", "http://127.0.0.1:1"),
        **kw,
    )
    db.session.add(supplier)
    db.session.flush()
    return supplier


# A test's bot has no order limits unless the test sets them (the product's defaults, 10/hour and
# 60 s apart, would hold the many quick orders other tests make); tests of the limits set their own.
NO_LIMITS = {"max_orders_per_hour": 100000, "max_orders_per_day": 100000, "min_gap_seconds": 0}


def make_bot(team, supplier=None, *, password="bot-pass-123", card="4242424242424242", **kw):
    kw = NO_LIMITS | kw
    bot = OrderBot(
        team_id=team.id,
        supplier=supplier or make_supplier(),
        name=kw.pop("name", f"bot {next(_seq)}"),
        account_email=kw.pop("account_email", f"bot{next(_seq)}@example.com"),
        password=password,
        **kw,
    )
    if card and bot.payment_method != "gift_card":
        bot.set_card(number=card, expiry="12/30", cvc="123", holder="Pat Seller")
    db.session.add(bot)
    db.session.flush()
    return bot


def make_listing(team, bot=None, **kw):
    listing = Listing(
        team_id=team.id,
        ebay_item_id=kw.pop("ebay_item_id", str(110000 + next(_seq))),
        supplier_product_url=kw.pop("supplier_product_url", "http://shop/p/1"),
        bot=bot,
        **kw,
    )
    db.session.add(listing)
    db.session.flush()
    return listing


def make_order(team, *, status="waiting", tracking_status="not_due", **kw):
    n = next(_seq)
    sold_at = kw.pop("sold_at", clock.now())
    order = Order(
        team_id=team.id,
        ebay_order_id=kw.pop("ebay_order_id", f"12-{n:05d}-{n:05d}"),
        ebay_line_item_id=kw.pop("ebay_line_item_id", f"{10000000000 + n}"),
        title=kw.pop("title", f"Item {n}"),
        sold_at=sold_at,
        order_after=kw.pop("order_after", sold_at + timedelta(minutes=10)),
        sale_price=kw.pop("sale_price", Decimal("19.99")),
        status=status,
        tracking_status=tracking_status,
        **kw,
    )
    db.session.add(order)
    db.session.flush()
    return order
