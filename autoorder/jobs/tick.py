"""The periodic duties: the database says what is due; each duty (re)enqueues its kind of work.

They repair whatever Redis lost (a flush, a crash, a killed worker): every due sale, expired
lease, due tracking check and due eBay poll is enqueued again, under a fixed job id per item.
Each duty is its own periodic job (``jobs.schedule.periodic_jobs``); ``tick`` runs them all.
"""

import logging

from sqlalchemy import literal, or_, select

from autoorder import clock, credits, gift_cards, notifications, order_index, orders
from autoorder.ebay.accounts import CONNECTED
from autoorder.extensions import db
from autoorder.jobs import notify
from autoorder.jobs.api import (
    enqueue_checkout_check,
    enqueue_erasure,
    enqueue_orders,
    enqueue_poll,
    enqueue_tracking_checks,
)
from autoorder.models import EbayAccount, Order
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T

log = logging.getLogger(__name__)

BATCH = 500


# --- the duties: each its own periodic job (jobs.schedule), each O(due) through an index -------
def enqueue_due_polls() -> int:
    """Enqueue a poll of every connected eBay account whose next poll is due."""
    now, count = clock.now(), 0
    for account_id in db.session.scalars(
        select(EbayAccount.id)
        .where(
            EbayAccount.status == CONNECTED,
            or_(EbayAccount.next_poll_at.is_(None), EbayAccount.next_poll_at <= now),
        )
        .limit(BATCH)
    ):
        if enqueue_poll(account_id):
            count += 1
    return count


def enqueue_due_orders() -> int:
    """Enqueue every waiting sale whose buffer has ended (and sales whose account was busy), in
    one batch of Redis round trips (jobs.api.enqueue_orders)."""
    now = clock.now()
    due = db.session.scalars(
        select(Order.id)
        .where(
            Order.status == S.WAITING,
            Order.order_after <= now,
            # a sale waiting for a gift-card top-up goes on when resume_gift_card_low says so
            or_(Order.wait_reason.is_(None), Order.wait_reason != gift_cards.LOW),
        )
        .order_by(Order.order_after)
        .limit(BATCH)
    ).all()
    # A waiting sale's job claims it within seconds (or answers "account busy" at once):
    # one still "started" after 15 s died with its worker.
    return len(enqueue_orders(due, restart_after=15))


def recover_expired_leases() -> int:
    """Enqueue a resuming job for every in-progress order whose worker stopped renewing its
    lease."""
    now = clock.now()
    expired = db.session.scalars(
        select(Order.id)
        .where(Order.status == S.IN_PROGRESS, Order.lease_expires_at < now)
        .limit(BATCH)
    ).all()
    # The lease expired: whatever RQ says, the job that held it is gone or hung.
    return len(enqueue_orders(expired, restart_after=0))


def enqueue_due_tracking() -> int:
    """Enqueue a tracking check for every bought order whose next check is due: those looking for
    tracking, then uploaded ones due a slow re-check (a later parcel, delivery; see
    autoorder.tracking). One query per status, so that each uses ix_orders_tracking_due."""
    now, count = clock.now(), 0
    for statuses in ((T.NOT_DUE, T.SEARCHING), (T.UPLOADED,)):
        due = db.session.scalars(
            select(Order.id)
            .where(
                Order.tracking_status.in_(statuses),
                Order.status == S.SUCCEEDED,
                Order.next_tracking_check_at <= now,
            )
            .order_by(Order.next_tracking_check_at)
            .limit(BATCH)
        ).all()
        count += len(enqueue_tracking_checks(due))
    return count


def enqueue_due_canaries() -> int:
    """Enqueue the daily dry-run canary of every bot that has it switched on."""
    from autoorder.jobs.canary import due_canaries

    return sum(1 for bot_id in due_canaries() if enqueue_checkout_check(bot_id))


def tick() -> dict:
    """Run every duty once; return counts of what was enqueued or resumed (tests, the demo)."""
    counts = {
        "polls": enqueue_due_polls(),
        "resumed": resume_out_of_credits() + resume_gift_card_low(),
        "orders": enqueue_due_orders(),
        "recovered": recover_expired_leases(),
        "tracking": enqueue_due_tracking(),
        "canaries": enqueue_due_canaries(),
        "erasures": enqueue_pending_erasures(),
        "at_risk": flag_ship_by_at_risk(),
        "counts_folded": compact_status_counts(),
        "notifications": notify.enqueue_pending_notifications(),
    }
    if any(counts.values()):
        log.info("tick: %s", counts)
    return counts


