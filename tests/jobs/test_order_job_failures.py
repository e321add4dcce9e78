"""An order job that crashes unexpectedly ends visible (needs attention), via RQ's on_failure."""

from autoorder import clock
from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.models import CreditEntry, Order
from tests.factories import make_bot, make_listing, make_order, make_supplier, make_team
from tests.support import app_env, run_flask


def test_crashed_order_job_flags_the_order(app, redis, redis_url, db_url):
    with app.app_context():
        team = make_team()
        bot = make_bot(team, make_supplier(key="demo_shop"))
        listing = make_listing(team, bot)
        db.session.add(CreditEntry(team_id=team.id, key="purchase:t", delta=5, reason="purchase"))
        # A snapshot of the wrong shape makes building the purchase fail with an unexpected error.
        order = make_order(
            team,
            listing_id=listing.id,
            bot_id=bot.id,
            ship_to=["not", "a", "dict"],
            order_after=clock.now(),
        )
        db.session.commit()
        order_id = order.id
        assert enqueue_order(order_id) is not None
    env = app_env(app, db_url=db_url, redis_url=redis_url)
    result = run_flask(env, "worker", "--burst")
    assert result.returncode == 0, result.stderr[-2000:]
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.status, order.failure_code) == ("needs_attention", "unknown"), result.stderr[
            -2000:
        ]
        assert (
            "AttributeError" in order.failure_message
            and "Nothing was bought" in order.failure_message
        )
        assert order.lease_owner is None
