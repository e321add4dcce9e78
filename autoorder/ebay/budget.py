"""eBay API call budget: count every call per application, eBay day and operation, and stretch
account polling fairly when the day's calls would run past a configured budget.

eBay's call limits are per application per day, and eBay's day starts at midnight
America/Los_Angeles (Pacific time, daylight saving included), so the counter is keyed by that date.
The counts live in the database (``ebay_api_usage``): shared by every worker, and not lost with
Redis.

Jobs run inside ``counting_calls``: the calls are added up in memory and written once when the job
ends, after its own commit (so no second connection writes while the job holds a SQLite write lock).
A call outside a job (a web request) is written at once.
"""

import logging
from collections import Counter
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import EbayAccount, EbayApiUsage

log = logging.getLogger(__name__)

EBAY_DAY_ZONE = ZoneInfo("America/Los_Angeles")
POLL_OPERATIONS = ("getOrders", "getOrder")  # what one account poll spends
RESERVE = 0.2  # of the budget kept for tracking uploads, pre-buy checks and the rest

_scope: ContextVar[Counter | None] = ContextVar("ebay_call_scope", default=None)


def ebay_day(at: datetime | None = None) -> date:
    """The eBay day (Pacific date) that ``at`` (default now) falls in."""
    return (at or clock.now()).astimezone(EBAY_DAY_ZONE).date()


def next_day_start(at: datetime | None = None) -> datetime:
    """The next midnight in America/Los_Angeles, as an aware datetime."""
    day = ebay_day(at) + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=EBAY_DAY_ZONE)


def _client_id() -> str:
    return current_app.config.get("EBAY_CLIENT_ID") or "(no client id)"


def record_call(operation: str) -> None:
    """EbayClient.on_call: count one call (in the job's tally, or at once outside a job)."""
    tally = _scope.get()
    if tally is not None:
        tally[operation] += 1
        return
    try:
        with db.engine.begin() as connection:
            _add(connection, Counter({operation: 1}))
    except Exception:  # counting must never break the call it counts
        log.exception("eBay call not counted (%s)", operation)


def counting_calls(job):
    """Decorate a job: its eBay calls are tallied and written when it ends, however it ends."""

    @wraps(job)
    def wrapper(*args, **kwargs):
        if _scope.get() is not None:  # nested: the outer job writes
            return job(*args, **kwargs)
        token = _scope.set(Counter())
        failed = True
        try:
            result = job(*args, **kwargs)
            failed = False
            return result
        finally:
            tally = _scope.get()
            _scope.reset(token)
            if tally:
                flush(tally, rollback_first=failed)

    return wrapper


def flush(tally: Counter, *, rollback_first: bool = False) -> None:
    try:
        if rollback_first:
            db.session.rollback()
        _add(db.session, tally)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("eBay calls not counted: %s", dict(tally))


def _add(executor, tally: Counter) -> None:
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    day, client_id = ebay_day(), _client_id()
    table = EbayApiUsage.__table__
    for operation, calls in sorted(tally.items()):
        statement = insert(table).values(
            client_id=client_id, day=day, operation=operation[:64], calls=calls
        )
        statement = statement.on_conflict_do_update(
            index_elements=["client_id", "day", "operation"],
            set_={"calls": table.c.calls + statement.excluded.calls},
        )
        executor.execute(statement)


def usage(day: date | None = None) -> dict[str, int]:
    """Calls per operation on an eBay day (default today) for this application."""
    rows = db.session.execute(
        select(EbayApiUsage.operation, EbayApiUsage.calls).where(
            EbayApiUsage.client_id == _client_id(), EbayApiUsage.day == (day or ebay_day())
        )
    ).all()
    return {operation: calls for operation, calls in sorted(rows)}


def daily_budget() -> int | None:
    budget = current_app.config.get("EBAY_DAILY_CALL_BUDGET")
    return int(budget) if budget else None


def poll_interval(now: datetime | None = None) -> timedelta:
    """Seconds until an account's next poll: the configured interval, stretched (the same for every
    account, so fairly) when polling all connected accounts at that pace until eBay's midnight would
    spend more than the polling share of what is left of today's budget."""
    now = now or clock.now()
    base = timedelta(seconds=current_app.config["POLL_SECONDS"])
    budget = daily_budget()
    if not budget:
        return base
    today = usage(ebay_day(now))
    spent = sum(today.values())
    left_for_polls = budget * (1 - RESERVE) - spent
    midnight = next_day_start(now)
    if left_for_polls <= 0:
        return max(base, midnight - now + timedelta(seconds=1))
    accounts = db.session.scalar(
        select(func.count()).select_from(EbayAccount).where(EbayAccount.status == "connected")
    )
    per_poll = 1 + today.get("getOrder", 0) / max(today.get("getOrders", 0), 1)
    seconds_left = (midnight - now).total_seconds()
    needed = seconds_left * max(accounts, 1) * per_poll / left_for_polls
    return max(base, timedelta(seconds=needed))
