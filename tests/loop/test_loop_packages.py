"""A supplier order shipped in several packages: each is kept with its number, carrier and status,
and goes to eBay as its own shipping fulfillment (against the eBay emulator, in real Chromium)."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from autoorder import clock
from autoorder.extensions import db
from autoorder.models import Listing, Order, User
from tests.factories import PASSWORD
from tests.loop.test_loop_ordering import _buy, _sell_and_detect
from tests.support import login

pytestmark = [pytest.mark.browser]


def test_every_package_of_a_split_shipment_is_kept(loop):
    loop.setup()
    order_id = _sell_and_detect(loop)
    assert _buy(loop, order_id).startswith("succeeded")
    number = loop.order(order_id).supplier_order_number
    (placed,) = loop.shop_orders()
    variant = placed["items"][0]["variant_id"]
    shipped = loop.shop.control(
        "POST",
        f"/sandbox/orders/{number}/packages",
        {"packages": [{"format": "usps", "variant_ids": [variant]}, {"format": "cainiao"}]},
    )
    first, second = (p["tracking_number"] for p in shipped["packages"])
    assert loop.check_tracking(order_id) == "uploaded"
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        kept = [(s.tracking_number, s.carrier, s.status, s.items) for s in order.shipments]
        assert order.tracking_number == first
    assert kept == [
        (first, "USPS", "shipped", [variant]),
        (second, shipped["packages"][1]["carrier"], "shipped", None),
    ]


# --- each package its own eBay shipping fulfillment (issue 13.4) -------------------------------
BAD_USPS = "9400111899223197428491"  # a USPS-shaped number with a wrong check digit


def _bought_two_units(loop) -> tuple[int, str, str]:
    """A sale of two units, bought in one supplier order: (order id, supplier number, variant)."""
    loop.setup()
    with loop.app.app_context():
        db.session.get(Listing, loop.listing_id).max_buy_price = Decimal("100.00")
        db.session.commit()
    order_id = _sell_and_detect(loop, quantity=2)
    assert _buy(loop, order_id).startswith("succeeded")
    number = loop.order(order_id).supplier_order_number
    (placed,) = loop.shop_orders()
    assert placed["quantity"] == 2
    return order_id, number, placed["items"][0]["variant_id"]


def _ship(loop, number, *packages) -> list[str]:
    shipped = loop.shop.control(
        "POST", f"/sandbox/orders/{number}/packages", {"packages": packages}
    )
    return [p["tracking_number"] for p in shipped["packages"]]


def _on_ebay(loop) -> list[tuple]:
    return [
        (f["shipmentTrackingNumber"], f["shippingCarrierCode"], f["lineItems"])
        for f in loop.fulfillments()
    ]


def _packages(loop, order_id) -> list[tuple]:
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        return [
            (s.tracking_number, s.status, s.upload_state, s.ebay_carrier_code)
            for s in order.shipments
        ]


def _order_page(loop, order_id) -> str:
    with loop.app.app_context():
        email = db.session.scalar(select(User.email).where(User.team_id == loop.team_id))
    client = loop.app.test_client()
    login(client, email, PASSWORD)
    response = client.get(f"/orders/{order_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_parcel_shipped_days_after_the_first_becomes_a_second_fulfillment(loop):
    order_id, number, variant = _bought_two_units(loop)
    line = loop.order(order_id).ebay_line_item_id
    one_unit = {"variant_ids": [variant], "quantities": [1]}
    (first,) = _ship(loop, number, {"format": "usps", **one_unit})
    assert loop.check_tracking(order_id) == "uploaded"
    assert _on_ebay(loop) == [(first, "USPS", [{"lineItemId": line, "quantity": 1}])]
    order = loop.order(order_id)
    assert order.tracking_status == "uploaded" and order.next_tracking_check_at is not None

    clock.advance(86400)  # the supplier ships the second parcel the next day
    loop.ebay.control("POST", "/sandbox/clock", {"advance": 86400})
    try:
        first_again, second = _ship(
            loop,
            number,
            {"tracking_number": first, "carrier": "USPS", **one_unit},
            {"format": "cainiao", **one_unit},
        )
        assert first_again == first
        assert loop.check_tracking(order_id) == "uploaded"
        assert loop.check_tracking(order_id) == "rechecked"  # run twice: nothing is sent again
    finally:
        clock.reset()
    packages = _packages(loop, order_id)
    assert [(n, state) for n, _, state, _ in packages] == [
        (first, "uploaded"),
        (second, "uploaded"),
    ]
    assert _on_ebay(loop) == [
        (number_, code, [{"lineItemId": line, "quantity": 1}]) for number_, _, _, code in packages
    ]
    assert loop.order(order_id).tracking_status == "uploaded"

    # Later the supplier says one parcel arrived and the other came back: recorded, nothing sent.
    _ship(
        loop,
        number,
        {"tracking_number": first, "carrier": "USPS", "status": "delivered", **one_unit},
        {"tracking_number": second, "status": "returned", **one_unit},
    )
    assert loop.check_tracking(order_id) == "rechecked"
    assert [(n, status) for n, status, _, _ in _packages(loop, order_id)] == [
        (first, "delivered"),
        (second, "returned"),
    ]
    order = loop.order(order_id)
    assert order.next_tracking_check_at is None  # every package is final: no more looks
    assert sum(c.result == "status" for c in order.tracking_checks) == 2
    assert len(loop.fulfillments()) == 2


def test_an_invalid_second_number_is_shown_on_the_order_and_the_first_goes_up(loop):
    order_id, number, variant = _bought_two_units(loop)
    one_unit = {"variant_ids": [variant], "quantities": [1]}
    first, bad = _ship(
        loop,
        number,
        {"format": "usps", **one_unit},
        {"tracking_number": BAD_USPS, "carrier": "USPS", **one_unit},
    )
    assert loop.check_tracking(order_id) == "upload failed"
    assert [f[0] for f in _on_ebay(loop)] == [first]
    assert [(n, state) for n, _, state, _ in _packages(loop, order_id)] == [
        (first, "uploaded"),
        (bad, "invalid"),
    ]
    order = loop.order(order_id)
    assert order.tracking_status == "upload_failed"
    assert bad in order.tracking_message and "check digit" in order.tracking_message
    assert loop.check_tracking(order_id) == "nothing to do"  # a human decides: nothing is sent
    assert len(loop.fulfillments()) == 1

    page = _order_page(loop, order_id)
    assert re.search(rf'data-tracking-number="{first}" data-upload-state="uploaded"', page)
    assert re.search(rf'data-tracking-number="{bad}" data-upload-state="invalid"', page)
    assert "check digit is wrong" in page
