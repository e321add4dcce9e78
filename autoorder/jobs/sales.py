"""Sale detection: poll one eBay account's orders modified since its cursor."""

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from autoorder import clock, notifications
from autoorder.ebay import accounts
from autoorder.ebay.budget import counting_calls, poll_interval
from autoorder.ebay.client import (
    EbayError,
    EbayRequestError,
    ReauthorizationNeededError,
    parse_ebay_timestamp,
)
from autoorder.ebay.sync import MalformedOrderError, ingest
from autoorder.extensions import db
from autoorder.models import EbayAccount, EbayOrderProblem
from autoorder.orders import OrderStatus

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)  # re-read a little: eBay's lastModifiedDate index lags slightly
FIRST_LOOKBACK = timedelta(days=1)
MAX_BACKOFF = timedelta(minutes=15)


@counting_calls
def poll_ebay_account(account_id: int) -> str:
    """Create sales for new eBay line items and apply cancellations; safe to run twice."""
    account = db.session.get(EbayAccount, account_id)
    if account is None or account.status != accounts.CONNECTED:
        return "skipped"
    started = clock.now()
    since = (account.poll_cursor or started - FIRST_LOOKBACK) - OVERLAP
    client = accounts.client_for(account)
    newest, created, seen = account.poll_cursor, 0, 0
    unreadable = set(
        db.session.scalars(
            select(EbayOrderProblem.ebay_order_id).where(
                EbayOrderProblem.ebay_account_id == account.id,
                EbayOrderProblem.resolved_at.is_(None),
            )
        )
    )
    try:
        for page in client.iter_orders_modified_since(since):
            new_sales = []
            for ebay_order in page.get("orders") or []:
                new_sales += _ingest_or_record(account, ebay_order, unreadable)
                seen += 1
                modified = (
                    ebay_order.get("lastModifiedDate") if isinstance(ebay_order, dict) else None
                )
                stamp = _timestamp_or_none(modified)
                if stamp is not None:
                    newest = stamp if newest is None or stamp > newest else newest
            db.session.commit()  # each page's sales are safe even if a later page fails
            created += len(new_sales)
            _enqueue_buying(new_sales)
        retried = _retry_problems(account, client)
        db.session.commit()
        created += len(retried)
        _enqueue_buying(retried)
    except ReauthorizationNeededError as exc:
        db.session.rollback()
        accounts.mark_reconnect_needed(db.session.get(EbayAccount, account_id), exc)
        db.session.commit()
        log.warning("ebay account %s needs reconnecting: %s", account_id, exc)
        return "reconnect_needed"
    except (EbayError, MalformedOrderError, ValueError) as exc:
        db.session.rollback()
        return _back_off(account_id, exc)
    # eBay's own lastModifiedDate (no clock skew between us), but never past now minus the overlap:
    # an order stamped in the future must not make the next polls skip the sales made until then.
    if newest is not None:
        newest = min(newest, started - OVERLAP)
    account.poll_cursor = newest
    account.last_polled_at, account.poll_failures, account.last_error = started, 0, None
    account.next_poll_at = started + poll_interval(started)  # stretched when over budget
    db.session.commit()
    log.info("ebay account %s polled: %d orders seen, %d sales created", account_id, seen, created)
    return f"seen={seen} created={created}"


PROBLEM_RETRIES_PER_POLL = (
    5  # getOrder calls for unreadable orders: a constant, whatever the history
)


def _timestamp_or_none(value):
    try:
        return parse_ebay_timestamp(value) if value else None
    except ValueError:
        return None


def _ingest_or_record(account: EbayAccount, ebay_order, unreadable: set) -> list:
    """Ingest one eBay order; if it cannot be read, record it as a problem (visible, retried by id
    later) instead of stopping the account's polling for every other order."""
    order_id = ebay_order.get("orderId") if isinstance(ebay_order, dict) else None
    order_id = order_id if isinstance(order_id, str) and order_id else None
    try:
        with db.session.begin_nested():
            created = ingest(account, ebay_order)
    except MalformedOrderError as exc:
        _record_problem(account, order_id, str(exc))
        return []
    except OperationalError:  # the database itself is unwell: not this order's fault
        raise
    except Exception as exc:  # any other surprise in one order must not stop the others
        _record_problem(account, order_id, f"{type(exc).__name__}: {str(exc)[:300]}")
        return []
    if order_id in unreadable:
        _resolve_problem(account, order_id)
    return created


