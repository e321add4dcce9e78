"""Line items of one eBay order that share a package (one tracking number): one shipping fulfillment
listing them all, and a line is marked uploaded only when eBay's fulfillments cover it (issue 11).
Against the eBay emulator over HTTP."""

from sqlalchemy import select

from autoorder import clock, tracking
from autoorder.extensions import db
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order, Team
from autoorder.scrapers.base import TrackingInfo
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
