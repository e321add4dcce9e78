"""Issue #9 with real worker processes, the demo shop and Chromium: several workers on ONE supplier
account buy each sale once with its own item and address; an unclear click is looked up in the
order history without hanging the worker."""

import time

import pytest
from sqlalchemy import update

from autoorder.extensions import db
from autoorder.jobs import enqueue_order
from autoorder.jobs.tick import enqueue_due_orders
from autoorder.models import EbayAccount
from tests.support import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_unclear_click_is_looked_up_without_hanging_the_worker(loop):
    """The path that froze a worker until its job timeout: the place-order click fails (the
    shop's flaky page), so the order history is searched — in a new page, not inside the
    checkout's own (the browser pool is not re-entrant)."""
    loop.setup()
    loop.sell()
    loop.poll()
    (order,) = loop.orders()
    loop.make_due(order.id)
    loop.app.config["ORDER_JOB_TIMEOUT"] = 90
    loop.shop.control("POST", "/sandbox/faults", {"name": "flaky", "every": 6})  # 6th = the click
    with loop.app.app_context():
        assert enqueue_order(order.id) is not None
    started = time.monotonic()
    result = loop.run_worker_burst(timeout=150)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    order = loop.order(order.id)
    assert order.status == "needs_attention", order.failure_message
    assert "ended unclearly" in order.failure_message and "Timeout" not in order.failure_message
    assert elapsed < 60, f"the worker took {elapsed:.0f} s (hung until the job timeout?)"
    assert loop.shop_orders() == []


def test_two_workers_on_one_account_buy_each_sale_once_with_its_own_address(loop):
    loop.setup(credits_count=20)
    for _ in range(6):
        loop.sell()  # random buyers: six names and addresses
    loop.poll()
    sales = loop.orders()
    assert len(sales) == 6
    for sale in sales:
        loop.make_due(sale.id)
    with loop.app.app_context():
        for sale in sales:
            enqueue_order(sale.id)
    for _ in range(2):
        loop.start_worker("--no-scheduler")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if all(o.status not in ("waiting", "in_progress") for o in loop.orders()):
            break
        with loop.app.app_context():
            enqueue_due_orders()  # the due-orders duty (the scheduler runs it every few seconds)
        time.sleep(1)
    sales = loop.orders()
    assert [o.status for o in sales] == ["succeeded"] * 6, [
        (o.id, o.status, o.failure_message) for o in sales
    ]
    shop = {o["number"]: o for o in loop.shop_orders()}
    assert len(shop) == 6
    for sale in sales:
        placed = shop[sale.supplier_order_number]
        assert [(i["variant_id"], i["quantity"]) for i in placed["items"]] == [("PC-BLK", 1)]
        assert placed["ship_to"]["full_name"] == sale.ship_to["name"]
        assert placed["ship_to"]["postal_code"] == sale.ship_to["postal_code"]
        assert placed["note"].startswith(f"AO-{sale.id}-")


def _process(loop, name, *args, **env):
    return loop.start(*args, log_name=name, **env)


def test_sales_keep_being_detected_while_every_order_worker_is_busy(loop):
    """The Procfile's layout: the order worker is stuck in a slow checkout, the sync process still
    polls eBay at the poll interval (and the scheduler runs the duties)."""
    loop.setup()
    loop.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": 4})  # a long checkout
    loop.sell()
    loop.poll()
    with loop.app.app_context():  # the next poll is due at once (the processes poll every 2 s)
        db.session.execute(update(EbayAccount).values(next_poll_at=None))
        db.session.commit()
    (first,) = loop.orders()
    loop.make_due(first.id)
    with loop.app.app_context():
        enqueue_order(first.id)
    env = {"AUTOORDER_POLL_SECONDS": "2"}
    _process(loop, "worker", "worker", "--queues", "orders", "--no-scheduler", **env)
    wait_until(lambda: loop.order(first.id).status == "in_progress", 60, "the checkout to start")
    _process(loop, "sync", "worker", "--queues", "default,tracking", "--no-scheduler", **env)
    _process(loop, "scheduler", "scheduler", **env)
    loop.sell()  # a second sale while the only order worker is busy
    wait_until(lambda: len(loop.orders()) == 2, 30, "the second sale to be detected")
    assert loop.order(first.id).status == "in_progress"  # still checking out meanwhile
