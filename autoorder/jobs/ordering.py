"""place_order: buy one sale on its supplier site, at most once, whatever crashes.

Guarantees, in order: the DB claim (WAITING → IN_PROGRESS) lets one job in; a lease says who owns
the order while it works; a PurchaseAttempt in state ``placing`` is committed before the
place-order click, so any later run that finds it looks for the order in the supplier's order
history instead of buying again; nothing is retried automatically once the click may have happened.
"""

import logging
import os
import random
import socket
import time
import uuid
from contextlib import ExitStack
from datetime import timedelta

from flask import current_app
from rq import get_current_job
from sqlalchemy import update

from autoorder import account_lock, clock, credits, orders
from autoorder import purchasing as purchase
from autoorder.ebay.budget import counting_calls
from autoorder.extensions import db
from autoorder.models import Order, PurchaseAttempt
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S

log = logging.getLogger(__name__)

MAX_EARLY_WAIT = 2.0  # seconds
ACCOUNT_BUSY_RETRY_SECONDS, ACCOUNT_BUSY_JITTER_SECONDS = 3.0, 3.0


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
    with ExitStack() as stack:
        lock = None
        if bot is not None:  # one checkout per supplier account at a time
            try:
                lock = stack.enter_context(account_lock.hold(bot.id, owner))
            except account_lock.AccountBusyError:
                return _wait_for_account(order)
        if not _take(order, owner):
            return "taken by another job"
        db.session.refresh(order)
        return _run(order, owner, lock)


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
    """The order's supplier account is busy with another checkout: let the sale wait a few seconds
    without holding this worker (the due-orders duty enqueues it again); a recovery waits for the
    next expired-lease sweep."""
    if order.status == S.WAITING:
        delay = ACCOUNT_BUSY_RETRY_SECONDS + random.uniform(0, ACCOUNT_BUSY_JITTER_SECONDS)
        db.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == S.WAITING.value)
            .values(order_after=clock.now() + timedelta(seconds=delay))
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    log.info("order %s: its supplier account is busy; waiting", order.id)
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
    return purchase.buy(order, attempt, owner, lock)


def _unfinished_attempt(order: Order) -> PurchaseAttempt | None:
    for attempt in reversed(order.attempts):
        if attempt.state in orders.UNFINISHED_ATTEMPTS:
            return attempt
    return None