def flag_ship_by_at_risk() -> int:
    """Flag, once, each sale that may miss eBay's ship-by date (within the window, tracking not on
    eBay): an order event with ``{"flag": "ship_by_at_risk"}`` and ``ship_by_flagged_at``, shown on
    the sales and order pages, and a notification to the team (once per sale)."""
    from autoorder.tracking_schedule import ship_by_window

    now = clock.now()
    flagged = db.session.scalars(
        select(Order)
        .where(
            # The partial index ix_orders_ship_by_open holds exactly the rows these three terms
            # allow (not every old sale): the constants are inlined so both planners match them.
            Order.ship_by_flagged_at.is_(None),
            Order.status != literal(S.CANCELLED.value, literal_execute=True),
            Order.tracking_status != literal(T.UPLOADED.value, literal_execute=True),
            Order.ship_by_at <= now + ship_by_window(),
        )
        .order_by(Order.ship_by_at)
        .limit(BATCH)
    ).all()
    for order in flagged:
        order.ship_by_flagged_at = now
        orders.note(
            order,
            f"At risk: eBay's ship-by date is {order.ship_by_at:%Y-%m-%d %H:%M} UTC and the "
            "tracking is not on eBay yet.",
            data={"flag": "ship_by_at_risk", "ship_by": order.ship_by_at.isoformat()},
        )
        notifications.ship_by_at_risk(order)
    if flagged:  # nothing read, nothing to commit: no round trip (the tick at a million orders)
        db.session.commit()
    return len(flagged)


def enqueue_pending_erasures() -> int:
    """eBay account-deletion notices not yet acted on (their job lost with Redis, say)."""
    from autoorder.models import EbayDeletionNotice

    pending = db.session.scalars(
        select(EbayDeletionNotice.id).where(EbayDeletionNotice.processed_at.is_(None)).limit(BATCH)
    ).all()
    return sum(bool(enqueue_erasure(notice_id)) for notice_id in pending)


def resume_out_of_credits() -> int:
    """Put sales held for lack of credits back in line once their team has credits."""
    resumed = 0
    held = db.session.scalars(
        select(Order)
        .where(Order.status == S.NEEDS_ATTENTION, Order.failure_code == "out_of_credits")
        .limit(BATCH)
    ).all()
    for order in held:
        if credits.has_credits(order.team_id):
            orders.transition(
                order, S.WAITING, reason="credits added; back in line", actor="system"
            )
            resumed += 1
    if held:
        db.session.commit()
    return resumed


def compact_status_counts() -> int:
    """Fold each busy team's status-count deltas into one row per status pair (order_index)."""
    return order_index.compact_counts()


def resume_gift_card_low() -> int:
    """The duty: sales waiting for a top-up whose balance is there now go back in line."""
    return len(resume_after_top_up(None))


def resume_after_top_up(bot_ids) -> list[int]:
    """Put sales waiting for a gift-card top-up back in line once a bot that can buy them has the
    balance for them (a top-up, a balance read, a card bot added or enabled). Does not enqueue:
    the due-orders duty (or the caller) does. ``bot_ids``: only sales these bots can buy."""
    from autoorder import bot_limits
    from autoorder.purchasing import bot_for

    resumed = []
    held = db.session.scalars(
        select(Order)
        .where(Order.status == S.WAITING, Order.wait_reason == gift_cards.LOW)
        .order_by(Order.order_after, Order.id)
        .limit(BATCH)
    ).all()
    for order in held:
        bot = bot_for(order)
        if bot is None:
            continue
        bots = bot_limits.candidates(order, bot)
        if bot_ids is not None and not {b.id for b in bots} & set(bot_ids):
            continue
        if any(gift_cards.covers(b, order)[0] for b in bots):
            order.wait_reason = None
            orders.note(order, "gift-card balance now covers this sale; back in line")
            resumed.append(order.id)
    if held:
        db.session.commit()
    return resumed
