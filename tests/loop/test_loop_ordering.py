"""The order loop end to end, in-process jobs against the real stand-ins and real Chromium."""

from datetime import timedelta
from pathlib import Path

import pytest

from autoorder import clock, credits, orders
from autoorder.extensions import db
from autoorder.jobs.ordering import place_order
from autoorder.jobs.tick import tick
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order
from autoorder.orders import OrderStatus as S
from autoorder.scrapers import session as bot_session
from tests.stand import BUYER

pytestmark = pytest.mark.browser


def _sell_and_detect(loop, **overrides) -> int:
    ebay_order = loop.sell(**overrides)
    loop.poll()
    found = [o for o in loop.orders() if o.ebay_order_id == ebay_order["orderId"]]
    assert len(found) == 1, [o.ebay_order_id for o in loop.orders()]
    return found[0].id


def _buy(loop, order_id) -> str:
    loop.make_due(order_id)
    with loop.app.app_context():
        return place_order(order_id)


def test_happy_path_buys_once_and_uploads_tracking_once(loop):
    loop.setup()
    order_id = _sell_and_detect(loop, buyer=BUYER)
    waiting = loop.order(order_id)
    assert waiting.status == "waiting" and waiting.order_after - waiting.sold_at == timedelta(
        seconds=600
    )
    with loop.app.app_context():
        assert place_order(order_id) == "not due"  # inside the buffer nothing happens
    assert loop.shop_orders() == []

    assert _buy(loop, order_id).startswith("succeeded")
    order = loop.order(order_id)
    shop_orders = loop.shop_orders()
    assert len(shop_orders) == 1
    placed = shop_orders[0]
    assert order.status == "succeeded" and order.supplier_order_number == placed["number"]
    assert (
        placed["ship_to"]["full_name"] == "Jane Buyer"
        and placed["ship_to"]["postal_code"] == "78701"
    )
    assert placed["variant_label"] == "Black" and placed["quantity"] == 1
    assert placed["note"].startswith(f"AO-{order_id}-")
    assert str(order.supplier_cost) == placed["total"]
    assert {e.kind for e in order.evidence} == {"review", "confirmation"}
    for item in order.evidence:
        assert (Path(loop.app.config["EVIDENCE_DIR"]) / item.path).stat().st_size > 1000
    with loop.app.app_context():
        assert credits.balance(loop.team_id) == 9
        assert place_order(order_id).startswith("nothing to do")  # a second run buys nothing
    assert len(loop.shop_orders()) == 1

    # Tracking: not before 24 h; then found, validated, uploaded once.
    assert order.next_tracking_check_at - order.ordered_at == timedelta(seconds=86400)
    loop.shop.control("POST", f"/sandbox/orders/{placed['number']}/ship", {"format": "usps"})
    with loop.app.app_context():
        assert refresh_tracking(order_id) == "not due"
    clock.advance(86400 + 1)
    loop.ebay.control(
        "POST", "/sandbox/clock", {"advance": 86400 + 1}
    )  # eBay lives in the same day
    try:
        with loop.app.app_context():
            assert refresh_tracking(order_id) == "uploaded"
            assert refresh_tracking(order_id) == "not due"  # re-checked later, slowly
    finally:
        clock.reset()
    order = loop.order(order_id)
    shipped = loop.shop.control("GET", f"/sandbox/orders/{placed['number']}")
    assert (
        order.tracking_status == "uploaded" and order.tracking_number == shipped["tracking_number"]
    )
    fulfillments = loop.fulfillments()
    assert [f["shipmentTrackingNumber"] for f in fulfillments] == [shipped["tracking_number"]]
    assert fulfillments[0]["shippingCarrierCode"] == "USPS"


def test_buyer_cancel_inside_the_buffer_buys_nothing(loop):
    loop.setup()
    ebay_order = loop.sell()
    loop.poll()
    loop.ebay.control("POST", f"/sandbox/orders/{ebay_order['orderId']}/cancel-request", {})
    loop.poll()
    (order,) = loop.orders()
    assert order.status == "cancelled"
    assert _buy(loop, order.id).startswith("nothing to do")
    assert loop.shop_orders() == []


