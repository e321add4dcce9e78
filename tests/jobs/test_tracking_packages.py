"""Line items of one eBay order that share a package (one tracking number): one shipping fulfillment
listing them all, and a line is marked uploaded only when eBay's fulfillments cover it (issue 11).
Against the eBay emulator over HTTP."""

from datetime import timedelta

import requests
from sqlalchemy import select

from autoorder import actions, clock, tracking
from autoorder.extensions import db
from autoorder.jobs import tick
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order, Team
from autoorder.scrapers.base import Package, TrackingInfo
from tests.ebay.ebay_fixtures import sale
from tests.factories import make_bot, make_order

NUMBER = "9400111201080805483016"


def two_line_order(emulator):
    return sale(
        emulator,
        lineItems=[
            {"legacyItemId": "310000000001", "price": "10.00"},
            {"legacyItemId": "310000000002", "price": "20.00"},
        ],
    )


def bought(account, ebay_order, index, bot=None, **kw):
    team = db.session.get(Team, account.team_id)
    fields = {
        "tracking_status": "searching",
        "tracking_number": NUMBER,
        "tracking_carrier": "USPS",
        "ebay_carrier_code": "USPS",
        "next_tracking_check_at": clock.now(),
        **kw,
    }
    order = make_order(
        team,
        status="succeeded",
        ebay_account_id=account.id,
        ebay_order_id=ebay_order["orderId"],
        ebay_line_item_id=ebay_order["lineItems"][index]["lineItemId"],
        supplier_order_number=f"SO-{index}",
        bot_id=bot.id if bot else None,
        **fields,
    )
    db.session.commit()
    return order


def ebay_fulfillments(emulator, ebay_order):
    return [
        f
        for f in emulator.control("GET", "/sandbox/fulfillments")["fulfillments"]
        if f["orderId"] == ebay_order["orderId"]
    ]


def ebay_line_statuses(emulator, ebay_order):
    (stored,) = [
        o
        for o in emulator.control("GET", "/sandbox/orders")["orders"]
        if o["orderId"] == ebay_order["orderId"]
    ]
    return [li["lineItemFulfillmentStatus"] for li in stored["lineItems"]]


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def test_two_line_items_with_one_tracking_number_end_both_shipped_on_ebay(
    ebay_sandbox, ebay_account
):
    ebay_order = two_line_order(ebay_sandbox)
    first, second = bought(ebay_account, ebay_order, 0), bought(ebay_account, ebay_order, 1)

    assert refresh_tracking(first.id) == "uploaded"
    (fulfillment,) = ebay_fulfillments(ebay_sandbox, ebay_order)
    assert sorted(li["lineItemId"] for li in fulfillment["lineItems"]) == sorted(
        li["lineItemId"] for li in ebay_order["lineItems"]
    )
    assert ebay_line_statuses(ebay_sandbox, ebay_order) == ["FULFILLED", "FULFILLED"]
    assert fresh(first).tracking_status == "uploaded"
    assert fresh(second).tracking_status == "uploaded"
    assert fresh(second).ebay_fulfillment_id == NUMBER
    assert refresh_tracking(second.id) == "nothing to do"  # nothing left, nothing sent twice
    assert len(ebay_fulfillments(ebay_sandbox, ebay_order)) == 1


def test_a_line_is_not_marked_uploaded_when_ebay_does_not_cover_it(ebay_sandbox, ebay_account):
    """The old bug: the second line found eBay 'already had this tracking number' and was marked
    uploaded, though eBay's fulfillment listed only the first line."""
    ebay_order = two_line_order(ebay_sandbox)
    first = bought(ebay_account, ebay_order, 0)
    assert refresh_tracking(first.id) == "uploaded"  # the second line's tracking not known yet
    second = bought(ebay_account, ebay_order, 1)

    assert refresh_tracking(second.id) == "upload failed"
    second = fresh(second)
    assert second.tracking_status == "upload_failed"
    assert "mark this line item shipped on eBay" in second.tracking_message
    assert ebay_line_statuses(ebay_sandbox, ebay_order) == ["FULFILLED", "NOT_STARTED"]


