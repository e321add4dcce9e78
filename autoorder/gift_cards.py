"""A gift-card bot's balance: a ledger of what the supplier showed (``read``), what a person typed
(``set``, ``top_up``) and what each order spent (``spend``).

The balance is the last absolute amount (``read`` or ``set``) adjusted by every ``spend`` and
``top_up`` after it. The ledger is written by the order job while it holds the bot's account lock
(autoorder.account_lock), so two checkouts of one account never book against the same balance.
"""

import logging
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from autoorder.extensions import db
from autoorder.models import GiftCardEntry, Listing, Order, OrderBot, Team
from autoorder.orders import OrderStatus as S

log = logging.getLogger(__name__)

ABSOLUTE = ("read", "set")
KINDS = ("read", "set", "spend", "top_up")
LOW = "gift_card_low"


def uses_gift_card(bot: OrderBot) -> bool:
    return bot is not None and bot.payment_method == "gift_card"


def balance(bot_id: int) -> Decimal | None:
    """The bot's balance now, or None when nothing was ever read or entered: the last absolute
    entry plus every spend and top-up after it (two indexed queries, however long the ledger)."""
    last = db.session.execute(
        select(GiftCardEntry.id, GiftCardEntry.amount)
        .where(GiftCardEntry.bot_id == bot_id, GiftCardEntry.kind.in_(ABSOLUTE))
        .order_by(GiftCardEntry.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return None
    after = db.session.scalar(
        select(func.sum(GiftCardEntry.amount)).where(
            GiftCardEntry.bot_id == bot_id,
            GiftCardEntry.id > last.id,
            GiftCardEntry.kind.not_in(ABSOLUTE),
        )
    )
    return (last.amount + (after or 0)).quantize(Decimal("0.01"))


def ledger(bot_id: int, limit: int = 50) -> list[GiftCardEntry]:
    """The newest entries first (the bot page)."""
    return db.session.scalars(
        select(GiftCardEntry)
        .where(GiftCardEntry.bot_id == bot_id)
        .order_by(GiftCardEntry.id.desc())
        .limit(limit)
    ).all()


def _add(bot: OrderBot, kind: str, amount: Decimal, **fields) -> GiftCardEntry | None:
    entry = GiftCardEntry(team_id=bot.team_id, bot_id=bot.id, kind=kind, amount=amount, **fields)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # booked already (a retried job)
        return None
    bot.gift_card_balance = balance(bot.id)  # a copy for lists; the ledger is the truth
    return entry


def record_read(bot: OrderBot, amount: Decimal, *, order_id: int | None = None) -> None:
    """The supplier showed this balance during a checkout (before that order). Does not commit."""
    _add(bot, "read", amount, order_id=order_id, note="shown by the supplier at checkout")


def record_spend(bot: OrderBot, order_id: int, total: Decimal) -> None:
    """An order bought with the gift card spent ``total``; booked once per order. No commit."""
    _add(bot, "spend", -abs(total), order_id=order_id, key=f"spend:{order_id}", note="order")


def top_up(bot: OrderBot, amount: Decimal, *, actor: str, note: str | None = None):
    """A person added money to the card. Does not commit."""
    return _add(bot, "top_up", amount, actor=actor, note=note or "top-up")


def set_balance(bot: OrderBot, amount: Decimal, *, actor: str) -> None:
    """A person typed the balance (the bot form). Does not commit."""
    if balance(bot.id) != amount:
        _add(bot, "set", amount, actor=actor, note="entered on the bot form")


def expected_total(order: Order) -> Decimal | None:
    """What this sale is expected to cost on the supplier, shipping included, or None (unknown).

    1. The listing's last bought order's total (its item, shipping and tax), scaled to this sale's
       units (shipping scales with it: an overestimate, never an underestimate for one parcel);
       never above the price cap, which the checkout cannot exceed anyway.
    2. Else the price cap: the listing's max price (or the team's), the most the price guard
       lets a checkout spend.
    3. Else unknown: nothing is checked before the checkout; the supplier's own balance check at
       checkout still stops it (autoorder.scrapers.base.GiftCardBalanceLowError).
    """
    listing = order.listing
    if listing is None:
        return None
    per_sale = listing.quantity_per_sale or 1
    team = db.session.get(Team, order.team_id)
    caps = [x for x in (listing.max_buy_price, team.max_buy_price if team else None) if x]
    cap = min(caps) if caps else None
    last = db.session.execute(
        select(Order.supplier_cost, Order.quantity, Listing.quantity_per_sale)
        .join(Listing, Order.listing_id == Listing.id)
        .where(
            Order.listing_id == listing.id,
            Order.status == S.SUCCEEDED,
            Order.supplier_cost.is_not(None),
            Order.id != order.id,
        )
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.supplier_cost and (last.quantity or 0) > 0:
        units_then = last.quantity * (last.quantity_per_sale or 1)
        estimate = (last.supplier_cost / units_then * order.quantity * per_sale).quantize(
            Decimal("0.01")
        )
        return min(estimate, cap) if cap is not None else estimate
    return cap


def covers(bot: OrderBot, order: Order) -> tuple[bool, Decimal | None, Decimal | None]:
    """Whether the bot's balance covers the sale's expected total: (ok, balance, expected).
    A card bot, an unknown balance or an unknown expected total are not stopped here."""
    if not uses_gift_card(bot):
        return True, None, None
    have, need = balance(bot.id), expected_total(order)
    if have is None or need is None:
        return True, have, need
    return have >= need, have, need


def tell_team(bot, *, have=None, needed=None) -> None:
    """Tell the bot's team that its gift card cannot pay a sale (notifications.gift_card_low:
    once a day per bot; recorded in this transaction, delivered by a job). Commits."""
    from autoorder import notifications

    notifications.gift_card_low(bot, have if have is not None else balance(bot.id), needed=needed)
    db.session.commit()
