"""Deliver notifications through apprise; the duties that enqueue deliveries and daily summaries.

``deliver_notification(id)`` takes each pending delivery of one notification with a conditional
UPDATE (pending → sending) before it sends, so running it twice, or in two workers at once, sends
each message once. A target that is down is recorded on its delivery (scrubbed error text, retried
up to ``MAX_ATTEMPTS`` times), never raised, and never stops the other targets.
"""

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from autoorder import clock, notifications
from autoorder.extensions import db
from autoorder.models import Notification, NotificationDelivery, Order
from autoorder.notifications import MAX_ATTEMPTS, RETRY_AFTER, quiet_apprise, scrub
from autoorder.reports import bounds

log = logging.getLogger(__name__)

BATCH = 500
STALE_SENDING = timedelta(minutes=10)  # a delivery "sending" this long died with its worker


def send(url: str, title: str, body: str) -> tuple[bool, str | None]:
    """Send one message to one apprise URL; return (ok, error text). Never raises."""
    import apprise

    try:
        with quiet_apprise() as captured:
            service = apprise.Apprise()
            if not service.add(url):
                return False, "apprise does not understand this URL"
            ok = bool(service.notify(title=title, body=body))
    except Exception as exc:  # noqa: BLE001 - a broken target must not stop the others
        return False, scrub(f"{type(exc).__name__}: {exc}", url)[:1000]
    if ok:
        return True, None
    text = " ".join(line for line in captured.getvalue().splitlines() if line.strip())
    return False, scrub(text or "the service did not accept the message", url)[:1000]


def _take(delivery_id: int) -> bool:
    """pending → sending for exactly one caller (commits)."""
    now = clock.now()
    result = db.session.execute(
        update(NotificationDelivery)
        .where(NotificationDelivery.id == delivery_id, NotificationDelivery.state == "pending")
        .values(state="sending", attempts=NotificationDelivery.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _message(notification: Notification) -> str:
    body = notification.body
    base = current_app.config.get("PUBLIC_BASE_URL")
    if notification.url and base:
        body += f"\n\n{base.rstrip('/')}{notification.url}"
    return body


def deliver_notification(notification_id: int) -> dict:
    """Send one notification to each of its pending targets; return counts. Safe to run twice."""
    notification = db.session.get(Notification, notification_id)
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0}
    if notification is None:
        return counts
    now = clock.now()
    due = db.session.scalars(
        select(NotificationDelivery.id).where(
            NotificationDelivery.notification_id == notification_id,
            NotificationDelivery.state == "pending",
            or_(
                NotificationDelivery.next_attempt_at.is_(None),
                NotificationDelivery.next_attempt_at <= now,
            ),
        )
    ).all()
    for delivery_id in due:
        if not _take(delivery_id):
            counts["skipped"] += 1  # another run has it
            continue
        delivery = db.session.get(NotificationDelivery, delivery_id)
        db.session.refresh(delivery)
        target = delivery.target
        if target is None or not target.enabled:
            ok, error = False, "the target was switched off before the message went out"
            delivery.attempts = MAX_ATTEMPTS
        else:
            ok, error = send(target.url, notification.subject, _message(notification))
        outcome = _record(delivery, ok, error)
        counts[outcome] += 1
        db.session.commit()
        # ids and outcome only: never the URL (it holds the target's secrets)
        log.info(
            "notification %s to target %s: %s (attempt %s)",
            notification_id,
            delivery.target_id,
            outcome,
            delivery.attempts,
        )
    return counts


def _record(delivery: NotificationDelivery, ok: bool, error: str | None) -> str:
    now = clock.now()
    if ok:
        delivery.state, delivery.sent_at, delivery.error = "sent", now, None
        return "sent"
    delivery.error = error
    if delivery.attempts < MAX_ATTEMPTS:
        delay = RETRY_AFTER[min(delivery.attempts, len(RETRY_AFTER)) - 1]
        delivery.state, delivery.next_attempt_at = "pending", now + timedelta(seconds=delay)
        return "retry"
    delivery.state = "failed"
    return "failed"


# --- the duties ----------------------------------------------------------------------------------
def enqueue_pending_notifications() -> int:
    """Enqueue delivery of every notification with a due pending delivery (and give up on
    deliveries whose worker died mid-send: sending again could send twice)."""
    from autoorder.jobs.api import enqueue_notification  # the API imports this module

    now = clock.now()
    stale = (
        NotificationDelivery.state == "sending",
        NotificationDelivery.updated_at < now - STALE_SENDING,
    )
    # Looked for first: an UPDATE that matches nothing still costs a write transaction (on
    # SQLite a journal sync) on every tick.
    if db.session.scalar(select(NotificationDelivery.id).where(*stale).limit(1)) is not None:
        _give_up_stale_sending(stale, now)
    pending = db.session.scalars(
        select(NotificationDelivery.notification_id)
        .where(
            NotificationDelivery.state == "pending",
            or_(
                NotificationDelivery.next_attempt_at.is_(None),
                NotificationDelivery.next_attempt_at <= now,
            ),
        )
        .distinct()
        .limit(BATCH)
    ).all()
    return sum(bool(enqueue_notification(notification_id)) for notification_id in pending)


def _give_up_stale_sending(stale, now) -> None:
    db.session.execute(
        update(NotificationDelivery)
        .where(*stale)
        .values(
            state="failed",
            error="interrupted while sending (its worker stopped); not sent again, so that it "
            "cannot arrive twice",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def send_daily_summaries() -> int:
    """Record yesterday's summary (UTC day) for every team that sold something; once per day."""
    yesterday = (clock.now() - timedelta(days=1)).date()
    start, end = bounds(yesterday, yesterday)
    team_ids = db.session.scalars(
        select(Order.team_id).where(Order.sold_at >= start, Order.sold_at < end).distinct()
    ).all()
    recorded = sum(
        notifications.daily_summary(team_id, yesterday) is not None for team_id in team_ids
    )
    db.session.commit()
    return recorded
