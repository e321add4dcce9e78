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

from autoorder import account_lock, bot_limits, clock, credits, gift_cards, handoff, orders
from autoorder import purchasing as purchase
from autoorder.ebay.budget import counting_calls
from autoorder.extensions import db
from autoorder.models import Listing, Order, OrderBot, PurchaseAttempt
from autoorder.orders import AttemptState as A
from autoorder.orders import OrderStatus as S

log = logging.getLogger(__name__)

MAX_EARLY_WAIT = 2.0  # seconds


def owner_id() -> str:
    job = get_current_job()
    return f"{socket.gethostname()}:{os.getpid()}:{job.id if job else uuid.uuid4().hex[:8]}"


@counting_calls
def place_order(order_id: int) -> str:
    """Take the order if it is due and buy it; return what happened. Safe to run any number of
    times."""
    order = db.session.get(Order, order_id)
    if order is None:
        return "missing"
    owner = owner_id()
    not_now = _not_now(order)
    if not_now is not None:
        return not_now
    bot = purchase.bot_for(order)
    if bot is not None and handoff.open_for_bot(bot.id) is not None:
        return _wait_for_account(order)  # its account waits for a person (autoorder.handoff)
    if bot is not None and order.status == S.WAITING:
        first = first_in_line(bot.id)
        if first is not None and first != order.id:  # one line per account: oldest sale first
            return _wait_for_account(order)
        bots = bot_limits.candidates(order, bot)
        if bots:
            return _buy_on_one_of(order, owner, bots)
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


def _not_now(order: Order) -> str | None:
    """Why this job does not buy the sale now (not due, out of credits, owned by a live job, not
    waiting), or None when it may go on."""
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
        return None
    if order.status == S.IN_PROGRESS:
        if order.lease_expires_at is not None and order.lease_expires_at >= clock.now():
            return "owned by a live job"
        return None
    return f"nothing to do ({order.status})"


class _NotNow(Exception):
    """Inside the account lock the bot turned out to be at a limit or short of balance."""


def _buy_on_one_of(order: Order, owner: str, bots) -> str:
    """Rotation (autoorder.bot_limits): try the candidate bots best first; buy on the first whose
    account lock we get and whose limits and gift-card balance allow it, counted inside the lock.
    Else the sale waits: for a busy account (handed on when free), for the soonest time a limit
    lets a bot order ("bot limit — next at …", enqueued for then), or for a top-up."""
    busy, soonest, low = False, None, []
    for bot, place, covered in bot_limits.ranked(order, bots):
        if place.next_at is not None:
            soonest = min(soonest or place.next_at, place.next_at)
            continue
        if not covered:
            low.append(bot)
            continue
        try:
            return _buy_with(order, owner, bot)
        except account_lock.AccountBusyError:
            busy = True
        except _NotNow as why:
            kind, value = why.args
            if kind == "limit":
                soonest = min(soonest or value, value)
            else:
                low.append(bot)
    db.session.rollback()
    if busy:
        return _wait_for_account(order)
    if soonest is not None:
        return _wait_for_limit(order, soonest)
    return _wait_for_balance(order, low)


def _buy_with(order: Order, owner: str, bot) -> str:
    """Hold ``bot``'s account lock, re-count its limits and balance there, take the sale, buy."""
    took = False
    try:
        with account_lock.hold(bot.id, owner) as lock:
            db.session.expire_all()  # count what the last holder committed
            place = bot_limits.standing(bot)
            if place.next_at is not None:
                raise _NotNow("limit", place.next_at)
            if not gift_cards.covers(bot, order)[0]:
                raise _NotNow("balance", None)
            took = True  # from here the account is handed on when we let it go
            if not _take(order, owner):
                return "taken by another job"
            db.session.refresh(order)
            order.bot = bot
            db.session.commit()
            _hand_off_group(bot.id, order.id)  # another free account may take the next sale now
            return _run(order, owner, lock)
    finally:
        if took:
            _hand_off(bot.id)


def _wait_for_limit(order: Order, at) -> str:
    """Every bot of the sale is at a limit: it waits until the soonest one may order, and its
    job is scheduled for then (no polling; the due-orders duty also picks it up at that time)."""
    from autoorder.jobs.api import schedule_order_at

    order.order_after, order.wait_reason = at, bot_limits.BOT_LIMIT
    orders.note(order, f"{bot_limits.describe(order)}: every bot of this supplier is at a limit")
    db.session.commit()
    try:
        schedule_order_at(order.id, at)
    except Exception:  # noqa: BLE001 - the due-orders duty enqueues it at that time anyway
        log.warning("order %s: scheduling after the bot limit failed", order.id, exc_info=True)
    log.info("order %s: bot limit; next at %s", order.id, at)
    return "bot limit"


def _wait_for_balance(order: Order, bots) -> str:
    """No bot's gift card covers the sale's expected total: it waits (not failed, not bought)
    until a top-up puts it back in line; the team is told."""
    if order.wait_reason != gift_cards.LOW:
        _, have, need = gift_cards.covers(bots[0], order) if bots else (None, None, None)
        order.wait_reason = gift_cards.LOW
        orders.note(
            order,
            f"gift-card balance low: {have} left on {', '.join(b.name for b in bots)}, "
            f"this sale is expected to cost {need}; waiting for a top-up",
        )
        db.session.commit()
        for bot in bots:
            gift_cards.tell_team(bot, needed=need)
    return "gift-card balance low"


def first_in_line(bot_id: int, *, after: int | None = None) -> int | None:
    """The due waiting sale that this supplier account's group (the team's bots on its supplier,
    which rotate) buys next: the oldest (by buffer end); ``after``: other than that sale."""
    bot = db.session.get(OrderBot, bot_id)
    if bot is None:
        return None
    group = select(OrderBot.id).where(
        OrderBot.team_id == bot.team_id, OrderBot.supplier_id == bot.supplier_id
    )
    query = (
        select(Order.id)
        .outerjoin(Listing, Order.listing_id == Listing.id)
        .where(
            Order.status == S.WAITING,
            Order.order_after <= clock.now(),
            or_(Order.wait_reason.is_(None), Order.wait_reason != gift_cards.LOW),
            or_(
                Order.bot_id.in_(group),
                and_(Order.bot_id.is_(None), Listing.bot_id.in_(group)),
            ),
        )
        .order_by(Order.order_after, Order.id)
        .limit(1)
    )
    if after is not None:
        query = query.where(Order.id != after)
    return db.session.scalar(query)


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


def _hand_off_group(bot_id: int, taken: int) -> None:
    """A sale was taken: enqueue the next in its line too, so another free bot starts on it."""
    from autoorder.jobs.api import enqueue_order

    try:
        following = first_in_line(bot_id, after=taken)
        if following is not None:
            enqueue_order(following)
    except Exception:  # noqa: BLE001 - best effort: the due-orders duty enqueues it anyway
        log.warning("bot %s: handing on the next sale failed", bot_id, exc_info=True)


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
        bot_id=purchase.bot_for(order).id if purchase.bot_for(order) else None,
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
