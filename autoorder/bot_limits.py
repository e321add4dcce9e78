"""Order limits per supplier account, and which of a team's bots buys a sale (rotation).

A bot places at most ``max_orders_per_hour`` orders in any 60 minutes and ``max_orders_per_day`` in
any 24 hours, at least ``min_gap_seconds`` apart, and none in its quiet hours (``quiet_start`` to
``quiet_end``, local time of the team's time zone, UTC when the team has none). An order counts
from the moment its place-order click may happen: a purchase attempt's ``placing_at``, committed
before the click. The job counts while it holds the bot's account lock (autoorder.account_lock),
so no other worker can click for that account between the count and the click: the limits hold
across any number of workers, from the database alone.

Rotation: a sale may be bought by any enabled bot of its team on the supplier of its listing's bot.
The candidates are ranked: free now and with enough gift-card balance first, then the most orders
left in this hour/day, then the largest balance, then the one used least recently.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from autoorder import clock, gift_cards
from autoorder.extensions import db
from autoorder.models import OrderBot, PurchaseAttempt, Team

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DEFAULTS = {"max_orders_per_hour": 10, "max_orders_per_day": 50, "min_gap_seconds": 60}
BOT_LIMIT = "bot_limit"


@dataclass
class Standing:
    """Where a bot stands against its limits at ``at``."""

    bot: OrderBot
    next_at: datetime | None  # None: it may place an order now
    why: str | None  # hourly limit | daily limit | minimum gap | quiet hours
    left: int  # orders left before the hourly or daily limit, whichever is nearer
    last_at: datetime | None  # its last order (for least-recently-used)


def parse_hhmm(value: str | None) -> time | None:
    """ "HH:MM" → time; ValueError for anything else ("" and None are None)."""
    text = (value or "").strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() and len(p) == 2 for p in parts):
        raise ValueError("Enter the time as HH:MM (24-hour clock), e.g. 22:30.")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise ValueError("Enter the time as HH:MM (24-hour clock), e.g. 22:30.")
    return time(hour, minute)


def team_zone(team_id: int) -> ZoneInfo:
    """The team's time zone (a ``time_zone`` setting when the team has one), else UTC."""
    team = db.session.get(Team, team_id)
    name = getattr(team, "time_zone", None) if team is not None else None
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(bot: OrderBot, at: datetime, zone: ZoneInfo) -> datetime | None:
    """The end of the quiet hours ``at`` falls in, or None when ``at`` is outside them."""
    start, end = parse_hhmm(bot.quiet_start), parse_hhmm(bot.quiet_end)
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(zone)
    now_t = local.time()
    inside = start <= now_t < end if start < end else (now_t >= start or now_t < end)
    if not inside:
        return None
    end_dt = datetime.combine(local.date(), end, tzinfo=zone)
    if end_dt <= local:
        end_dt += DAY
    return end_dt.astimezone(at.tzinfo)


def placed_times(bot_id: int, since: datetime) -> list[datetime]:
    """When the bot's orders (attempts that reached the click) were placed since ``since``."""
    return list(
        db.session.scalars(
            select(PurchaseAttempt.placing_at)
            .where(PurchaseAttempt.bot_id == bot_id, PurchaseAttempt.placing_at > since)
            .order_by(PurchaseAttempt.placing_at)
        )
    )


def standing(bot: OrderBot, at: datetime | None = None) -> Standing:
    """Count the bot's orders from the database and say when it may place the next one."""
    at = at or clock.now()
    day = placed_times(bot.id, at - DAY)
    hour = [t for t in day if t > at - HOUR]
    per_hour = bot.max_orders_per_hour or DEFAULTS["max_orders_per_hour"]
    per_day = bot.max_orders_per_day or DEFAULTS["max_orders_per_day"]
    gap = timedelta(seconds=bot.min_gap_seconds or 0)
    last = day[-1] if day else _last_placed(bot.id)
    waits = []
    # the count drops below a limit when the oldest order that matters ages out of its window
    if len(hour) >= per_hour:
        waits.append((hour[len(hour) - per_hour] + HOUR, "hourly limit"))
    if len(day) >= per_day:
        waits.append((day[len(day) - per_day] + DAY, "daily limit"))
    if last is not None and last + gap > at:
        waits.append((last + gap, "minimum gap"))
    next_at, why = max(waits, key=lambda w: w[0]) if waits else (None, None)
    zone = team_zone(bot.team_id)
    quiet = quiet_until(bot, next_at or at, zone)
    if quiet is not None:
        next_at, why = quiet, "quiet hours"
    left = max(0, min(per_hour - len(hour), per_day - len(day)))
    return Standing(bot, next_at, why, left, last)


def _last_placed(bot_id: int) -> datetime | None:
    return db.session.scalar(
        select(func.max(PurchaseAttempt.placing_at)).where(PurchaseAttempt.bot_id == bot_id)
    )


def candidates(order, bot: OrderBot) -> list[OrderBot]:
    """Every enabled bot of the sale's team on ``bot``'s supplier (``bot`` itself included when
    enabled): the accounts that can buy this listing."""
    return list(
        db.session.scalars(
            select(OrderBot)
            .where(
                OrderBot.team_id == order.team_id,
                OrderBot.supplier_id == bot.supplier_id,
                OrderBot.enabled.is_(True),
            )
            .order_by(OrderBot.id)
        )
    )


def ranked(order, bots: list[OrderBot], at: datetime | None = None) -> list[tuple]:
    """(bot, standing, covers) for each candidate, best first (see the module docstring)."""
    at = at or clock.now()
    rows = []
    for bot in bots:
        place = standing(bot, at)
        ok, have, _need = gift_cards.covers(bot, order)
        rows.append((bot, place, ok, have))
    epoch = datetime.min.replace(tzinfo=at.tzinfo)
    rows.sort(
        key=lambda r: (
            r[1].next_at is not None,  # free now first
            not r[2],  # balance covers it
            -r[1].left,
            -(r[3] or 0),
            r[1].last_at or epoch,
            r[0].id,
        )
    )
    return [(bot, place, ok) for bot, place, ok, _have in rows]


def describe(order) -> str | None:
    """What the dashboard says about a sale that waits for a reason, or None."""
    if order.wait_reason == BOT_LIMIT and order.order_after and order.order_after > clock.now():
        zone = team_zone(order.team_id)
        return f"bot limit — next at {order.order_after.astimezone(zone):%H:%M}"
    if order.wait_reason == gift_cards.LOW:
        return "gift-card balance low"
    return None
