"""test_bot_login: sign a bot in on its supplier, without buying, and keep the session it gets.

The result (state, ok, code, message) is kept on the bot (``last_login_check_at/_result``).
"""

import logging
import os
import socket
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import select

from autoorder import account_lock, clock
from autoorder.extensions import db
from autoorder.models import OrderBot
from autoorder.queues import enqueue_once
from autoorder.scrapers.base import SupplierError, UnknownSupplierError
from autoorder.scrapers.session import BotSession

log = logging.getLogger(__name__)

JOB_TIMEOUT = 120  # seconds; Playwright's own timeouts are far lower
PENDING, DONE = "pending", "done"


def test_bot_login(bot_id: int) -> str:
    """Log the bot in on its supplier in a fresh browser context, save the session; return the
    code."""
    bot = db.session.get(OrderBot, bot_id)
    if bot is None:
        return "missing"
    notes = {}
    try:  # signs in afresh under the account lock and saves the session (BotSession.login)
        notes = BotSession(bot, owner=f"login-test:{socket.gethostname()}:{os.getpid()}").login()
    except account_lock.AccountBusyError:
        result = {
            "ok": False,
            "code": "busy",
            "message": "The bot is placing an order right now; test the login again in a minute.",
        }
    except SupplierError as exc:
        result = {"ok": False, "code": exc.code, "message": bot.redact(exc.message)}
    except UnknownSupplierError:
        result = {
            "ok": False,
            "code": "unknown_supplier",
            "message": f"autoorder has no adapter for the supplier {bot.supplier.name}.",
        }
    except Exception as exc:  # noqa: BLE001 - the result must say what happened, whatever it was
        db.session.rollback()
        result = {
            "ok": False,
            "code": "error",
            "message": bot.redact(f"{type(exc).__name__}: {exc}"),
        }
    else:
        result = {
            "ok": True,
            "code": "ok",
            "message": (
                f"Signed in to {bot.supplier.name}; the session is saved for the next orders."
            ),
        }
        if notes.get("totp") == "accepted":  # the authenticator key works (shown on the bot)
            result["totp"] = "works"
    save_login_check(bot_id, {"state": DONE, "at": clock.now().isoformat(), **result})
    log.info("bot %s login test: %s", bot_id, result["code"])
    return result["code"]


def enqueue_login_test(bot_id: int):
    """Mark the test pending and enqueue it on the "orders" queue (it runs a browser).

    Raises RedisError when the queue is down, leaving the previous result in place.
    """
    bot = db.session.get(OrderBot, bot_id)
    previous = (bot.last_login_check_at, bot.last_login_check_result)
    save_login_check(bot_id, {"state": PENDING})
    try:
        return enqueue_once(
            "orders",
            test_bot_login,
            bot_id,
            job_id=f"test-bot-login-{bot_id}",
            timeout=JOB_TIMEOUT,
        )
    except RedisError:
        bot.last_login_check_at, bot.last_login_check_result = previous
        db.session.commit()
        raise


# --- result storage on the bot row -----------------------------------------------------------
def save_login_check(bot_id: int, result: dict) -> None:
    """Record a login test's state on the bot; ``result["at"]`` (ISO time) defaults to now.
    Commits."""
    bot = db.session.get(OrderBot, bot_id)
    if bot is not None:
        at = result.get("at")
        bot.last_login_check_at = datetime.fromisoformat(at).astimezone(UTC) if at else clock.now()
        bot.last_login_check_result = {k: v for k, v in result.items() if k != "at"}
        db.session.commit()


def load_login_checks(bot_ids) -> dict[int, dict]:
    """Return {bot_id: result} for the bots that have one."""
    bot_ids = list(bot_ids)
    if not bot_ids:
        return {}
    checks = {}
    for bot in db.session.scalars(select(OrderBot).where(OrderBot.id.in_(bot_ids))):
        if bot.last_login_check_result and bot.last_login_check_at:
            check = dict(bot.last_login_check_result, at=bot.last_login_check_at)
            check["stale"] = check.get("state") == PENDING and clock.now() - check[
                "at"
            ] > timedelta(seconds=JOB_TIMEOUT + 60)
            checks[bot.id] = check
    return checks
