"""Sale detection: poll one eBay account's orders modified since its cursor."""

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError

from autoorder import clock
from autoorder.ebay import accounts
from autoorder.ebay.client import EbayError, ReauthorizationNeededError, parse_ebay_timestamp
from autoorder.ebay.sync import MalformedOrderError, ingest
from autoorder.extensions import db
from autoorder.models import EbayAccount
from autoorder.orders import OrderStatus

log = logging.getLogger(__name__)

OVERLAP = timedelta(minutes=2)  # re-read a little: eBay's lastModifiedDate index lags slightly
FIRST_LOOKBACK = timedelta(days=1)
MAX_BACKOFF = timedelta(minutes=15)


def poll_ebay_account(account_id: int) -> str:
    """Create sales for new eBay line items and apply cancellations; safe to run twice."""
    account = db.session.get(EbayAccount, account_id)
    if account is None or account.status != accounts.CONNECTED:
        return "skipped"
    started = clock.now()
    since = (account.poll_cursor or started - FIRST_LOOKBACK) - OVERLAP
    client = accounts.client_for(account)
    newest, created, seen = account.poll_cursor, 0, 0
    try:
        for page in client.iter_orders_modified_since(since):
            new_sales = []
            for ebay_order in page.get("orders") or []:
                new_sales += ingest(account, ebay_order)
                seen += 1
                modified = ebay_order.get("lastModifiedDate")
                if modified:
                    stamp = parse_ebay_timestamp(modified)
                    newest = stamp if newest is None or stamp > newest else newest
            db.session.commit()  # each page's sales are safe even if a later page fails
            created += len(new_sales)
            _enqueue_buying(new_sales)
    except ReauthorizationNeededError as exc:
        db.session.rollback()
        accounts.mark_reconnect_needed(db.session.get(EbayAccount, account_id), exc)
        db.session.commit()
        log.warning("ebay account %s needs reconnecting: %s", account_id, exc)
        return "reconnect_needed"
    except (EbayError, MalformedOrderError, ValueError) as exc:
        db.session.rollback()
        return _back_off(account_id, exc)
    account.poll_cursor = newest  # eBay's own lastModifiedDate: no clock skew between us
    account.last_polled_at, account.poll_failures, account.last_error = started, 0, None
    account.next_poll_at = started + timedelta(seconds=current_app.config["POLL_SECONDS"])
    db.session.commit()
    log.info("ebay account %s polled: %d orders seen, %d sales created", account_id, seen, created)
    return f"seen={seen} created={created}"


def _enqueue_buying(new_sales) -> None:
    """Schedule each new waiting sale at its buffer end (RQ's scheduler polls every second).

    Best effort after the commit: if Redis is down, the periodic tick enqueues it from the database.
    """
    from autoorder.jobs.tick import enqueue_order

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
    delay = min(timedelta(seconds=60) * 2 ** account.poll_failures, MAX_BACKOFF)
    account.next_poll_at = clock.now() + delay
    request_id = getattr(exc, "request_id", None)
    account.last_error = f"{type(exc).__name__}: {exc}" + (f" (request id {request_id})" if request_id else "")
    db.session.commit()
    log.warning("ebay account %s poll failed (%s, request id %s); retry in %s",
                account_id, type(exc).__name__, request_id, delay)
    return "backoff"
