"""The order loop on Walmart: eBay emulator → autoorder (real Redis, real SQL, real Chromium,
real worker processes) → the Walmart replica (sandbox/walmart) → tracking back to eBay.

A sale bought with the bot's card whose two shipments reach eBay as two fulfillments, another
with the account's gift-card balance and a low balance that places nothing, the challenges that
hand a sale to a person (press and hold, an e-mailed code) and that person passing each through
the hand-off (the code box; a press and hold in the live view), the login test, a worker killed
after the place-order click recovered by the order-history match with exactly one Walmart order,
and the canary walking to the review page.
"""

import time
from decimal import Decimal

import pytest

from autoorder import clock
from autoorder.extensions import db
from autoorder.jobs.bots import test_bot_login as login_test_job
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order, OrderBot
from sandbox.walmart.testing import start_walmart
from tests.factories import make_bot, make_listing, make_supplier, make_user
from tests.loop.test_loop_crashes import _enqueue, _kill_group, _recover, _wait_for_attempt
from tests.loop.test_loop_ordering import _buy, _sell_and_detect
from tests.stand import ITEM

pytestmark = [pytest.mark.browser]

EMAIL, PASSWORD = "seller-bot@replica.test", "wmt-pass-1"
BOTTLE = "123456789"  # $14.97 on the replica, sold by Walmart.com
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


@pytest.fixture(scope="module")
def walmart_proc(tmp_path_factory):
    server = start_walmart(seed=9, log_path=tmp_path_factory.mktemp("walmart") / "walmart.log")
    yield server
    server.stop()


@pytest.fixture
def walmart(loop, walmart_proc):
    walmart_proc.reset()
    walmart_proc.control(
        "POST",
        "/sandbox/accounts",
        {"email": EMAIL, "password": PASSWORD, "gift_card_balance": "25.00"},
    )
    return walmart_proc


def setup_walmart(loop, walmart, *, payment_method="card", variant="Sold by: Walmart"):
    """One team selling ITEM on eBay, bought on the Walmart replica by one bot."""
    with loop.app.app_context():
        user = make_user(role="admin")
        loop.team_id = user.team_id
        supplier = make_supplier(key="walmart", name="Walmart", base_url=walmart.url)
        bot = make_bot(
            user.team,
            supplier,
            name="walmart",
            account_email=EMAIL,
            password=PASSWORD,
            payment_method=payment_method,
            card="4111111111111111" if payment_method == "card" else None,
        )
        loop.bot_id = bot.id
        loop.listing_id = make_listing(
            user.team,
            bot,
            ebay_item_id=ITEM["legacyItemId"],
            sku=ITEM["sku"],
            supplier_product_url=f"{walmart.url}/ip/Stainless-Steel-Water-Bottle/{BOTTLE}",
            supplier_variant=variant,
            max_buy_price=Decimal("60.00"),
        ).id
        loop.add_credits(10)
        db.session.commit()
        from autoorder.demo import connect_emulator_account

        loop.account_id = connect_emulator_account(loop.team_id, "seller").id


def walmart_orders(walmart) -> list[dict]:
    return walmart.control("GET", "/sandbox/orders")["orders"]


def check_tracking(loop, order_id) -> str:
    with loop.app.app_context():
        db.session.get(Order, order_id).next_tracking_check_at = clock.now()
        db.session.commit()
        return refresh_tracking(order_id)