def test_an_already_covered_line_is_marked_uploaded_after_reading_ebay_back(
    ebay_sandbox, ebay_account
):
    ebay_order = two_line_order(ebay_sandbox)
    first = bought(ebay_account, ebay_order, 0)
    second = bought(ebay_account, ebay_order, 1, tracking_status="not_due")
    assert refresh_tracking(first.id) == "uploaded"
    # The second line was not due; it went up in the same package all the same.
    assert fresh(second).tracking_status == "uploaded"
    assert ebay_line_statuses(ebay_sandbox, ebay_order) == ["FULFILLED", "FULFILLED"]


def test_a_sibling_bought_with_the_same_bot_is_looked_at_before_uploading(
    ebay_sandbox, ebay_account, monkeypatch
):
    team = db.session.get(Team, ebay_account.team_id)
    bot = make_bot(team)
    ebay_order = two_line_order(ebay_sandbox)
    first = bought(
        ebay_account, ebay_order, 0, bot=bot, tracking_number=None, ebay_carrier_code=None
    )
    second = bought(
        ebay_account,
        ebay_order,
        1,
        bot=bot,
        tracking_number=None,
        ebay_carrier_code=None,
        next_tracking_check_at=None,
    )
    looked = []

    def fetch(order):  # the supplier page (unit seam): both supplier orders in one parcel
        looked.append(order.id)
        return TrackingInfo(status="shipped", carrier="USPS", tracking_number=NUMBER)

    monkeypatch.setattr(tracking, "_fetch", fetch)
    assert refresh_tracking(first.id) == "uploaded"
    assert looked == [first.id, second.id]
    assert ebay_line_statuses(ebay_sandbox, ebay_order) == ["FULFILLED", "FULFILLED"]
    second = fresh(second)
    assert (second.tracking_status, second.tracking_number) == ("uploaded", NUMBER)
    assert db.session.scalars(
        select(Order.id).where(Order.tracking_status == "uploaded").order_by(Order.id)
    ).all() == sorted([first.id, second.id])


# --- several packages of one supplier order (issue 13.4) ---------------------------------------
CAINIAO, YUN = "LP97964113305742", "YT3415133862374596"  # valid numbers (golden fixtures)


def _shipped(*packages):
    return TrackingInfo(
        status="shipped",
        carrier=packages[0].carrier,
        tracking_number=packages[0].tracking_number,
        packages=packages,
    )


def _one_line(emulator, quantity=1):
    return sale(emulator, quantity=quantity)


def _searching(account, ebay_order, bot, **kw):
    return bought(
        account,
        ebay_order,
        0,
        bot=bot,
        tracking_number=None,
        ebay_carrier_code=None,
        tracking_deadline_at=clock.now() + timedelta(days=7),
        **kw,
    )


def _states(order):
    return [(s.tracking_number, s.upload_state) for s in fresh(order).shipments]


def test_packages_beyond_the_units_sold_are_kept_but_not_sent(
    ebay_sandbox, ebay_account, monkeypatch
):
    """One unit sold, two parcels without units on the page: eBay takes one tracking number for
    it; the other is kept, marked not needed, and does not hold the envelope red."""
    bot = make_bot(db.session.get(Team, ebay_account.team_id))
    ebay_order = _one_line(ebay_sandbox)
    order = _searching(ebay_account, ebay_order, bot)
    info = _shipped(Package(CAINIAO, "Cainiao"), Package(YUN, "YunExpress"))
    monkeypatch.setattr(tracking, "_fetch", lambda o: info)
    assert refresh_tracking(order.id) == "uploaded"
    assert [f["shipmentTrackingNumber"] for f in ebay_fulfillments(ebay_sandbox, ebay_order)] == [
        CAINIAO
    ]
    assert _states(order) == [(CAINIAO, "uploaded"), (YUN, "not_needed")]
    assert fresh(order).tracking_status == "uploaded"


def test_units_split_over_packages_found_in_one_check(ebay_sandbox, ebay_account, monkeypatch):
    bot = make_bot(db.session.get(Team, ebay_account.team_id))
    ebay_order = _one_line(ebay_sandbox, quantity=3)
    order = _searching(ebay_account, ebay_order, bot, quantity=3)
    info = _shipped(Package(CAINIAO, "Cainiao"), Package(YUN, "YunExpress"))
    monkeypatch.setattr(tracking, "_fetch", lambda o: info)
    assert refresh_tracking(order.id) == "uploaded"
    assert [
        (f["shipmentTrackingNumber"], f["lineItems"][0]["quantity"])
        for f in ebay_fulfillments(ebay_sandbox, ebay_order)
    ] == [(CAINIAO, 2), (YUN, 1)]  # one unit left for the last parcel, the rest in the first


