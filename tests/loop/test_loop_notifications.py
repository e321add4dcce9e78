"""Notifications in the running loop: a real worker process buys sales from the demo shop and
delivers what they raise (a failed sale, credits low) to a local SMTP server and webhook, once each;
a target that is down gets its error recorded and the loop goes on buying."""

import time

import pytest
from sqlalchemy import select

from autoorder import notifications
from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.jobs.notify import enqueue_pending_notifications
from autoorder.models import NotificationDelivery
from tests.notify_peers import down_url
from tests.support import wait_until

pytestmark = pytest.mark.browser


def _sell_and_buy(loop, order_ids_before):
    loop.sell()
    loop.poll()
    (sale,) = [o for o in loop.orders() if o.id not in order_ids_before]
    loop.make_due(sale.id)
    with loop.app.app_context():
        enqueue_order(sale.id)
    wait_until(
        lambda: loop.order(sale.id).status not in ("waiting", "in_progress"), 120, "the purchase"
    )
    return loop.order(sale.id)


def test_the_loop_tells_the_team_once_and_a_dead_target_stops_nothing(loop, peers):
    smtp, webhook = peers
    loop.setup(credits_count=2)
    with loop.app.app_context():
        for url in (down_url(), smtp.url(), webhook.url()):  # the dead one first
            notifications.add_target(loop.team_id, url, label=None, actor="test")
        db.session.commit()
    loop.start_worker("--no-scheduler")

    loop.shop.control("POST", "/sandbox/faults", {"name": "out_of_stock"})
    failed = _sell_and_buy(loop, set())
    assert failed.status == "failed" and failed.failure_code == "out_of_stock"
    loop.shop.control("DELETE", "/sandbox/faults")
    bought = _sell_and_buy(loop, {failed.id})
    assert bought.status == "succeeded"  # 1 credit left: "credits low" (default threshold 10)

    with loop.app.app_context():
        assert enqueue_pending_notifications() == 2
    expected = ["Auto-order credits low: 1 left", "Sale failed: iPhone case - Black"]
    wait_until(lambda: len(smtp.messages) == 2 and len(webhook.posts) == 2, 60, "the deliveries")
    assert sorted(smtp.subjects()) == expected and sorted(webhook.titles()) == expected

    with loop.app.app_context():  # the next rounds of the duty: nothing is sent again
        enqueue_pending_notifications()
        time.sleep(3)
        enqueue_pending_notifications()
        deliveries = db.session.scalars(select(NotificationDelivery)).all()
    assert len(smtp.messages) == 2 and len(webhook.posts) == 2
    dead = [d for d in deliveries if d.state != "sent"]
    assert len(dead) == 2 and all(d.state == "pending" and d.error for d in dead)
    assert all(loop_worker.poll() is None for loop_worker in loop.workers)  # still working

    third = _sell_and_buy(loop, {failed.id, bought.id})  # the loop goes on
    assert third.status == "succeeded"