def test_card_sale_is_bought_on_walmart_and_each_shipment_reaches_ebay(loop, walmart):
    setup_walmart(loop, walmart)
    walmart.control("POST", "/sandbox/faults", {"name": "split_shipments"})
    order_id = _sell_and_detect(loop, buyer=BUYER, quantity=2)
    outcome = _buy(loop, order_id)
    (placed,) = walmart_orders(walmart)
    assert outcome == f"succeeded {placed['display_id']}"
    assert placed["lines"] == [{"item_id": BOTTLE, "quantity": 2}]
    assert placed["payment_method"] == "card" and placed["card_last4"] == "1111"
    to = placed["ship_to"]
    assert (to["firstName"], to["lastName"], to["postalCode"]) == ("Dana", "Whitfield", "97403")
    order = loop.order(order_id)
    assert order.supplier_order_number == placed["display_id"]
    assert order.supplier_cost == Decimal(placed["totals"]["total"])

    assert check_tracking(loop, order_id) != "uploaded"  # not shipped yet
    walmart.control(
        "POST",
        f"/sandbox/orders/{placed['id']}/ship",
        {
            "packages": [
                {"carrier": "fedex", "tracking_number": "449044304137821", "status": "delivered"},
                {"carrier": "usps", "tracking_number": "9400111202555842332669"},
            ]
        },
    )
    assert check_tracking(loop, order_id) == "uploaded"
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        kept = sorted((s.tracking_number, s.carrier, s.status) for s in order.shipments)
        assert order.tracking_number == "449044304137821"
    assert kept == [
        ("449044304137821", "FedEx", "delivered"),
        ("9400111202555842332669", "USPS", "shipped"),
    ]
    uploaded = {
        line.get("shipmentTrackingNumber") or line.get("trackingNumber")
        for line in loop.fulfillments()
    }
    assert uploaded == {"449044304137821", "9400111202555842332669"}  # one fulfillment per parcel


def test_gift_card_balance_pays_and_a_low_balance_places_nothing(loop, walmart):
    setup_walmart(loop, walmart, payment_method="gift_card")
    first = _sell_and_detect(loop, buyer=BUYER)
    assert _buy(loop, first).startswith("succeeded")
    (placed,) = walmart_orders(walmart)
    assert placed["payment_method"] == "gift_card"
    balance = walmart.control("GET", f"/sandbox/accounts/{EMAIL}")["gift_card_balance"]
    assert Decimal(balance) == Decimal("25.00") - Decimal(placed["totals"]["gift_card"])
    second = _sell_and_detect(loop, buyer=BUYER)  # the rest of the balance is too little
    _buy(loop, second)
    order = loop.order(second)
    assert order.status == "waiting" and order.wait_reason == "gift_card_low"  # for a top-up
    left = Decimal(balance)  # the ledger started from the balance the checkout showed
    assert any(f"balance low: {left} left" in (e.reason or "") for e in order.events)
    assert len(walmart_orders(walmart)) == 1


@pytest.mark.parametrize(
    "fault,words",
    [("press_hold", '"press and hold"'), ("code", "one-time code")],
)
def test_a_challenge_hands_the_sale_to_a_person_and_buys_nothing(loop, walmart, fault, words):
    setup_walmart(loop, walmart)
    walmart.control("POST", "/sandbox/faults", {"name": fault})
    order_id = _sell_and_detect(loop, buyer=BUYER)
    assert not _buy(loop, order_id).startswith("succeeded")
    order = loop.order(order_id)
    assert (order.status, order.failure_code) == ("needs_you", "challenge")
    assert words in order.failure_message
    assert walmart_orders(walmart) == []


def test_a_marketplace_seller_is_refused_when_the_listing_wants_walmart(loop, walmart):
    setup_walmart(loop, walmart)
    walmart.control("POST", "/sandbox/faults", {"name": "marketplace", "item_id": BOTTLE})
    order_id = _sell_and_detect(loop, buyer=BUYER)
    assert not _buy(loop, order_id).startswith("succeeded")
    order = loop.order(order_id)
    assert (order.status, order.failure_code) == ("needs_attention", "seller_not_allowed")
    assert walmart_orders(walmart) == []


def test_the_login_test_signs_in_and_names_what_stops_it(loop, walmart):
    setup_walmart(loop, walmart)
    with loop.app.app_context():
        assert login_test_job(loop.bot_id) == "ok"
        assert db.session.get(OrderBot, loop.bot_id).browser_state  # kept for the orders
        walmart.control("POST", "/sandbox/faults", {"name": "press_hold"})
        assert login_test_job(loop.bot_id) == "challenge"
        result = db.session.get(OrderBot, loop.bot_id).last_login_check_result
        assert "Robot or human" in result["message"]
        walmart.control("DELETE", "/sandbox/faults")
        walmart.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": "changed"})
        assert login_test_job(loop.bot_id) == "login_failed"