def _record_problem(account: EbayAccount, order_id: str | None, error: str) -> None:
    now = clock.now()
    same = (
        EbayOrderProblem.ebay_order_id == order_id
        if order_id is not None
        # without an id: the
        else (EbayOrderProblem.ebay_order_id.is_(None) & (EbayOrderProblem.error == error))
    )  # same complaint
    problem = db.session.scalar(
        select(EbayOrderProblem)
        .where(EbayOrderProblem.ebay_account_id == account.id, same)
        .order_by(EbayOrderProblem.id)
        .limit(1)
    )
    if problem is None:
        db.session.add(
            EbayOrderProblem(
                ebay_account_id=account.id,
                ebay_order_id=order_id,
                error=error,
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        notifications.ebay_order_unreadable(account, order_id, error)  # once per order
    else:
        problem.error, problem.last_seen_at, problem.resolved_at = error, now, None
        problem.attempts += 1
    log.warning(
        "ebay account %s: order %s could not be read, recorded: %s", account.id, order_id, error
    )


def _resolve_problem(account: EbayAccount, order_id: str) -> None:
    problem = db.session.scalar(
        select(EbayOrderProblem).where(
            EbayOrderProblem.ebay_account_id == account.id,
            EbayOrderProblem.ebay_order_id == order_id,
            EbayOrderProblem.resolved_at.is_(None),
        )
    )
    if problem is not None:
        problem.resolved_at = clock.now()
        log.info("ebay account %s: order %s can be read now", account.id, order_id)


def _retry_problems(account: EbayAccount, client) -> list:
    """Read a few unresolved problem orders again by id (getOrder), least recently tried first."""
    created = []
    problems = db.session.scalars(
        select(EbayOrderProblem)
        .where(
            EbayOrderProblem.ebay_account_id == account.id,
            EbayOrderProblem.resolved_at.is_(None),
            EbayOrderProblem.ebay_order_id.is_not(None),
        )
        .order_by(EbayOrderProblem.last_seen_at, EbayOrderProblem.id)
        .limit(PROBLEM_RETRIES_PER_POLL)
    ).all()
    for problem in problems:
        try:
            ebay_order = client.get_order(problem.ebay_order_id)
        except (
            EbayRequestError
        ) as exc:  # 4xx for this one order; 429/5xx propagate (back off, retry later)
            if exc.status == 404:
                problem.resolved_at, problem.error = (
                    clock.now(),
                    problem.error + " (eBay no longer has this order)",
                )
            else:
                _record_problem(account, problem.ebay_order_id, f"getOrder refused: {exc}")
            continue
        created += _ingest_or_record(account, ebay_order, {problem.ebay_order_id})
    return created


def _enqueue_buying(new_sales) -> None:
    """Schedule each new waiting sale at its buffer end (RQ's scheduler polls every second).

    Best effort after the commit: if Redis is down, the periodic tick enqueues it from the database.
    """
    from autoorder.jobs.api import enqueue_order

    for order in new_sales:
        if order.status != OrderStatus.WAITING:
            continue
        try:
            enqueue_order(order.id, at=order.order_after)
        except RedisError as exc:
            log.warning("order %s not enqueued (%s); the tick will pick it up", order.id, exc)


def _back_off(account_id: int, exc: Exception) -> str:
    """Keep the cursor (nothing unseen is skipped) and poll again after an exponential delay."""
    account = db.session.get(EbayAccount, account_id)
    account.poll_failures += 1
    delay = min(timedelta(seconds=60) * 2**account.poll_failures, MAX_BACKOFF)
    account.next_poll_at = clock.now() + delay
    request_id = getattr(exc, "request_id", None)
    account.last_error = f"{type(exc).__name__}: {exc}" + (
        f" (request id {request_id})" if request_id else ""
    )
    db.session.commit()
    log.warning(
        "ebay account %s poll failed (%s, request id %s); retry in %s",
        account_id,
        type(exc).__name__,
        request_id,
        delay,
    )
    return "backoff"
