"""Issue #17 with real worker processes, the demo shop and Chromium: a burst of 50 sales on two
bot accounts of one supplier is spread over both, no bot ever goes above its order limits, every
sale is bought exactly once; a gift-card bot whose balance is too low stops a sale before the
checkout and buys it after a top-up.

The workers are separate processes with the real clock, so "an hour passes" is played by moving
every stored time of the team back by an hour (attempts' placing times, waiting sales' due
times) — the same as the clock moving forward for every process at once."""

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import gift_cards
from autoorder.extensions import db
from autoorder.jobs.ordering import place_order
from autoorder.jobs.tick import enqueue_due_orders, resume_after_top_up
from autoorder.models import Order, OrderBot, PurchaseAttempt
from tests.factories import make_bot
from tests.stand import SHOP_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PER_HOUR, PER_DAY, SALES = 10, 15, 50


def _states(loop):
    return Counter(o.status for o in loop.orders())


def _run_until(loop, done, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with loop.app.app_context():
            enqueue_due_orders()  # the due-orders duty (the scheduler runs it every 5 s)
        if done():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}: {_states(loop)}")


def _workers_idle(loop) -> bool:
    """No order job waiting or running: a job that just took a sale may still be counting its
    bot's limits, and "time passes" (below) must not move the times under it — it would write a
    due time from before the move (seen once: the last sale held until "tomorrow")."""
    from rq import Queue
    from rq.registry import StartedJobRegistry

    from autoorder.queues import redis_connection

    redis = redis_connection(loop.redis_url)
    return Queue("orders", connection=redis).count == 0 and (
        StartedJobRegistry("orders", connection=redis).count == 0
    )


def _settled(loop, bought):
    sales = loop.orders()
    return (
        _workers_idle(loop)
        and sum(o.status == "succeeded" for o in sales) == bought
        and not any(o.status == "in_progress" for o in sales)
        and all(
            o.wait_reason == "bot_limit" for o in sales if o.status == "waiting" and bought < SALES
        )
    )


def _time_passes(loop, seconds):
    step = timedelta(seconds=seconds)
    with loop.app.app_context():
        for attempt in db.session.scalars(
            select(PurchaseAttempt).where(PurchaseAttempt.placing_at.is_not(None))
        ):
            attempt.placing_at -= step
            attempt.started_at -= step
        for order in db.session.scalars(select(Order).where(Order.status == "waiting")):
            order.order_after -= step
        db.session.commit()


def _per_bot(loop):
    with loop.app.app_context():
        rows = db.session.execute(
            select(PurchaseAttempt.bot_id, PurchaseAttempt.placing_at).where(
                PurchaseAttempt.placing_at.is_not(None)
            )
        ).all()
    times: dict[int, list] = {}
    for bot_id, at in rows:
        times.setdefault(bot_id, []).append(at)
    return {bot_id: sorted(ts) for bot_id, ts in times.items()}


def _most_in_any(times, window):
    return max((sum(1 for t in times if s <= t < s + window) for s in times), default=0)


@pytest.mark.timeout(1800)  # 50 real checkouts in Chromium on a shared 2-core machine
def test_a_burst_of_50_sales_on_two_bots_keeps_every_limit_and_buys_each_once(loop):
    loop.setup(credits_count=SALES + 5)
    loop.shop.control(
        "POST",
        "/sandbox/accounts",
        {"email": "second@demo.test", "password": SHOP_PASSWORD, "gift_card_balance": "500.00"},
    )
    with loop.app.app_context():
        first = db.session.get(OrderBot, loop.bot_id)
        first.max_orders_per_hour, first.max_orders_per_day, first.min_gap_seconds = (
            PER_HOUR,
            PER_DAY,
            0,
        )
        second = make_bot(
            _team(loop),
            first.supplier,
            name="second",
            account_email="second@demo.test",
            password=SHOP_PASSWORD,
            max_orders_per_hour=PER_HOUR,
            max_orders_per_day=PER_DAY,
            min_gap_seconds=0,
        )
        db.session.commit()
        bot_ids = {loop.bot_id, second.id}
    for _ in range(SALES):
        loop.sell()
    loop.poll()
    sales = loop.orders()
    assert len(sales) == SALES
    for sale in sales:
        loop.make_due(sale.id)
    for _ in range(2):
        loop.start_worker("--no-scheduler")

    _run_until(loop, lambda: _settled(loop, 2 * PER_HOUR), 700, "the first hour's orders")
    waiting = [o for o in loop.orders() if o.status == "waiting"]
    assert len(waiting) == SALES - 2 * PER_HOUR and all(
        o.wait_reason == "bot_limit" for o in waiting
    )
    assert Counter(b for b, ts in _per_bot(loop).items() for _ in ts) == {
        b: PER_HOUR for b in bot_ids
    }  # rotation: both accounts used, evenly

    _time_passes(loop, 3600 + 1)  # the hourly limit frees; the daily one now stops at 15 each
    _run_until(loop, lambda: _settled(loop, 2 * PER_DAY), 500, "the second hour's orders")
    _time_passes(loop, 24 * 3600 + 1)  # a new day: the rest
    _run_until(loop, lambda: _settled(loop, SALES), 700, "the rest")

    per_bot = _per_bot(loop)
    assert {b: len(ts) for b, ts in per_bot.items()} == {b: SALES // 2 for b in bot_ids}
    for times in per_bot.values():
        assert _most_in_any(times, timedelta(hours=1)) <= PER_HOUR
        assert _most_in_any(times, timedelta(days=1)) <= PER_DAY
    sales = loop.orders()
    assert all(o.status == "succeeded" for o in sales)
    notes = Counter(o["note"].split("-")[1] for o in loop.shop_orders())  # AO-<sale id>-<key>
    assert notes == {str(o.id): 1 for o in sales}  # every sale bought once on the shop
    by_account = Counter(o["account_email"] for o in loop.shop_orders())
    assert sorted(by_account.values()) == [SALES // 2, SALES // 2]


def _team(loop):
    from autoorder.models import Team

    return db.session.get(Team, loop.team_id)


def test_a_low_gift_card_balance_stops_the_sale_before_checkout_and_a_top_up_buys_it(loop):
    loop.setup(payment_method="gift_card")
    with loop.app.app_context():
        bot = db.session.get(OrderBot, loop.bot_id)
        gift_cards.set_balance(bot, Decimal("5.00"), actor="seller@example.com")
        db.session.commit()
    loop.sell()
    loop.poll()
    (sale,) = loop.orders()
    loop.make_due(sale.id)
    with loop.app.app_context():
        assert place_order(sale.id) == "gift-card balance low"  # listing max 15.00 > 5.00
    sale = loop.order(sale.id)
    assert (sale.status, sale.wait_reason, sale.attempts) == ("waiting", "gift_card_low", [])
    assert loop.shop_orders() == []
    with loop.app.app_context():
        bot = db.session.get(OrderBot, loop.bot_id)
        gift_cards.top_up(bot, Decimal("50.00"), actor="seller@example.com")
        db.session.commit()
        assert resume_after_top_up([bot.id]) == [sale.id]
        assert place_order(sale.id).startswith("succeeded")
        (placed,) = loop.shop_orders()
        ledger = [(e.kind, e.amount) for e in reversed(gift_cards.ledger(bot.id))]
        # the shop showed its own balance on the payment page (500.00): the ledger starts there
        assert ledger[-2:] == [("read", Decimal("500.00")), ("spend", -Decimal(placed["total"]))]
        assert gift_cards.balance(bot.id) == Decimal("500.00") - Decimal(placed["total"])
