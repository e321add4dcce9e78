"""place_order: buy one sale on its supplier site, at most once, whatever crashes.

Guarantees, in order: the DB claim (WAITING → IN_PROGRESS) lets one job in; a lease says who owns
the order while it works; a PurchaseAttempt in state ``placing`` is committed before the
place-order click, so any later run that finds it looks for the order in the supplier's order
history instead of buying again; nothing is retried automatically once the click may have happened.
"""

import logging
import os
import socket
import time
import uuid
from contextlib import ExitStack

from flask import current_app
from rq import get_current_job
from sqlalchemy import and_, or_, select

from autoorder import account_lock, clock, credits, handoff, orders
from autoorder import purchasing as purchase
from autoorder.ebay.budget import counting_calls
from autoorder.extensions import db
from autoorder.models import Listing, Order, PurchaseAttempt
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S

log = logging.getLogger(__name__)

MAX_EARLY_WAIT = 2.0  # seconds


def owner_id() -> str:
    job = get_current_job()
    return f"{socket.gethostname()}:{os.getpid()}:{job.id if job else uuid.uuid4().hex[:8]}"


@counting_calls
def place_order(order_id: int) -> str:
    """Take the order if it is due and buy it; return what happened. Safe to run any number of times."""
    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    owner = owner_id()
    if order.status == S.WAITING:
        early = (order.order_after - clock.now()).total_seconds()
        if 0 < early <= MAX_EARLY_WAIT:  # started a moment early (schedulers round): wait it out
            time.sleep(early)
        elif early > 0:
            return "not due"
        if not credits.has_credits(order.team_id):
            orders.fail(
                order,
                S.NEEDS_ATTENTION,
                code="out_of_credits",
                message="No auto-order credits left: buy a credits package to resume.",
            )
            db.session.commit()
            return "out of credits"
    elif order.status == S.IN_PROGRESS:
        if order.lease_expires_at is not None and order.lease_expires_at >= clock.now():
            return "owned by a live job"
    else:
        return f"nothing to do ({order.status})"
    bot = purchase.bot_for(order)
    if bot is not None and handoff.open_for_bot(bot.id) is not None:
        return _wait_for_account(order)  # its account waits for a person (autoorder.handoff)
    if bot is not None and order.status == S.WAITING:
        first = first_in_line(bot.id)
        if first is not None and first != order.id:  # one line per account: oldest sale first
            return _wait_for_account(order)
    lock = None
    try:
        with ExitStack() as stack:
            if bot is not None:  # one checkout per supplier account at a time
                try:
                    lock = stack.enter_context(account_lock.hold(bot.id, owner))
                except account_lock.AccountBusyError:
                    return _wait_for_account(order)
            if not _take(order, owner):
                return "taken by another job"
            db.session.refresh(order)
            return _run(order, owner, lock)
    finally:
        if lock is not None:  # we held the account: pass it on
            _hand_off(bot.id)


def first_in_line(bot_id: int) -> int | None:
    """The due waiting sale that this supplier account buys next: the oldest (by buffer end)."""
    return db.session.scalar(
        select(Order.id)
        .outerjoin(Listing, Order.listing_id == Listing.id)
        .where(
            Order.status == S.WAITING,
            Order.order_after <= clock.now(),
            or_(Order.bot_id == bot_id, and_(Order.bot_id.is_(None), Listing.bot_id == bot_id)),
        )
        .order_by(Order.order_after, Order.id)
        .limit(1)
    )


def _hand_off(bot_id: int) -> None:
    """The account is free again: enqueue the sale first in its line now, rather than at the
    due-orders duty's next run (a no-op if its job is already queued)."""
    from autoorder.jobs.api import enqueue_order

    try:
        db.session.rollback()
        following = first_in_line(bot_id)
        if following is not None:
            enqueue_order(following)
    except Exception:  # noqa: BLE001 - best effort: the due-orders duty enqueues it anyway
        log.warning("bot %s: handing the account to the next sale failed", bot_id, exc_info=True)


def _take(order: Order, owner: str) -> bool:
    """Claim a waiting order, or take over an in-progress one whose lease ran out. Commits."""
    lease = current_app.config["ORDER_LEASE_SECONDS"]
    if order.status == S.WAITING:
        return orders.claim(
            order.id,
            S.WAITING,
            S.IN_PROGRESS,
            owner=owner,
            lease_seconds=lease,
            reason="taken by a worker to buy",
        )
    if not orders.take_expired_lease(order.id, owner=owner, lease_seconds=lease):
        return False
    orders.note(order, "the previous worker stopped mid-purchase; resuming safely", actor=owner)
    db.session.commit()
    return True


def _wait_for_account(order: Order) -> str:
    """The order's supplier account is busy with another checkout, or an older sale is first in
    its line: the sale stays waiting without holding this worker. The lock's holder hands the
    account to the first sale in line when it is done (and the due-orders duty enqueues due sales
    every few seconds); a recovery waits for the next expired-lease sweep."""
    log.info("order %s: its supplier account is busy; waiting in line", order.id)
    return "account busy"


def _run(order: Order, owner: str, lock=None) -> str:
    unfinished = _unfinished_attempt(order)
    if unfinished is not None and unfinished.state == A.PLACING:
        return purchase.resolve_ambiguous(order, unfinished, owner)
    if unfinished is not None:  # died before the click: nothing can have been bought
        orders.set_attempt_state(
            unfinished, A.NOT_PLACED, error_message="worker stopped before placing the order"
        )
        db.session.commit()
    hold = purchase.check_ebay_before_buying(order)
    if hold is not None:
        return hold
    attempt = PurchaseAttempt(
        order_id=order.id,
        idempotency_key=uuid.uuid4().hex,
        job_id=(get_current_job().id if get_current_job() else None),
        worker=owner,
    )
    db.session.add(attempt)
    db.session.commit()
    outcome = purchase.buy(order, attempt, owner, lock)
    if outcome == handoff.NEEDS_YOU:  # the hand-off process takes it from here
        from autoorder.jobs.api import after_commit, enqueue_handoff

        after_commit(enqueue_handoff, handoff.latest_for_order(order.id).id)
    return outcome


def _unfinished_attempt(order: Order) -> PurchaseAttempt | None:
    for attempt in reversed(order.attempts):
        if attempt.state in orders.UNFINISHED_ATTEMPTS:
            return attempt
    return None
