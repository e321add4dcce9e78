"""The jobs' one public API: routes, the periodic duties and the demo ask for work only here.

Job functions are passed to RQ as objects (RQ stores their import path), each under a fixed job
id, so asking twice enqueues once (``queues.enqueue_once``). Every job is itself safe to run twice:
the database decides what is due.
"""

import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError

from autoorder.jobs.bots import enqueue_login_test, load_login_checks
from autoorder.jobs.canary import canary_folder, check_checkout
from autoorder.jobs.failures import flag_order
from autoorder.jobs.handoff import serve_handoff
from autoorder.jobs.notify import deliver_notification
from autoorder.jobs.ordering import place_order
from autoorder.jobs.privacy import erase_ebay_user
from autoorder.jobs.sales import poll_ebay_account
from autoorder.jobs.tracking import refresh_tracking
from autoorder.queues import enqueue_many_once, enqueue_once

log = logging.getLogger(__name__)

__all__ = [
    "canary_folder",
    "enqueue_erasure",
    "enqueue_handoff",
    "enqueue_notification",
    "enqueue_order",
    "enqueue_orders",
    "enqueue_tracking_check",
    "enqueue_tracking_checks",
    "enqueue_poll",
    "enqueue_login_test",
    "load_login_checks",
    "after_commit",
    "order_job_id",
    "schedule_order_at",
]


POLL_TIMEOUT, TRACKING_TIMEOUT = 120, 180  # seconds


def order_job_id(order_id: int) -> str:
    return f"place-order-{order_id}"


def enqueue_order(
    order_id: int, at=None, restart_after: float | None = None, job_id: str | None = None
):
    """Enqueue place_order for an order (at its buffer end, if given).

    ``restart_after``: seconds after which a still-"started" copy is presumed dead (see
    enqueue_once).
    """
    if at is not None and at.microsecond:  # RQ keeps whole seconds: never before the buffer ends
        at = at.replace(microsecond=0) + timedelta(seconds=1)
    return enqueue_once(
        "orders",
        place_order,
        order_id,
        job_id=job_id or order_job_id(order_id),
        at=at,
        restart_after=restart_after,
        timeout=current_app.config["ORDER_JOB_TIMEOUT"],
        on_failure=flag_order,
    )


def enqueue_orders(order_ids, restart_after: float | None = None) -> list:
    """enqueue_order (now) for many sales, in a few Redis round trips rather than a few per sale
    (the due-orders and expired-leases duties): the same job ids, the same replacement rules
    (queues.enqueue_many_once). Returns the jobs enqueued."""
    return enqueue_many_once(
        "orders",
        place_order,
        [(order_job_id(order_id), (order_id,)) for order_id in order_ids],
        restart_after=restart_after,
        timeout=current_app.config["ORDER_JOB_TIMEOUT"],
        on_failure=flag_order,
    )


def enqueue_handoff(handoff_id: int):
    """Enqueue serve_handoff on the "handoff" queue: only the hand-off process takes it, so a
    challenge waiting for a person never holds an order worker."""
    from autoorder.handoff import STALE_SECONDS

    return enqueue_once(
        "handoff",
        serve_handoff,
        handoff_id,
        job_id=f"handoff-{handoff_id}",
        timeout=int(current_app.config.get("HANDOFF_SECONDS") or 600) + 180,
        # The duty asks again only for a hand-off no process has beaten for STALE_SECONDS: a copy
        # RQ still calls "started" that long is dead (a live one beats twice a second). A second
        # copy that is not dead after all finds the hand-off taken and stops.
        restart_after=STALE_SECONDS,
    )


def schedule_order_at(order_id: int, at):
    """Schedule place_order for a sale held until ``at`` (a bot limit), under an id of its own so
    that the job asking is not in the way; a copy scheduled earlier is replaced. Running it twice,
    or next to the due-orders duty's copy, is safe: the claim lets one in."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from autoorder.queues import delete_job, redis_connection

    job_id = f"{order_job_id(order_id)}-later"
    try:
        existing = Job.fetch(job_id, connection=redis_connection())
        if existing.get_status(refresh=True) != "started":
            delete_job(existing, existing.connection)
    except NoSuchJobError:
        pass
    return enqueue_order(order_id, at=at, job_id=job_id)


def enqueue_tracking_check(order_id: int):
    """Enqueue refresh_tracking for a bought order (it re-checks whether the check is due)."""
    return enqueue_once(
        "tracking",
        refresh_tracking,
        order_id,
        job_id=f"tracking-{order_id}",
        timeout=TRACKING_TIMEOUT,
        restart_after=TRACKING_TIMEOUT,  # "started" for longer: its worker died (safe to rerun)
    )


def enqueue_tracking_checks(order_ids) -> list:
    """enqueue_tracking_check for many orders in a few Redis round trips (the duty)."""
    return enqueue_many_once(
        "tracking",
        refresh_tracking,
        [(f"tracking-{order_id}", (order_id,)) for order_id in order_ids],
        timeout=TRACKING_TIMEOUT,
        restart_after=TRACKING_TIMEOUT,
    )


def enqueue_checkout_check(bot_id: int):
    """Enqueue the dry-run canary of one bot on the "orders" queue (it runs a browser)."""
    from autoorder.jobs.canary import JOB_TIMEOUT

    return enqueue_once(
        "orders", check_checkout, bot_id, job_id=f"checkout-check-{bot_id}", timeout=JOB_TIMEOUT
    )


def enqueue_poll(account_id: int):
    """Enqueue a poll of one eBay account for new sales and cancellations."""
    return enqueue_once(
        "default",
        poll_ebay_account,
        account_id,
        job_id=f"poll-ebay-{account_id}",
        timeout=POLL_TIMEOUT,
        # "started" for longer than its timeout: its worker was killed mid-poll; polling again is
        # safe (the cursor is in the database) and must not wait for RQ's clean-up (minutes)
        restart_after=POLL_TIMEOUT,
    )


def enqueue_erasure(notice_id: int):
    """Enqueue the erasure an eBay account-deletion notice asks for."""
    return enqueue_once(
        "default", erase_ebay_user, notice_id, job_id=f"erase-ebay-user-{notice_id}", timeout=300
    )


NOTIFY_TIMEOUT = 120  # seconds: each target has apprise's own connect/read timeouts


def enqueue_notification(notification_id: int):
    """Enqueue delivery of one notification to its pending targets (sent once per target)."""
    return enqueue_once(
        "default",
        deliver_notification,
        notification_id,
        job_id=f"notify-{notification_id}",
        timeout=NOTIFY_TIMEOUT,
        restart_after=NOTIFY_TIMEOUT,  # "started" for longer: its worker died (a rerun is safe)
    )


def after_commit(enqueue, *ids) -> bool:
    """Call ``enqueue(id)`` for each id from a web request, after its commit: a Redis outage is
    logged, not raised — the periodic duties enqueue the same work from the database. Returns
    whether every enqueue reached Redis."""
    ok = True
    for item in ids:
        try:
            enqueue(item)
        except (RedisError, OSError) as exc:
            ok = False
            log.warning(
                "%s(%s) not enqueued (%s); the duties enqueue it", enqueue.__name__, item, exc
            )
    return ok
