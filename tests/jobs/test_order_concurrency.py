"""Issue #9 without a browser: a busy supplier account makes a sale wait (not fail, not hold a
worker); a failure callback writes only if its job still holds the order's lease."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from rq.exceptions import AbandonedJobError

from autoorder import account_lock, clock
from autoorder.extensions import db
from autoorder.jobs.failures import flag_order
from autoorder.jobs.ordering import place_order
from autoorder.models import CreditEntry, Order, Team
from tests.factories import make_bot, make_listing, make_order, make_team


@pytest.fixture
def due_order(ctx):
    team = make_team()
    bot = make_bot(team)
    listing = make_listing(team, bot)
    db.session.add(CreditEntry(team_id=team.id, key="purchase:t", delta=5, reason="purchase"))
    order = make_order(team, listing_id=listing.id, order_after=clock.now() - timedelta(seconds=1))
    db.session.commit()
    return order


def test_a_sale_whose_account_is_busy_waits_without_being_taken(due_order):
    bot_id = due_order.listing.bot_id
    assert account_lock.try_acquire(bot_id, "host:1:place-order-other", lease_seconds=60)
    before = due_order.order_after
    assert place_order(due_order.id) == "account busy"
    db.session.expire_all()
    order = db.session.get(Order, due_order.id)
    assert order.status == "waiting" and order.attempts == [] and order.lease_owner is None
    assert order.order_after == before  # still due: bought when the account is free
    assert [e.to_status for e in order.events if e.kind == "cart"] == []  # no status churn
    assert account_lock.holder(bot_id) == "host:1:place-order-other"  # untouched


def test_a_recovery_waits_too_while_the_account_is_busy(due_order):
    order = due_order
    order.status, order.lease_owner = "in_progress", "host:9:place-order-dead"
    order.lease_expires_at = clock.now() - timedelta(seconds=1)
    db.session.commit()
    account_lock.try_acquire(order.listing.bot_id, "host:1:place-order-live", lease_seconds=60)
    assert place_order(order.id) == "account busy"
    db.session.expire_all()
    assert db.session.get(Order, order.id).lease_owner == "host:9:place-order-dead"


def _in_progress(order, owner):
    order.status, order.lease_owner = "in_progress", owner
    order.lease_expires_at = clock.now() + timedelta(minutes=5)
    db.session.commit()


def _job(job_id, order_id):
    return SimpleNamespace(id=job_id, args=(order_id,))


def test_a_dead_jobs_callback_leaves_an_order_another_job_took_over(due_order):
    _in_progress(due_order, "host-b:42:place-order-7-1a2b3c4d")  # the recovery job's lease
    flag_order(
        _job("place-order-7", due_order.id), None, AbandonedJobError, AbandonedJobError(), None
    )
    flag_order(_job("place-order-7", due_order.id), None, RuntimeError, RuntimeError("x"), None)
    db.session.expire_all()
    order = db.session.get(Order, due_order.id)
    assert (order.status, order.lease_owner) == ("in_progress", "host-b:42:place-order-7-1a2b3c4d")


def test_an_abandoned_job_leaves_its_order_to_the_expired_lease_sweep(due_order):
    _in_progress(due_order, "host-a:7:place-order-7")
    flag_order(
        _job("place-order-7", due_order.id), None, AbandonedJobError, AbandonedJobError(), None
    )
    db.session.expire_all()
    assert db.session.get(Order, due_order.id).status == "in_progress"


def test_the_lease_holders_own_crash_is_still_flagged(due_order):
    _in_progress(due_order, "host-a:7:place-order-7")
    flag_order(_job("place-order-7", due_order.id), None, RuntimeError, RuntimeError("boom"), None)
    db.session.expire_all()
    order = db.session.get(Order, due_order.id)
    assert (order.status, order.failure_code) == ("needs_attention", "unknown")


def test_one_line_per_account_the_oldest_due_sale_goes_first(due_order):
    """A younger sale never takes a free account while an older due sale of it waits (the
    account's holder hands it on to the oldest), so no sale starves behind later ones."""
    from autoorder.jobs.ordering import first_in_line

    team_id, listing = due_order.team_id, due_order.listing
    younger = make_order(
        db.session.get(Team, team_id),
        listing_id=listing.id,
        order_after=clock.now() - timedelta(milliseconds=500),
    )
    other_bot = make_bot(db.session.get(Team, team_id))
    elsewhere = make_order(
        db.session.get(Team, team_id),
        listing_id=make_listing(db.session.get(Team, team_id), other_bot).id,
        order_after=clock.now() - timedelta(seconds=30),
    )
    db.session.commit()
    assert first_in_line(listing.bot_id) == due_order.id  # the older of the account's two
    assert first_in_line(other_bot.id) == elsewhere.id  # lines are per account
    assert place_order(younger.id) == "account busy"
    assert account_lock.holder(listing.bot_id) is None  # it did not even take the free lock
    db.session.expire_all()
    assert db.session.get(Order, younger.id).status == "waiting"
