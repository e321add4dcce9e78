"""Notifications (issue 17): tell a team when something needs them, once per event and window.

``notify(team_id, kind, key, subject, body, url=None)`` is the one door. It records a
Notification (the in-app list, with its unread badge) and one pending NotificationDelivery per
enabled target of the team, inside the caller's transaction (it never commits). The rows are
unique per (team, kind, key, window): raising the same event again inside its window records
nothing, even from several workers at once (a unique key, inserted under a savepoint).

Nothing is sent here: the ``enqueue_pending_notifications`` duty (``jobs.tick``) enqueues
``jobs.notify.deliver_notification(id)`` for pending deliveries, and that job sends through apprise.
So nothing is ever sent inside a web request, and a Redis loss loses no message.

The events, each with its window, are listed in KINDS; the helpers below raise them where they
happen (``orders.fail``, the credits ledger, eBay accounts and polls, the canary, the ship-by duty,
the daily summary). ``gift_card_low`` is the one the gift-card ledger calls.
"""

import hashlib
import io
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import (
    CreditEntry,
    Notification,
    NotificationDelivery,
    NotificationTarget,
    Team,
)

log = logging.getLogger(__name__)

DAY = 86400
DEFAULT_CREDITS_BELOW = 10  # "credits low" when a spend leaves this many or fewer
DEFAULT_GIFT_CARD_BELOW = Decimal("25.00")


@dataclass(frozen=True)
class Kind:
    label: str
    window: int | None  # seconds; None: once per key, ever
    key_is: str  # what the key names (documentation and the settings page)


KINDS: dict[str, Kind] = {
    "needs_attention": Kind("Needs you", None, "sale"),
    "payment_declined": Kind("Payment declined", None, "sale"),
    "credits_low": Kind("Credits low", DAY, "team"),
    "credits_out": Kind("Credits out", DAY, "team"),
    "gift_card_low": Kind("Gift-card balance low", DAY, "order bot"),
    "ebay_reconnect": Kind("eBay account needs reconnecting", DAY, "eBay account"),
    "ebay_unreadable": Kind("Unreadable eBay order", None, "eBay order"),
    "canary_broken": Kind("Checkout check failed", DAY, "order bot"),
    "ship_by_at_risk": Kind("Ship-by date at risk", None, "sale"),
    "daily_summary": Kind("Daily summary", None, "day"),
    "test": Kind("Test message", None, "click"),
}
# Holds that end by themselves (eBay reports the payment): no message.
QUIET_HOLDS = {"unpaid"}

DELIVERY_STATES = ("pending", "sending", "sent", "failed")
MAX_ATTEMPTS = 3
RETRY_AFTER = (60, 600)  # seconds before the 2nd and 3rd attempt at a target that failed


class UnknownKindError(ValueError):
    """notify() was given a kind KINDS does not list."""


def dedup_key(kind: str, key, now: datetime | None = None) -> str:
    """The unique key of an event: kind, key and (for windowed kinds) the window it falls in."""
    window = KINDS[kind].window
    text = f"{kind}:{key}"
    if window:
        now = now or clock.now()
        text += f"@{int(now.timestamp()) // window}"
    if len(text) > 255:
        text = text[:190] + "#" + hashlib.sha256(text.encode()).hexdigest()
    return text