def test_user_cancel_inside_the_buffer_buys_nothing(loop):
    loop.setup()
    order_id = _sell_and_detect(loop)
    with loop.app.app_context():
        orders.transition(
            db.session.get(Order, order_id), S.CANCELLED, reason="seller cancelled", actor="user:1"
        )
        db.session.commit()
    assert _buy(loop, order_id).startswith("nothing to do")
    assert loop.shop_orders() == []


def test_cancel_request_after_the_buffer_holds_the_order(loop):
    loop.setup()
    ebay_order = loop.sell()
    loop.poll()
    (order,) = loop.orders()
    order_id = order.id
    loop.ebay.control(
        "POST", f"/sandbox/orders/{ebay_order['orderId']}/cancel-request", {}
    )  # not yet polled
    assert _buy(loop, order_id) == "held: cancel_requested"
    assert loop.order(order_id).status == "needs_attention" and loop.shop_orders() == []


@pytest.mark.parametrize(
    "case,expected_status,expected_code",
    [
        ("out_of_stock", "failed", "out_of_stock"),
        ("price_above_limit", "needs_attention", "price_above_limit"),
        ("login_failed", "needs_attention", "login_failed"),
        ("challenge", "needs_you", "challenge"),  # a person passes it (test_loop_handoff.py)
        ("payment_declined", "failed", "payment_declined"),
        ("page_changed", "needs_attention", "page_changed"),
        ("address_rejected", "needs_attention", "address_rejected"),
    ],
)
def test_each_failure_reason_ends_visible_and_buys_nothing(
    loop, case, expected_status, expected_code
):
    setup, sale = {}, {}
    if case == "out_of_stock":
        loop.shop.control("POST", "/sandbox/products/phone-case/stock", {"stock": 0})
    elif case == "price_above_limit":
        loop.shop.control("POST", "/sandbox/faults", {"name": "price_raise", "factor": 3})
    elif case == "login_failed":
        loop.shop.control(
            "PATCH", "/sandbox/accounts/buyer@demo.test", {"password": "changed-password"}
        )
    elif case == "challenge":
        setup["bot_email"] = "captcha@demo.test"
    elif case == "payment_declined":
        setup["card"] = "4000000000000002"
    elif case == "page_changed":
        loop.shop.control("POST", "/sandbox/faults", {"name": "alternate_layout"})
    elif case == "address_rejected":
        sale["buyer"] = {
            "name": "Bad Zip",
            "address": {
                "addressLine1": "1 Main St",
                "city": "Austin",
                "stateOrProvince": "TX",
                "postalCode": "ABCDE",
                "countryCode": "US",
            },
        }
    loop.setup(**setup)
    order_id = _sell_and_detect(loop, **sale)
    outcome = _buy(loop, order_id)
    order = loop.order(order_id)
    assert (order.status, order.failure_code) == (expected_status, expected_code), (
        outcome,
        order.failure_message,
    )
    assert order.failure_message
    assert loop.shop_orders() == []
    with loop.app.app_context():
        assert credits.balance(loop.team_id) == 10  # no credit spent


def test_out_of_credits_then_top_up_resumes(loop, redis):
    loop.setup(credits_count=0)
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id) == "out of credits"
    assert loop.order(order_id).failure_code == "out_of_credits"
    with loop.app.app_context():
        assert tick()["resumed"] == 0
        loop.add_credits(5)
        counts = tick()
        assert counts["resumed"] == 1 and counts["orders"] == 1
        assert place_order(order_id).startswith("succeeded")
        assert credits.balance(loop.team_id) == 4
    assert len(loop.shop_orders()) == 1


def test_duplicate_sale_events_make_one_sale(loop):
    loop.setup()
    loop.sell()
    loop.poll()
    loop.poll()
    with loop.app.app_context():  # forget the cursor: the next poll re-reads everything
        from autoorder.models import EbayAccount

        db.session.get(EbayAccount, loop.account_id).poll_cursor = None
        db.session.commit()
    loop.poll()
    assert len(loop.orders()) == 1


def test_unmapped_listing_needs_attention(loop):
    loop.setup()
    _sell_and_detect(loop, sku="OTHER", legacyItemId="999999999999")
    (order,) = loop.orders()
    assert (order.status, order.failure_code) == ("needs_attention", "no_mapping")