def test_a_number_typed_by_hand_replaces_the_suppliers_invalid_one(
    ebay_sandbox, ebay_account, monkeypatch
):
    bot = make_bot(db.session.get(Team, ebay_account.team_id))
    ebay_order = _one_line(ebay_sandbox)
    order = _searching(ebay_account, ebay_order, bot)
    info = _shipped(Package("9400111899223197428491", "USPS"))  # wrong check digit
    monkeypatch.setattr(tracking, "_fetch", lambda o: info)
    assert refresh_tracking(order.id) == "invalid tracking number"
    assert _states(order) == [("9400111899223197428491", "invalid")]

    order = fresh(order)
    actions.enter_tracking(order, "user:1", tracking_number=NUMBER, carrier="USPS")
    db.session.commit()
    assert refresh_tracking(order.id) == "uploaded"
    assert _states(order) == [("9400111899223197428491", "not_needed"), (NUMBER, "uploaded")]
    assert [f["shipmentTrackingNumber"] for f in ebay_fulfillments(ebay_sandbox, ebay_order)] == [
        NUMBER
    ]


def test_an_uploaded_order_is_rechecked_slowly_until_every_package_is_final(
    app, ebay_sandbox, ebay_account, monkeypatch
):
    bot = make_bot(db.session.get(Team, ebay_account.team_id))
    ebay_order = _one_line(ebay_sandbox)
    order = _searching(ebay_account, ebay_order, bot)
    monkeypatch.setattr(tracking, "_fetch", lambda o: _shipped(Package(NUMBER, "USPS")))
    assert refresh_tracking(order.id) == "uploaded"
    every = timedelta(seconds=app.config["TRACKING_RECHECK_SECONDS"])
    planned = fresh(order).next_tracking_check_at
    assert abs(planned - (clock.now() + every)) < timedelta(seconds=30)
    assert refresh_tracking(order.id) == "not due"
    assert tick.enqueue_due_tracking() == 0

    fresh(order).next_tracking_check_at = clock.now()
    db.session.commit()
    assert order.id in _due_ids()
    delivered = _shipped(Package(NUMBER, "USPS", status="delivered"))
    monkeypatch.setattr(tracking, "_fetch", lambda o: delivered)
    assert refresh_tracking(order.id) == "rechecked"
    order = fresh(order)
    assert [s.status for s in order.shipments] == ["delivered"]
    assert [c.detail for c in order.tracking_checks if c.result == "status"] == [
        "package shipped → delivered (on the supplier site)"
    ]
    assert order.next_tracking_check_at is None and order.tracking_status == "uploaded"
    assert len(ebay_fulfillments(ebay_sandbox, ebay_order)) == 1


def test_a_recheck_that_cannot_read_the_supplier_changes_nothing(
    ebay_sandbox, ebay_account, monkeypatch
):
    bot = make_bot(db.session.get(Team, ebay_account.team_id))
    ebay_order = _one_line(ebay_sandbox)
    order = _searching(ebay_account, ebay_order, bot)
    monkeypatch.setattr(tracking, "_fetch", lambda o: _shipped(Package(NUMBER, "USPS")))
    assert refresh_tracking(order.id) == "uploaded"
    fresh(order).next_tracking_check_at = clock.now()
    db.session.commit()

    def down(o):
        raise requests.ConnectionError("supplier down")

    monkeypatch.setattr(tracking, "_fetch", down)
    assert refresh_tracking(order.id) == "recheck failed"
    order = fresh(order)
    assert order.tracking_status == "uploaded" and order.next_tracking_check_at > clock.now()
    assert _states(order) == [(NUMBER, "uploaded")]


def _due_ids():
    now = clock.now()
    return db.session.scalars(
        select(Order.id).where(
            Order.tracking_status == "uploaded", Order.next_tracking_check_at <= now
        )
    ).all()
