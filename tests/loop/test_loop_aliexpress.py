"""AliExpress end to end, against the real stand-ins: a sale on the eBay emulator → an order on
the AliExpress replica (real Chromium) → tracking per package → uploaded to eBay; a worker
killed after the place-order click → exactly one replica order; the canary walks to the review
page."""

import time
from decimal import Decimal

import pytest

from autoorder.extensions import db
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order
from sandbox.aliexpress.testing import start_aliexpress
from tests.loop.conftest import running_loop, stand_in
from tests.loop.test_loop_crashes import kill_after_the_click
from tests.loop.test_loop_ordering import _buy, _sell_and_detect
from tests.stand import BUYER

pytestmark = [pytest.mark.browser]

CASE = "1005007182736451"
ITEM = {"sku": "ALI-CASE-BLK", "legacyItemId": "325400300001", "title": "Case", "price": "14.99"}


ali_proc = stand_in("ali_proc", start_aliexpress, seed=13)


@pytest.fixture
def ali_loop(app, redis, redis_url, db_url, ali_proc, ebay_proc, tmp_path):
    """The loop fixture of tests/loop/conftest.py with the AliExpress replica as the supplier."""
    ali_proc.reset()
    with running_loop(app, ali_proc, ebay_proc, redis_url, db_url, tmp_path) as loop:
        yield loop


def setup(loop, shipping_rule="cheapest", variant="Color: Black, Ships From: United States"):
    return loop.wire(
        supplier_key="aliexpress",
        supplier_name="AliExpress",
        base_url=loop.shop.url,
        bot={
            "name": "ali",
            "account_email": "buyer@ali.test",
            "password": "ali-password",
            "payment_method": "card",
        },
        product_url=f"{loop.shop.url}/item/{CASE}.html",
        item=ITEM,
        supplier_variant=variant,
        shipping_rule=shipping_rule,
        max_buy_price=Decimal("15.00"),
    )


def test_a_sale_is_bought_on_aliexpress_and_each_package_is_tracked_to_ebay(ali_loop):
    loop = setup(ali_loop)
    order_id = _sell_and_detect(
        loop, buyer=BUYER, quantity=2
    )  # two units, which the store ships in two parcels
    assert _buy(loop, order_id).startswith("succeeded")
    (placed,) = loop.shop_orders()
    order = loop.order(order_id)
    assert order.status == "succeeded" and order.supplier_order_number == placed["number"]
    assert str(order.supplier_cost) == placed["total"]
    assert placed["ship_to"]["full_name"] == "Jane Buyer" and placed["ship_to"]["state"] == "Texas"
    assert placed["items"][0]["service"] == "CAINIAO_ECONOMY"  # the listing's rule: cheapest
    assert placed["note"].startswith(f"AO-{order_id}-")

    shipped = loop.shop.control(
        "POST",
        f"/sandbox/orders/{placed['number']}/packages",
        {"packages": [{"format": "cainiao"}, {"format": "usps"}]},
    )
    first, second = (p["tracking_number"] for p in shipped["packages"])
    assert loop.check_tracking(order_id) == "uploaded"
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        kept = sorted((s.tracking_number, s.carrier, s.status) for s in order.shipments)
    assert kept == sorted([(first, "Cainiao", "shipped"), (second, "USPS", "shipped")])
    uploaded = [f["shipmentTrackingNumber"] for f in loop.fulfillments()]
    assert sorted(uploaded) == sorted([first, second])  # each parcel its own fulfillment
    with loop.app.app_context():
        assert refresh_tracking(order_id) in ("nothing to do", "not due")
    assert len(loop.shop_orders()) == 1


def test_a_refused_sale_keeps_its_reason_screenshot_and_html_and_buys_nothing(ali_loop):
    loop = setup(ali_loop, variant="Color: Purple, Ships From: United States")
    first = _sell_and_detect(loop, buyer=BUYER)
    assert not _buy(loop, first).startswith("succeeded")
    order = loop.order(first)
    assert order.failure_code == "variant_not_offered"
    assert "Black, Clear, Navy Blue" in order.failure_message
    assert {"failure", "page_html"} <= {e.kind for e in order.evidence}
    loop.shop.control(  # the next sign-in meets the slider
        "PATCH",
        "/sandbox/accounts/buyer@ali.test",
        {"challenge": "slider", "expire_sessions": True},
    )
    second = _sell_and_detect(loop, buyer=BUYER)
    assert not _buy(loop, second).startswith("succeeded")
    order = loop.order(second)
    assert order.failure_code == "challenge" and "slide to verify" in order.failure_message
    assert loop.shop_orders() == []


@pytest.mark.slow
def test_worker_killed_after_the_place_order_click_leaves_one_aliexpress_order(ali_loop):
    loop = ali_loop
    loop.app.config["ORDER_LEASE_SECONDS"] = 4
    loop.app.config["ACCOUNT_LOCK_SECONDS"] = 4
    setup(loop)
    order_id = _sell_and_detect(loop, buyer=BUYER)
    loop.make_due(order_id)

    def clicked():  # the place-order request is with the replica, slowed by 3 s
        deadline = time.monotonic() + 60
        while "POST /p/trade/place" not in loop.shop.control("GET", "/sandbox/requests"):
            assert time.monotonic() < deadline, "the place-order click never reached the replica"
            time.sleep(0.05)

    kill_after_the_click(loop, order_id, clicked=clicked, timeout=120)


def test_the_canary_walks_the_replica_to_its_review_page(ali_loop):
    loop = setup(ali_loop)
    loop.canary_to_review()
    assert loop.shop_orders() == []