def test_ebay_outage_at_the_pre_buy_check_gives_the_order_back(loop):
    loop.setup()
    order_id = _sell_and_detect(loop)
    loop.ebay.control("POST", "/sandbox/faults", {"fault": "server_error", "count": 2})
    assert _buy(loop, order_id) == "ebay unavailable; retry later"
    order = loop.order(order_id)
    assert order.status == "waiting" and order.order_after > clock.now()
    loop.ebay.control("DELETE", "/sandbox/faults")
    assert _buy(loop, order_id).startswith("succeeded")
    assert len(loop.shop_orders()) == 1


def test_gift_card_bot(loop):
    loop.setup(payment_method="gift_card")
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id).startswith("succeeded")
    (placed,) = loop.shop_orders()
    assert placed["payment_method"].startswith("gift")


def test_tracking_schedule_24h_then_every_4h_until_7_days(loop):
    from datetime import UTC, datetime

    loop.setup()
    order_id = _sell_and_detect(loop)
    start = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
    clock.freeze(start)
    with (
        loop.app.app_context()
    ):  # no ship-by date: the plain schedule (see tests/jobs/test_ship_by)
        db.session.get(Order, order_id).ship_by_at = None
        db.session.commit()
    try:
        assert _buy(loop, order_id).startswith("succeeded")
        order = loop.order(order_id)
        assert order.ordered_at == start
        assert order.next_tracking_check_at == start + timedelta(hours=24)
        assert order.tracking_deadline_at == start + timedelta(days=7)
        checks = []
        with loop.app.app_context():
            clock.advance(24 * 3600 - 1)
            assert refresh_tracking(order_id) == "not due"
            clock.advance(1)
            while True:
                outcome = refresh_tracking(order_id)
                checks.append((clock.now() - start, outcome))
                if outcome != "not shipped yet":
                    break
                nxt = db.session.get(Order, order_id).next_tracking_check_at
                assert nxt - clock.now() == timedelta(hours=4)
                clock.advance(4 * 3600)
                db.session.expire_all()
    finally:
        clock.reset()
    assert checks[0] == (timedelta(hours=24), "not shipped yet")
    assert [offset for offset, _ in checks] == [timedelta(hours=h) for h in range(24, 169, 4)]
    assert checks[-1] == (timedelta(days=7), "not found (gave up)")
    order = loop.order(order_id)
    assert order.tracking_status == "not_found" and len(order.tracking_checks) == 37


def test_tracking_already_on_ebay_is_not_uploaded_again(loop):
    """An upload whose answer was lost (crash after eBay accepted it) is not repeated on retry."""
    loop.setup()
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id).startswith("succeeded")
    order = loop.order(order_id)
    shipped = loop.shop.control(
        "POST", f"/sandbox/orders/{order.supplier_order_number}/ship", {"format": "usps"}
    )
    with loop.app.app_context():  # eBay got the tracking earlier, but we never recorded it
        from autoorder.ebay.accounts import client_for
        from autoorder.models import EbayAccount

        client_for(db.session.get(EbayAccount, loop.account_id)).create_shipping_fulfillment(
            order.ebay_order_id,
            line_items=[{"lineItemId": order.ebay_line_item_id, "quantity": 1}],
            carrier_code="USPS",
            tracking_number=shipped["tracking_number"],
            shipped_at=clock.now(),
        )
        row = db.session.get(Order, order_id)
        row.next_tracking_check_at = clock.now()
        db.session.commit()
        assert refresh_tracking(order_id) == "uploaded"
    fulfillments = loop.fulfillments()
    assert len(fulfillments) == 1
    assert any("already had" in e.reason for e in loop.order(order_id).events)


def test_invalid_tracking_number_is_never_uploaded(loop):
    loop.setup()
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id).startswith("succeeded")
    order = loop.order(order_id)
    loop.shop.control(
        "POST",
        f"/sandbox/orders/{order.supplier_order_number}/ship",
        {"carrier": "USPS", "tracking_number": "9400111899223197428491"},
    )  # bad check digit
    assert loop.check_tracking(order_id) == "invalid tracking number"
    order = loop.order(order_id)
    assert (
        order.tracking_status == "upload_failed" and "check digit" in order.tracking_message.lower()
    )
    fulfillments = loop.fulfillments()
    assert fulfillments == []


