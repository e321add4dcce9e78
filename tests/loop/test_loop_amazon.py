"""The order loop on Amazon: eBay emulator → autoorder (real Redis, real SQL, real Chromium,
real worker processes) → the Amazon replica (sandbox/amazon) → tracking back to eBay.

A sale bought with the bot's card and another with the account's gift-card balance, a low balance
that places nothing, the login test with an authenticator key ("works"), a worker killed after the
place-order click recovered by the order-history match with exactly one Amazon order, and the
canary walking to the review page.
"""

import time
from decimal import Decimal

import pyotp
import pytest

from autoorder.extensions import db
from autoorder.jobs.bots import test_bot_login as login_test_job
from autoorder.models import Order, OrderBot
from sandbox.amazon.testing import start_amazon
from tests.loop.conftest import stand_in
from tests.loop.test_loop_crashes import _enqueue, _kill_group, _recover, _wait_for_attempt
from tests.loop.test_loop_ordering import _buy, _sell_and_detect

pytestmark = [pytest.mark.browser]

EMAIL, PASSWORD = "seller-bot@replica.test", "amz-pass-1"
BOTTLE = "B0CHX1W1XY"  # $19.99 on the replica
BUYER = {
    "name": "Dana Whitfield",
    "username": "dana_w",
    "address": {
        "addressLine1": "742 Evergreen Terrace",
        "city": "Springfield",
        "stateOrProvince": "OR",
        "postalCode": "97403",
        "countryCode": "US",
    },
}


amazon_proc = stand_in("amazon_proc", start_amazon, seed=9)


@pytest.fixture
def amazon(loop, amazon_proc):
    amazon_proc.reset()
    amazon_proc.control(
        "POST",
        "/sandbox/accounts",
        {"email": EMAIL, "password": PASSWORD, "gift_card_balance": "30.00"},
    )
    return amazon_proc


def setup_amazon(loop, amazon, *, payment_method="card", totp_secret=None):
    """One team selling tests.stand.ITEM on eBay, bought on the Amazon replica by one bot."""
    loop.wire(
        supplier_key="amazon",
        supplier_name="Amazon",
        base_url=amazon.url,
        bot={
            "name": "amazon",
            "account_email": EMAIL,
            "password": PASSWORD,
            "payment_method": payment_method,
            "card": "4111111111111111" if payment_method == "card" else None,
            "totp_secret": totp_secret,
        },
        product_url=f"{amazon.url}/dp/{BOTTLE}",
        max_buy_price=Decimal("60.00"),
    )


def amazon_orders(amazon) -> list[dict]:
    return amazon.control("GET", "/sandbox/orders")["orders"]


def test_card_sale_is_bought_on_amazon_and_each_shipment_reaches_ebay(loop, amazon):
    setup_amazon(loop, amazon)
    amazon.control("POST", "/sandbox/faults", {"name": "split_shipments"})
    order_id = _sell_and_detect(loop, buyer=BUYER, quantity=2)
    outcome = _buy(loop, order_id)
    (placed,) = amazon_orders(amazon)
    assert outcome == f"succeeded {placed['number']}"
    assert placed["lines"] == [{"asin": BOTTLE, "quantity": 2, "protection": False}]
    assert placed["payment_method"] == "card" and placed["card_last4"] == "1111"
    assert (placed["ship_to"]["name"], placed["ship_to"]["postal_code"]) == (
        "Dana Whitfield",
        "97403",
    )
    order = loop.order(order_id)
    assert order.supplier_order_number == placed["number"]
    assert order.supplier_cost == Decimal(placed["totals"]["total"])

    assert loop.check_tracking(order_id) != "uploaded"  # not shipped yet
    amazon.control(
        "POST",
        f"/sandbox/orders/{placed['number']}/ship",
        {
            "packages": [
                {"carrier": "amazon", "tracking_number": "TBA304918557000", "status": "delivered"},
                {"carrier": "ups", "tracking_number": "1Z999AA10123456784"},
            ]
        },
    )
    assert loop.check_tracking(order_id) == "uploaded"
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        kept = sorted((s.tracking_number, s.carrier, s.status) for s in order.shipments)
        assert order.tracking_number == "TBA304918557000"
    assert kept == [
        ("1Z999AA10123456784", "UPS", "shipped"),
        ("TBA304918557000", "Amazon Logistics", "delivered"),
    ]
    uploaded = {
        line.get("shipmentTrackingNumber") or line.get("trackingNumber")
        for line in loop.fulfillments()
    }
    assert uploaded == {"TBA304918557000", "1Z999AA10123456784"}  # one fulfillment per shipment


def test_gift_card_balance_pays_and_a_low_balance_places_nothing(loop, amazon):
    setup_amazon(loop, amazon, payment_method="gift_card")
    first = _sell_and_detect(loop, buyer=BUYER)
    assert _buy(loop, first).startswith("succeeded")
    (placed,) = amazon_orders(amazon)
    assert placed["payment_method"] == "gift_card"
    balance = amazon.control("GET", f"/sandbox/accounts/{EMAIL}")["gift_card_balance"]
    assert Decimal(balance) == Decimal("30.00") - Decimal(placed["totals"]["gift_card"])
    second = _sell_and_detect(loop, buyer=BUYER)  # the rest of the balance is too little
    _buy(loop, second)
    order = loop.order(second)
    assert order.status == "waiting" and order.wait_reason == "gift_card_low"  # for a top-up
    assert any("does not cover" in (e.reason or "") for e in order.events)
    assert len(amazon_orders(amazon)) == 1


def test_login_test_with_an_authenticator_key_shows_it_works(loop, amazon, client):
    secret = pyotp.random_base32()
    amazon.control(
        "POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD, "totp_secret": secret}
    )
    setup_amazon(loop, amazon, totp_secret=secret)
    with loop.app.app_context():
        assert login_test_job(loop.bot_id) == "ok"
        bot = db.session.get(OrderBot, loop.bot_id)
        assert bot.last_login_check_result["totp"] == "works"
        assert bot.browser_state  # the signed-in session is kept for the orders
        bot.totp_secret = pyotp.random_base32()  # a wrong key
        db.session.commit()
        assert login_test_job(loop.bot_id) == "login_failed"
        assert (
            "authenticator code"
            in db.session.get(OrderBot, loop.bot_id).last_login_check_result["message"]
        )


def test_worker_killed_after_the_click_is_recovered_from_the_order_history(loop, amazon):
    loop.app.config["ORDER_LEASE_SECONDS"] = 4
    loop.app.config["ACCOUNT_LOCK_SECONDS"] = 4
    setup_amazon(loop, amazon)
    order_id = _sell_and_detect(loop, buyer=BUYER)
    loop.make_due(order_id)
    amazon.control("POST", "/sandbox/faults", {"name": "slow_place", "delay": 4})
    _enqueue(loop, order_id)
    worker = loop.start_worker()
    _wait_for_attempt(loop, order_id, "placing", timeout=120)
    deadline = time.monotonic() + 30
    while not amazon_orders(amazon) and time.monotonic() < deadline:
        time.sleep(0.1)  # the click reached Amazon: the order exists, its answer is late
    _kill_group(worker)
    amazon.control("DELETE", "/sandbox/faults")
    order = _recover(loop, order_id)
    (placed,) = amazon_orders(amazon)  # exactly one Amazon order
    assert order.status == "succeeded", order.failure_message
    assert order.supplier_order_number == placed["number"]


def test_the_canary_walks_amazon_to_the_review_page(loop, amazon):
    setup_amazon(loop, amazon)
    loop.canary_to_review()
    assert amazon_orders(amazon) == []
