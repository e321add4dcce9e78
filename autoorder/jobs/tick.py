"""The periodic tick: the database says what is due; the tick (re)enqueues it.

It repairs whatever Redis lost (a flush, a crash, a killed worker): every due sale, expired lease,
due tracking check and due eBay poll is enqueued again, under a fixed job id per item.
"""

import logging
from datetime import timedelta

from sqlalchemy import or_, select

from autoorder import clock, credits, orders
from autoorder.ebay.accounts import CONNECTED
from autoorder.extensions import db
from autoorder.models import EbayAccount, Order
from autoorder.orders import OrderStatus as S
from autoorder.orders import TrackingStatus as T
from autoorder.queues import enqueue_once

log = logging.getLogger(__name__)

BATCH = 500


def order_job_id(order_id: int) -> str:
    return f"place-order-{order_id}"


def enqueue_order(order_id: int, at=None, restart_after: float | None = None):
    """Enqueue place_order for an order (at its buffer end, if given).

    ``restart_after``: seconds after which a still-"started" copy is presumed dead (see enqueue_once).
    """
    from flask import current_app

    if (
        at is not None and at.microsecond
    ):  # RQ keeps whole seconds: never start before the buffer ends
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    return enqueue_once(
        "orders",
        "autoorder.jobs.ordering.place_order",
        order_id,
        job_id=order_job_id(order_id),
        at=at,
        restart_after=restart_after,
        timeout=current_app.config["ORDER_JOB_TIMEOUT"],
        on_failure="autoorder.jobs.failures.flag_order",
    )


def tick() -> dict:
    """Enqueue all due work; return counts of what was enqueued or resumed."""
    now = clock.now()
    counts = {"polls": 0, "orders": 0, "recovered": 0, "resumed": 0, "tracking": 0}
    for account_id in db.session.scalars(
        select(EbayAccount.id)
        .where(
            EbayAccount.status == CONNECTED,
            or_(EbayAccount.next_poll_at.is_(None), EbayAccount.next_poll_at <= now),
        )
        .limit(BATCH)
    ):
        if enqueue_once(
            "default",
            "autoorder.jobs.sales.poll_ebay_account",
            account_id,
            job_id=f"poll-ebay-{account_id}",
            timeout=120,
        ):
            counts["polls"] += 1
    counts["resumed"] = resume_out_of_credits()
    for order_id in db.session.scalars(
        select(Order.id)
        .where(Order.status == S.WAITING, Order.order_after <= now)
        .order_by(Order.order_after)
        .limit(BATCH)
    ):
        # A due sale's job that has been "started" for a minute without claiming it died.
        counts["orders"] += bool(enqueue_order(order_id, restart_after=60))
    for order_id in db.session.scalars(
        select(Order.id)
        .where(Order.status == S.IN_PROGRESS, Order.lease_expires_at < now)
        .limit(BATCH)
    ):
        # The lease expired: whatever RQ says, the job that held it is gone or hung.
        counts["recovered"] += bool(enqueue_order(order_id, restart_after=0))
    for order_id in db.session.scalars(
        select(Order.id)
        .where(
            Order.tracking_status.in_((T.NOT_DUE, T.SEARCHING)),
            Order.status == S.SUCCEEDED,
            Order.next_tracking_check_at <= now,
        )
        .order_by(Order.next_tracking_check_at)
        .limit(BATCH)
    ):
        if enqueue_once(
            "tracking",
            "autoorder.jobs.tracking.refresh_tracking",
            order_id,
            job_id=f"tracking-{order_id}",
            timeout=180,
        ):
            counts["tracking"] += 1
    counts["erasures"] = enqueue_pending_erasures()
    counts["at_risk"] = flag_ship_by_at_risk(now)
    if any(counts.values()):
        log.info("tick: %s", counts)
    return counts


def flag_ship_by_at_risk(now) -> int:
    """Flag, once, each sale that may miss eBay's ship-by date (within the window, tracking not on
    eBay): an order event with ``{"flag": "ship_by_at_risk"}`` and ``ship_by_flagged_at``, shown on
    the sales and order pages. Notifications (issue 17) do not exist yet: a notifier picks these up."""
    from autoorder.tracking_schedule import ship_by_window

    flagged = db.session.scalars(
        select(Order)
        .where(
            Order.ship_by_flagged_at.is_(None),
            Order.ship_by_at <= now + ship_by_window(),
            Order.status != S.CANCELLED,
            Order.tracking_status != T.UPLOADED,
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
    db.session.commit()
    return len(flagged)


def enqueue_pending_erasures() -> int:
    """eBay account-deletion notices not yet acted on (their job lost with Redis, say)."""
    from autoorder.jobs.privacy import enqueue_erase
    from autoorder.models import EbayDeletionNotice

    pending = db.session.scalars(
        select(EbayDeletionNotice.id).where(EbayDeletionNotice.processed_at.is_(None)).limit(BATCH)
    ).all()
    return sum(bool(enqueue_erase(notice_id)) for notice_id in pending)


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
    db.session.commit()
    return resumed
