"""One checkout per supplier account at a time, across every worker process and machine.

A supplier account has one cart and one checkout state (the demo shop's, Amazon's, AliExpress's
and Walmart's alike): two browsers driving it at once mix their items and addresses. So whatever
changes an account's state (a checkout, a recovery look-up that signs in, a login test, a browser
sign-in for tracking) first takes that account's lock: a lease in the ``order_bots`` row
(``checkout_lock_owner`` / ``checkout_lock_expires_at``), taken with one conditional UPDATE.

The lease is short and renewed by a heartbeat thread while the holder works, so it dies with its
process (SIGKILL, a lost machine): another worker may take it ``lease`` seconds later. A holder
checks ``still_held()`` right before the one irreversible click: a holder that was frozen past its
lease (and so may have been overtaken) stops instead of clicking.

The lock is written on a connection of its own (so taking it commits nothing of the caller's):
callers commit their own pending writes first, or on SQLite they would wait for themselves.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, update

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import OrderBot

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 30


class AccountBusyError(Exception):
    """Another worker is using this supplier account; try again later."""


class AccountLockLostError(Exception):
    """Our lease on the account ran out and may have been taken over: stop before acting."""


def _table():
    return OrderBot.__table__


def _lease_seconds() -> int:
    return int(current_app.config.get("ACCOUNT_LOCK_SECONDS") or DEFAULT_LEASE_SECONDS)


def try_acquire(bot_id: int, owner: str, lease_seconds: int) -> bool:
    """Take (or re-take, if ours) the account's lock when it is free or expired. Own transaction."""
    t, now = _table(), clock.now()
    free = or_(
        t.c.checkout_lock_owner.is_(None),
        t.c.checkout_lock_owner == owner,
        t.c.checkout_lock_expires_at < now,
    )
    return _lease(bot_id, free, now + timedelta(seconds=lease_seconds), owner=owner)


def renew(bot_id: int, owner: str, lease_seconds: int) -> bool:
    """Extend our unexpired lease; False if it is no longer ours (or already expired)."""
    t, now = _table(), clock.now()
    ours = and_(t.c.checkout_lock_owner == owner, t.c.checkout_lock_expires_at >= now)
    return _lease(bot_id, ours, now + timedelta(seconds=lease_seconds))


def _lease(bot_id: int, condition, expires_at, owner: str | None = None) -> bool:
    """One conditional UPDATE of the bot's lease (and owner, when taking it), on a connection of
    its own: did it apply?"""
    t = _table()
    values = {"checkout_lock_expires_at": expires_at}
    if owner is not None:
        values["checkout_lock_owner"] = owner
    with db.engine.begin() as connection:
        result = connection.execute(update(t).where(t.c.id == bot_id, condition).values(**values))
    return result.rowcount == 1


def release(bot_id: int, owner: str) -> None:
    t = _table()
    with db.engine.begin() as connection:
        connection.execute(
            update(t)
            .where(t.c.id == bot_id, t.c.checkout_lock_owner == owner)
            .values(checkout_lock_owner=None, checkout_lock_expires_at=None)
        )


class AccountLock:
    """A held account lock; ``still_held()`` renews it and says whether it is still ours."""

    def __init__(self, bot_id: int, owner: str, lease_seconds: int):
        self.bot_id, self.owner, self.lease_seconds = bot_id, owner, lease_seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def still_held(self) -> bool:
        if self.lost.is_set():
            return False
        if not renew(self.bot_id, self.owner, self.lease_seconds):
            self.lost.set()
        return not self.lost.is_set()

    def check(self) -> None:
        """Raise AccountLockLostError unless the lock is still ours (renewing it)."""
        if not self.still_held():
            raise AccountLockLostError(
                f"the lock on supplier account {self.bot_id} ran out; another worker may use it"
            )

    def _heartbeat(self, app, every: float) -> None:
        with app.app_context():
            while not self._stop.wait(every):
                try:
                    if not renew(self.bot_id, self.owner, self.lease_seconds):
                        self.lost.set()
                        log.error("bot %s: account lock lost to another worker", self.bot_id)
                        return
                except Exception:  # noqa: BLE001 - a DB hiccup: the next beat or check() decides
                    log.warning("bot %s: renewing the account lock failed", self.bot_id)
                finally:
                    db.session.remove()

    def start_heartbeat(self) -> None:
        url = str(current_app.config["SQLALCHEMY_DATABASE_URI"])
        if url in ("sqlite://", "sqlite:///:memory:"):
            return  # one shared in-memory connection (unit tests): renewals happen in check()
        app = current_app._get_current_object()
        every = max(1.0, self.lease_seconds / 4)
        self._thread = threading.Thread(
            target=self._heartbeat,
            args=(app, every),
            name=f"account-lock-{self.bot_id}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


@contextmanager
def hold(bot_id: int, owner: str, lease_seconds: int | None = None):
    """Hold the account's lock for the ``with`` block; AccountBusyError if someone else has it."""
    lease_seconds = lease_seconds or _lease_seconds()
    if not try_acquire(bot_id, owner, lease_seconds):
        raise AccountBusyError(f"supplier account {bot_id} is busy with another order")
    lock = AccountLock(bot_id, owner, lease_seconds)
    lock.start_heartbeat()
    try:
        yield lock
    finally:
        lock.stop()
        try:
            release(bot_id, owner)
        except Exception:  # noqa: BLE001 - the lease runs out by itself
            log.warning("bot %s: releasing the account lock failed; it expires by itself", bot_id)


def holder(bot_id: int) -> str | None:
    """Who holds the account's unexpired lock (for display and tests), or None."""
    bot = db.session.get(OrderBot, bot_id)
    if bot is None or bot.checkout_lock_owner is None:
        return None
    if bot.checkout_lock_expires_at is None or bot.checkout_lock_expires_at < clock.now():
        return None
    return bot.checkout_lock_owner