def notify(
    team_id: int, kind: str, key, subject: str, body: str, url: str | None = None
) -> Notification | None:
    """Record the event and its pending deliveries; None if already recorded in its window.

    Raises UnknownKindError for a kind not in KINDS. Does not commit (the caller's transaction
    holds it: a rolled-back event is never told)."""
    if kind not in KINDS:
        raise UnknownKindError(f"unknown notification kind {kind!r}")
    unique = dedup_key(kind, key)
    with db.session.no_autoflush:
        if db.session.scalar(
            select(Notification.id).where(
                Notification.team_id == team_id, Notification.dedup_key == unique
            )
        ):
            return None
    notification = Notification(
        team_id=team_id,
        kind=kind,
        dedup_key=unique,
        subject=subject[:255],
        body=body,
        url=(url or None) and url[:500],
        created_at=clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
            for target_id in db.session.scalars(
                select(NotificationTarget.id).where(
                    NotificationTarget.team_id == team_id, NotificationTarget.enabled
                )
            ):
                db.session.add(
                    NotificationDelivery(notification_id=notification.id, target_id=target_id)
                )
    except IntegrityError:  # another worker recorded the same event a moment ago
        return None
    log.info("notification %s recorded (team %s, %s)", notification.id, team_id, kind)
    return notification


# --- the events ----------------------------------------------------------------------------------
def order_needs_you(order) -> Notification | None:
    """A sale moved to needs attention or failed (``orders.fail``): once per sale."""
    code = order.failure_code or ""
    if code in QUIET_HOLDS:
        return None
    if code == "out_of_credits":
        return credits_out(order.team_id)
    label = order.title or f"eBay order {order.ebay_order_id}"
    url = f"/orders/{order.id}"
    if code == "payment_declined":
        return notify(
            order.team_id,
            "payment_declined",
            order.id,
            f"Payment declined: {label}",
            f"The supplier declined the payment for this sale; nothing was bought.\n"
            f"{order.failure_message or ''}",
            url,
        )
    state = {"failed": "failed", "needs_you": "needs you (press Solve)"}.get(
        order.status, "needs attention"
    )
    return notify(
        order.team_id,
        "needs_attention",
        order.id,
        f"Sale {state}: {label}",
        f"{order.failure_message or code}\nCode: {code}",
        url,
    )


def credits_out(team_id: int) -> Notification | None:
    return notify(
        team_id,
        "credits_out",
        team_id,
        "Auto-order credits are used up",
        "No auto-order credits left: new sales wait until a credits package is bought.",
        "/console/",
    )


def credits_spent(team_id: int) -> Notification | None:
    """After a credit is spent: tell the team when the balance is low (threshold) or out."""
    left = CreditEntry.balance(team_id)
    if left <= 0:
        return credits_out(team_id)
    team = db.session.get(Team, team_id)
    threshold = team.notify_credits_below
    threshold = DEFAULT_CREDITS_BELOW if threshold is None else threshold
    if left > threshold:
        return None
    return notify(
        team_id,
        "credits_low",
        team_id,
        f"Auto-order credits low: {left} left",
        f"{left} auto-order credit{'s' if left != 1 else ''} left (you are told at {threshold} "
        "or fewer). Buy a credits package before they run out.",
        "/console/",
    )


def gift_card_threshold(team_id: int) -> Decimal:
    team = db.session.get(Team, team_id)
    value = team.notify_gift_card_below if team is not None else None
    return DEFAULT_GIFT_CARD_BELOW if value is None else value


def gift_card_low(bot, balance, *, needed=None, force: bool = False) -> Notification | None:
    """A bot's gift-card balance is low: told once a day per bot.

    Called with the balance read or typed; without ``force`` only when it is under the team's
    threshold. ``needed``: the total of a sale that the balance cannot cover (then always told)."""
    balance = Decimal(str(balance)) if balance is not None else None
    threshold = gift_card_threshold(bot.team_id)
    if not force and needed is None and (balance is None or balance >= threshold):
        return None
    body = (
        f"The gift-card balance of order bot {bot.name} is "
        f"{balance if balance is not None else 'unknown'}."
    )
    if needed is not None:
        body += f" A sale needs {needed}: it waits until the balance is topped up."
    else:
        body += f" You are told under {threshold}. Top it up before sales wait for it."
    return notify(
        bot.team_id, "gift_card_low", bot.id, f"Gift-card balance low: {bot.name}", body, "/bots/"
    )


def ebay_reconnect_needed(account) -> Notification | None:
    return notify(
        account.team_id,
        "ebay_reconnect",
        account.id,
        f"eBay account {account.name} needs reconnecting",
        "eBay refused the stored login: no new sales are seen and no tracking is uploaded for "
        "this account until it is connected again (Settings → Reconnect).",
        "/settings/",
    )


def ebay_order_unreadable(account, ebay_order_id: str | None, error: str) -> Notification | None:
    return notify(
        account.team_id,
        "ebay_unreadable",
        f"{account.id}:{ebay_order_id or hashlib.sha256(error.encode()).hexdigest()[:16]}",
        f"An eBay order could not be read ({account.name})",
        f"eBay order {ebay_order_id or '(without an order id)'} could not be read: {error[:500]}\n"
        "It is read again on every check; other orders are not held up.",
        "/settings/",
    )


def canary_broken(bot, result: dict) -> Notification | None:
    steps = [s for s in result.get("steps") or [] if not s.get("ok")]
    where = f" at step {steps[-1]['name']}" if steps and steps[-1].get("name") else ""
    return notify(
        bot.team_id,
        "canary_broken",
        bot.id,
        f"Checkout check failed: {bot.name}",
        f"The dry-run checkout of order bot {bot.name} failed{where}: "
        f"{result.get('message') or result.get('code')}. Sales for this bot may fail too.",
        "/bots/",
    )


def ship_by_at_risk(order) -> Notification | None:
    label = order.title or f"eBay order {order.ebay_order_id}"
    return notify(
        order.team_id,
        "ship_by_at_risk",
        order.id,
        f"Ship-by date at risk: {label}",
        f"eBay's ship-by date is {order.ship_by_at:%Y-%m-%d %H:%M} UTC and the tracking is not on "
        "eBay yet.",
        f"/orders/{order.id}",
    )


def daily_summary(team_id: int, day: date) -> Notification | None:
    """Yesterday's sales in one message (bought, failed, profit); None if nothing happened."""
    from autoorder import reports

    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    totals = reports.summary(team_id, start, start + timedelta(days=1))
    if not totals["sales"]:
        return None
    lines = [
        f"Sales: {totals['sales']}",
        f"Bought: {totals['bought']}",
        f"Failed or needing you: {totals['failed']}",
        f"Profit (bought sales): {totals['profit']}",
    ]
    if totals["fees_estimated"]:
        lines.append("Some eBay fees were not reported by eBay and are left out.")
    return notify(
        team_id,
        "daily_summary",
        day.isoformat(),
        f"Daily summary {day.isoformat()}: {totals['bought']} bought, profit {totals['profit']}",
        "\n".join(lines),
        f"/reports/?start={day.isoformat()}&end={day.isoformat()}",
    )


def send_test(team_id: int, actor: str) -> Notification:
    """A test message to every enabled target (each click is its own event)."""
    return notify(
        team_id,
        "test",
        uuid.uuid4().hex,
        "autoorder test message",
        f"This is a test message from autoorder, sent by {actor}. Your notifications reach you.",
        "/notifications/",
    )


# --- the in-app list ----------------------------------------------------------------------------
def unread_count(team_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.team_id == team_id, Notification.read_at.is_(None)
        )
    )


