"""One checkout per supplier account (issue #9.1): the account lock, across threads and time."""

import threading
import time

import pytest

from autoorder import account_lock, clock
from autoorder.extensions import db
from tests.factories import make_bot, make_team


@pytest.fixture
def bot_id(ctx):
    bot = make_bot(make_team())
    db.session.commit()
    return bot.id


def test_a_second_owner_waits_until_the_first_releases(bot_id):
    with account_lock.hold(bot_id, "worker-a", lease_seconds=30):
        assert account_lock.holder(bot_id) == "worker-a"
        with pytest.raises(account_lock.AccountBusyError):
            with account_lock.hold(bot_id, "worker-b", lease_seconds=30):
                pass
    assert account_lock.holder(bot_id) is None
    with account_lock.hold(bot_id, "worker-b", lease_seconds=30):
        assert account_lock.holder(bot_id) == "worker-b"


def test_the_lock_is_released_when_the_checkout_raises(bot_id):
    with pytest.raises(RuntimeError):
        with account_lock.hold(bot_id, "worker-a", lease_seconds=30):
            raise RuntimeError("checkout crashed")
    assert account_lock.holder(bot_id) is None


def test_a_dead_holders_lock_expires_and_the_late_holder_cannot_click(bot_id):
    """A worker SIGKILLed mid-checkout stops renewing: after the lease another takes the
    account, and a holder that was merely frozen finds out before its click."""
    assert account_lock.try_acquire(bot_id, "frozen", lease_seconds=5)
    frozen = account_lock.AccountLock(bot_id, "frozen", 5)  # no heartbeat: it is "frozen"
    assert not account_lock.try_acquire(bot_id, "other", lease_seconds=5)
    clock.advance(6)
    try:
        with account_lock.hold(bot_id, "other", lease_seconds=5):
            assert not frozen.still_held()
            with pytest.raises(account_lock.AccountLockLostError):
                frozen.check()
    finally:
        clock.reset()


def test_the_heartbeat_keeps_a_long_checkout_locked(bot_id):
    with account_lock.hold(bot_id, "slow-checkout", lease_seconds=2) as lock:
        time.sleep(3.5)  # longer than the lease: only the heartbeat keeps it
        assert not account_lock.try_acquire(bot_id, "other", lease_seconds=2)
        assert lock.still_held()
    assert account_lock.try_acquire(bot_id, "other", lease_seconds=2)


def test_threads_on_one_account_never_overlap(app, bot_id):
    inside, overlaps, done = [0], [], []

    def checkout(name):
        with app.app_context():
            for _ in range(200):
                try:
                    with account_lock.hold(bot_id, name, lease_seconds=30):
                        inside[0] += 1
                        if inside[0] > 1:
                            overlaps.append(name)
                        time.sleep(0.002)
                        inside[0] -= 1
                        done.append(name)
                except account_lock.AccountBusyError:
                    time.sleep(0.001)
                finally:
                    db.session.remove()

    threads = [threading.Thread(target=checkout, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert overlaps == [] and len(done) > 10
