"""Issue #17.3/#17.2 without a browser: a bot's order limits (per hour, per day, gap, quiet
hours) counted from the database, rotation over a supplier's bots, and a sale that waits for a
gift-card top-up. The checkout itself is replaced by one that records a placed attempt."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import bot_limits, clock, gift_cards, orders
from autoorder import purchasing as purchase
from autoorder.extensions import db
from autoorder.jobs import ordering
from autoorder.jobs.ordering import place_order
from autoorder.jobs.tick import enqueue_due_orders, resume_after_top_up, resume_gift_card_low
from autoorder.models import CreditEntry, GiftCardEntry, Notification, Order, PurchaseAttempt
from autoorder.orders import AttemptState as A
from autoorder.scrapers.base import PlacedOrder
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_team

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(START)
    yield
    clock.reset()


@pytest.fixture
def fake_checkout(monkeypatch):
    """Replace the browser checkout: the click 'happens' (placing_at) and the order is bought."""
    bought = []

    def buy(order, attempt, owner, lock=None):
        bot = purchase.bot_for(order)
        order.bot_id = bot.id
        orders.set_attempt_state(attempt, A.PLACING)
        db.session.commit()
        bought.append((order.id, bot.name, clock.now()))
        return purchase.complete(
            order, attempt, PlacedOrder(f"N-{order.id}", Decimal("12.00")), owner
        )

    monkeypatch.setattr(ordering.purchase, "buy", buy)
    monkeypatch.setattr(ordering, "_hand_off", lambda bot_id: None)  # no Redis here
    monkeypatch.setattr(ordering, "_hand_off_group", lambda bot_id, taken: None)
    return bought


def _team_with_bots(n=2, **limits):
    team = make_team()
    supplier = make_supplier()
    bots = [make_bot(team, supplier, name=f"bot{i}", **limits) for i in range(n)]
    listing = make_listing(team, bots[0], max_buy_price=Decimal("15.00"))
    db.session.add(CreditEntry(team_id=team.id, key=f"purchase:{team.id}", delta=500, reason="x"))
    db.session.commit()
    return team, bots, listing


def _sales(team, listing, n):
    made = [
        make_order(team, listing_id=listing.id, order_after=clock.now() - timedelta(seconds=n - i))
        for i in range(n)
    ]
    db.session.commit()
    return [o.id for o in made]


def _placed(bot, *ages_minutes):
    order = make_order(make_team(), status="succeeded")
    for age in ages_minutes:
        at = clock.now() - timedelta(minutes=age)
        db.session.add(
            PurchaseAttempt(
                order_id=order.id,
                idempotency_key=f"k{bot.id}-{age}",
                state="placed",
                bot_id=bot.id,
                started_at=at,
                placing_at=at,
            )
        )
    db.session.commit()


def test_hourly_daily_gap_and_quiet_hours_say_when_the_next_order_may_go(ctx):
    team = make_team()
    bot = make_bot(team, max_orders_per_hour=3, max_orders_per_day=5, min_gap_seconds=0)
    assert bot_limits.standing(bot).next_at is None and bot_limits.standing(bot).left == 3
    _placed(bot, 50, 30, 10)
    place = bot_limits.standing(bot)
    assert (place.next_at, place.why, place.left) == (
        START + timedelta(minutes=10),
        "hourly limit",
        0,
    )
    _placed(bot, 300, 200)  # five in the day: the oldest of them ages out first
    place = bot_limits.standing(bot)
    assert (place.next_at, place.why) == (
        START - timedelta(minutes=300) + timedelta(days=1),
        "daily limit",
    )

    other = make_bot(team, min_gap_seconds=120)
    _placed(other, 1)
    place = bot_limits.standing(other)
    assert (place.next_at, place.why) == (START + timedelta(seconds=60), "minimum gap")

    quiet = make_bot(team, quiet_start="22:00", quiet_end="09:30")  # across midnight; now 09:00
    place = bot_limits.standing(quiet)
    assert (place.next_at, place.why) == (START + timedelta(minutes=30), "quiet hours")
    quiet.quiet_start, quiet.quiet_end = "10:00", "12:00"
    assert bot_limits.standing(quiet).next_at is None


def test_sales_rotate_over_the_bots_and_wait_for_the_limit_then_go_by_themselves(
    ctx, fake_checkout
):
    team, bots, listing = _team_with_bots(2, max_orders_per_hour=2, min_gap_seconds=0)
    ids = _sales(team, listing, 6)
    results = []
    for order_id in ids:
        results.append(place_order(order_id))
        clock.advance(1)
    assert results[:4] == [f"succeeded N-{i}" for i in ids[:4]]
    assert [name for _, name, _ in fake_checkout] == ["bot0", "bot1", "bot0", "bot1"]  # fair
    assert results[4:] == ["bot limit", "bot limit"]
    db.session.expire_all()
    waiting = db.session.get(Order, ids[4])
    assert waiting.status == "waiting" and waiting.wait_reason == "bot_limit"
    assert waiting.order_after == fake_checkout[0][2] + timedelta(hours=1)
    assert bot_limits.describe(waiting) == f"bot limit — next at {waiting.order_after:%H:%M}"
    assert waiting.id not in _due()  # not polled meanwhile
    clock.advance(3600)
    assert set(_due()) == set(ids[4:])  # the due-orders duty picks them up at that time
    assert [place_order(i) for i in ids[4:]] == [f"succeeded N-{i}" for i in ids[4:]]
    for bot in bots:  # no bot ever above its limit in any hour
        times = sorted(
            db.session.scalars(
                select(PurchaseAttempt.placing_at).where(PurchaseAttempt.bot_id == bot.id)
            )
        )
        assert all(sum(1 for t in times if s <= t < s + timedelta(hours=1)) <= 2 for s in times)


def _due():
    captured = []
    import autoorder.jobs.tick as tick

    original = tick.enqueue_orders
    tick.enqueue_orders = lambda order_ids, **kw: captured.extend(order_ids) or order_ids
    try:
        enqueue_due_orders()
    finally:
        tick.enqueue_orders = original
    return captured


def test_a_disabled_bot_is_not_in_the_rotation(ctx, fake_checkout):
    team, bots, listing = _team_with_bots(2, min_gap_seconds=0)
    bots[0].enabled = False  # the listing's own bot: the other one buys
    db.session.commit()
    (order_id,) = _sales(team, listing, 1)
    assert place_order(order_id).startswith("succeeded")
    assert [name for _, name, _ in fake_checkout] == ["bot1"]


def test_gift_card_balance_low_waits_before_checkout_and_a_top_up_resumes_it(
    ctx, fake_checkout, caplog
):
    team, (bot,), listing = _team_with_bots(1, payment_method="gift_card", min_gap_seconds=0)
    gift_cards.set_balance(bot, Decimal("10.00"), actor="seller@example.com")
    db.session.commit()
    (order_id,) = _sales(team, listing, 1)
    assert place_order(order_id) == "gift-card balance low"
    told = db.session.scalars(select(Notification).where(Notification.team_id == team.id)).all()
    assert [n.kind for n in told] == ["gift_card_low"]  # the team is told, once
    assert fake_checkout == []  # stopped before any checkout
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert (order.status, order.wait_reason) == ("waiting", "gift_card_low")
    assert order.attempts == []
    assert order_id not in _due() and resume_gift_card_low() == 0
    gift_cards.top_up(bot, Decimal("20.00"), actor="seller@example.com")
    db.session.commit()
    assert resume_after_top_up([bot.id]) == [order_id]
    assert order_id in _due()
    assert place_order(order_id) == f"succeeded N-{order_id}"
    assert gift_cards.balance(bot.id) == Decimal("18.00")  # 10 + 20 - 12
    kinds = [e.kind for e in reversed(gift_cards.ledger(bot.id))]
    assert kinds == ["set", "top_up", "spend"]
    # the next sale is expected to cost the last one's total (12 > 6 left... 18 covers it)
    assert gift_cards.expected_total(make_order(team, listing_id=listing.id)) == Decimal("12.00")


def test_the_ledger_is_append_only_and_a_spend_is_booked_once(ctx):
    team = make_team()
    bot = make_bot(team, payment_method="gift_card")
    order = make_order(team)
    gift_cards.set_balance(bot, Decimal("50.00"), actor="x")
    gift_cards.record_spend(bot, order.id, Decimal("12.50"))
    gift_cards.record_spend(bot, order.id, Decimal("12.50"))  # a retried job
    db.session.commit()
    assert gift_cards.balance(bot.id) == Decimal("37.50")
    gift_cards.record_read(bot, Decimal("40.00"))  # what the supplier shows wins
    db.session.commit()
    assert gift_cards.balance(bot.id) == Decimal("40.00") == bot.gift_card_balance
    entry = db.session.scalars(select(GiftCardEntry)).first()
    entry.amount = Decimal("1")
    with pytest.raises(Exception, match="append-only"):
        db.session.commit()


def test_a_sale_held_by_a_limit_is_scheduled_for_the_time_it_may_go(ctx, fake_checkout, redis):
    from rq import Queue
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    team, (bot,), listing = _team_with_bots(1, max_orders_per_hour=1, min_gap_seconds=0)
    first, second = _sales(team, listing, 2)
    assert place_order(first).startswith("succeeded")
    assert place_order(second) == "bot limit"  # from inside its own job: a copy of its own
    db.session.expire_all()
    order = db.session.get(Order, second)
    job = Job.fetch(f"place-order-{second}-later", connection=redis)
    assert job.get_status() == "scheduled" and job.args == (second,)
    when = ScheduledJobRegistry(queue=Queue("orders", connection=redis)).get_scheduled_time(job)
    assert when == order.order_after.replace(microsecond=0)  # whole seconds, not before
    assert place_order(second) == "not due"  # running early (or twice) buys nothing


def test_the_sales_page_says_why_a_sale_waits(app, client):
    from autoorder.models import User
    from tests.support import login

    clock.reset()
    with app.app_context():
        team = make_team()
        user = User(team_id=team.id, email="waits@example.com", role="admin")
        user.set_password("correct horse battery")
        db.session.add(user)
        later = clock.now() + timedelta(minutes=42)
        held = make_order(team, wait_reason="bot_limit", order_after=later, title="Held item")
        low = make_order(team, wait_reason="gift_card_low", title="Low item")
        db.session.commit()
        ids = held.id, low.id
    login(client, "waits@example.com")
    html = client.get("/").get_data(as_text=True)
    assert f"bot limit — next at {later:%H:%M}" in html
    assert "gift-card balance low" in html
    detail = client.get(f"/orders/{ids[1]}").get_data(as_text=True)
    assert "goes after a top-up" in detail