def test_tracking_reuses_the_bots_session_and_signs_in_again_when_it_expired(loop):
    loop.setup()
    ids = [_sell_and_detect(loop) for _ in range(3)]
    for order_id in ids:
        assert _buy(loop, order_id).startswith("succeeded")
        number = loop.order(order_id).supplier_order_number
        loop.shop.control("POST", f"/sandbox/orders/{number}/ship", {"format": "usps"})
    bot_session._http_sessions.clear()
    with loop.app.app_context():
        for order_id in ids:
            db.session.get(Order, order_id).next_tracking_check_at = clock.now()
        db.session.commit()
        assert refresh_tracking(ids[0]) == "uploaded"
        first = bot_session._http_sessions[loop.bot_id][1]
        assert refresh_tracking(ids[1]) == "uploaded"
        assert (
            bot_session._http_sessions[loop.bot_id][1] is first
        )  # same cookies, same connection pool
        loop.shop.control("PATCH", "/sandbox/accounts/buyer@demo.test", {"expire_sessions": True})
        assert (
            refresh_tracking(ids[2]) == "uploaded"
        )  # redirected to the sign-in: one browser login, then found
        assert bot_session._http_sessions[loop.bot_id][1] is not first
    assert [loop.order(i).tracking_status for i in ids] == ["uploaded"] * 3
    assert len(loop.fulfillments()) == 3


def test_procfile_processes_buy_a_sale_when_its_buffer_ends(loop, redis):
    """`worker --no-scheduler` + `scheduler`, as the Procfile runs them: the scheduler process moves
    the order job onto the queue at the buffer end, the worker buys it."""
    import signal
    import time

    from rq.job import Job

    from autoorder.jobs import enqueue_order, order_job_id
    from autoorder.models import PurchaseAttempt

    loop.setup()
    order_id = _sell_and_detect(loop)  # the poll schedules the order job for the buffer end...
    with (
        loop.app.app_context()
    ):  # ...which we move to 4 s from now (the shared eBay emulator's clock
        order = db.session.get(Order, order_id)  # may be days ahead after other tests)
        order.order_after = clock.now() + timedelta(seconds=4)
        db.session.commit()
        Job.fetch(order_job_id(order_id), connection=redis).delete()
        assert enqueue_order(order_id, at=order.order_after) is not None
    worker = loop.start_worker("--no-scheduler")
    scheduler = loop.start_scheduler()
    deadline = time.monotonic() + 90
    while loop.order(order_id).status in ("waiting", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.3)
    for proc in (worker, scheduler):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    order = loop.order(order_id)
    logs = "\n".join(
        f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(loop.tmp_path.glob("*.log"))
    )
    assert order.status == "succeeded", f"{order.status} {order.failure_message}\n{logs}"
    assert len(loop.shop_orders()) == 1
    with loop.app.app_context():
        started = db.session.query(PurchaseAttempt.started_at).filter_by(order_id=order_id).scalar()
    assert (
        order.order_after <= started < order.order_after + timedelta(seconds=5)
    )  # not the 15 s tick


def test_the_bots_next_sale_goes_on_in_its_warm_context_until_its_session_changes(loop):
    """A worker keeps the context its bot's last order ended in (scrapers.browser): the next sale
    of that bot reuses it while the saved session is the one it saved; once the session was saved
    by someone else (another worker, a sign-in, a hand-off) the next sale starts from that one."""
    import json

    from autoorder.models import OrderBot
    from autoorder.scrapers.browser import POOL

    loop.setup()
    ids = [_sell_and_detect(loop) for _ in range(3)]
    before = POOL.reuses
    assert _buy(loop, ids[0]).startswith("succeeded")
    assert _buy(loop, ids[1]).startswith("succeeded")
    assert POOL.reuses == before + 1  # the second sale went on in the first one's context
    with loop.app.app_context():  # another process saves a session of its own
        bot = db.session.get(OrderBot, loop.bot_id)
        state = json.loads(bot.browser_state)
        state["cookies"].append(
            {**state["cookies"][0], "name": "saved_elsewhere", "value": "1", "expires": -1}
        )
        bot.browser_state = json.dumps(state)
        db.session.commit()
    assert _buy(loop, ids[2]).startswith("succeeded")
    assert POOL.reuses == before + 1  # a fresh context, from the session saved elsewhere
    with loop.app.app_context():
        saved = json.loads(db.session.get(OrderBot, loop.bot_id).browser_state)
    assert "saved_elsewhere" in {c["name"] for c in saved["cookies"]}
    assert len(loop.shop_orders()) == 3