def test_worker_killed_after_the_click_is_recovered_from_the_order_history(loop, walmart):
    loop.app.config["ORDER_LEASE_SECONDS"] = 4
    loop.app.config["ACCOUNT_LOCK_SECONDS"] = 4
    setup_walmart(loop, walmart)
    order_id = _sell_and_detect(loop, buyer=BUYER)
    loop.make_due(order_id)
    walmart.control("POST", "/sandbox/faults", {"name": "slow_place", "delay": 4})
    _enqueue(loop, order_id)
    worker = loop.start_worker()
    _wait_for_attempt(loop, order_id, "placing", timeout=120)
    deadline = time.monotonic() + 30
    while not walmart_orders(walmart) and time.monotonic() < deadline:
        time.sleep(0.1)  # the click reached Walmart: the order exists, its answer is late
    _kill_group(worker)
    walmart.control("DELETE", "/sandbox/faults")
    order = _recover(loop, order_id)
    (placed,) = walmart_orders(walmart)  # exactly one Walmart order
    assert order.status == "succeeded", order.failure_message
    assert order.supplier_order_number == placed["display_id"]


def test_the_canary_walks_walmart_to_the_review_page(loop, walmart):
    setup_walmart(loop, walmart)
    loop.canary_to_review()
    assert walmart_orders(walmart) == []


@pytest.mark.slow
def test_the_e_mailed_code_typed_in_the_hand_off_lets_the_bot_buy_once(loop, walmart):
    """Real order worker and hand-off process: the sale needs you, a person types the code
    Walmart e-mailed into the code box, the bot buys the sale by itself, exactly once."""
    from sqlalchemy import select

    from autoorder.models import User
    from tests.loop.test_loop_handoff import Person, _bought, _live_handoff, _processes, _sell

    walmart.control(
        "POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD, "sign_in": "code"}
    )
    setup_walmart(loop, walmart)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id)).email
    _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    assert live.kind == "code" and walmart_orders(walmart) == []
    person = Person(loop, member)
    person.next_frame(live.id)  # the code page is on screen
    code = walmart.control("GET", f"/sandbox/accounts/{EMAIL}")["last_code"]
    entered = person.client.post(
        f"/handoffs/{live.id}/code", data={"code": code, "csrf_token": person.token}
    )
    assert entered.status_code == 302
    _bought(loop, order_id)
    (placed,) = walmart_orders(walmart)
    assert loop.order(order_id).supplier_order_number == placed["display_id"]


@pytest.mark.slow
def test_a_person_presses_and_holds_in_the_live_view_and_the_bot_buys_once(loop, walmart):
    """The "Robot or human?" page in the hand-off's live view: the person finds the button in the
    frame, holds it down for a few seconds through the dashboard, and the bot buys by itself."""
    import base64
    import io

    from PIL import Image
    from sqlalchemy import select

    from autoorder.models import User
    from tests.loop.test_loop_handoff import (
        Person,
        _bought,
        _centre,
        _live_handoff,
        _processes,
        _sell,
    )

    walmart.control("POST", "/sandbox/faults", {"name": "press_hold"})
    setup_walmart(loop, walmart)
    with loop.app.app_context():
        member = db.session.scalar(select(User).where(User.team_id == loop.team_id)).email
    _processes(loop)
    order_id = _sell(loop)
    live = _live_handoff(loop, order_id)
    assert live.kind == "press_hold" and walmart_orders(walmart) == []
    walmart.control("DELETE", "/sandbox/faults")  # once passed, the page lets the browser in
    person = Person(loop, member)
    frame = person.next_frame(live.id)
    image = Image.open(io.BytesIO(base64.b64decode(frame["jpeg"]))).convert("RGB")
    scale = frame["w"] / image.width
    x, y = (v * scale for v in _centre(image, (239, 239, 239), tolerance=12))  # the button
    assert person.send(live.id, {"t": "down", "x": x, "y": y}).status_code == 204
    time.sleep(4)  # press … and hold
    released = person.send(live.id, {"t": "up", "x": x, "y": y}).status_code
    assert released in (204, 409)  # 409: the page let the browser in, the hand-off had ended
    _bought(loop, order_id)
    (placed,) = walmart_orders(walmart)
    assert loop.order(order_id).supplier_order_number == placed["display_id"]