def mark_all_read(team_id: int) -> int:
    """Mark the team's notifications read; return how many. Does not commit."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.team_id == team_id, Notification.read_at.is_(None))
        .values(read_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- targets -------------------------------------------------------------------------------------
def masked(url: str) -> str:
    """What may be shown of a target URL: the scheme, and the host when it is a host name or
    address (Slack, Discord and Telegram URLs carry tokens where the host would be)."""
    scheme = url.strip().split("://", 1)[0].lower() if "://" in url else "?"
    scheme = scheme if scheme.isascii() and scheme.replace("+", "").isalnum() else "?"
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError:  # e.g. tgram://123456:token/…: the "port" is part of a token
        return f"{scheme}://•••"
    looks_like_host = host == "localhost" or "." in host or ":" in host  # names, IPv4, IPv6
    if not looks_like_host:
        return f"{scheme}://•••"
    return f"{scheme}://{host}{f':{port}' if port else ''}"


def secret_parts(url: str) -> list[str]:
    """The pieces of a target URL that may be secret (user, password, host tokens, path, query),
    longest first: scrubbed out of any error text before it is stored or logged."""
    parts = [url]
    try:
        split = urlsplit(url)
        parts += [split.username or "", split.password or "", split.hostname or ""]
        parts += split.path.split("/")
        parts += [p.split("=", 1)[-1] for p in split.query.split("&")]
        parts += [split.netloc]
    except ValueError:
        pass
    shown = masked(url)
    return sorted({p for p in parts if p and len(p) >= 4 and p not in shown}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` with every possibly secret part of ``url`` replaced by •••."""
    for part in secret_parts(url):
        text = text.replace(part, "•••")
    return text


MAX_URL_LENGTH = 2000


@contextmanager
def quiet_apprise():
    """Capture apprise's warnings and errors in a buffer (yielded) instead of the app's logs: its
    messages and debug lines can carry a target's URL, tokens included. urllib3's debug lines
    (request paths, which may hold a webhook token) are held back too."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(message)s"))
    saved = []
    for name, level in (("apprise", logging.WARNING), ("urllib3", logging.WARNING)):
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.propagate))
        logger.setLevel(level)
        logger.propagate = False
    apprise_logger = saved[0][0]
    apprise_logger.addHandler(handler)
    try:
        yield buffer
    finally:
        apprise_logger.removeHandler(handler)
        for logger, level, propagate in saved:
            logger.setLevel(level)
            logger.propagate = propagate


def target_problem(url: str) -> str | None:
    """Why ``url`` cannot be a notification target (None if apprise understands it)."""
    import apprise

    url = (url or "").strip()
    if not url:
        return "Enter an apprise URL, e.g. mailtos://user:password@smtp.example.com."
    if len(url) > MAX_URL_LENGTH:
        return f"Use at most {MAX_URL_LENGTH} characters."
    if any(ord(ch) < 32 for ch in url):
        return "Remove the control characters from the URL."
    if "://" not in url:
        return (
            "An apprise URL starts with its service, e.g. mailtos://, json://, slack://, tgram://."
        )
    with quiet_apprise():
        service = apprise.Apprise.instantiate(url)
    if service is None:
        return (
            f"apprise does not understand this URL (service “{url.split('://', 1)[0][:20]}”): "
            "see https://github.com/caronc/apprise/wiki for the services and their URL forms."
        )
    return None


def add_target(team_id: int, url: str, *, label: str | None, actor: str) -> NotificationTarget:
    """Store a target (encrypted; shown masked). Raises ValueError if apprise refuses it. Does not
    commit."""
    problem = target_problem(url)
    if problem:
        raise ValueError(problem)
    url = url.strip()
    target = NotificationTarget(
        team_id=team_id,
        url=url,
        display=masked(url)[:255],
        label=(label or "").strip()[:120] or None,
        enabled=True,
        created_by=actor,
    )
    db.session.add(target)
    return target


def remove_target(target: NotificationTarget) -> None:
    """Delete a target and its delivery history. Does not commit."""
    db.session.execute(
        NotificationDelivery.__table__.delete().where(NotificationDelivery.target_id == target.id)
    )
    db.session.delete(target)
