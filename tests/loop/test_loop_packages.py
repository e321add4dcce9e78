"""A supplier order shipped in several packages: each is kept with its number, carrier and status."""

import pytest

from autoorder import clock
from autoorder.extensions import db
from autoorder.jobs.tracking import refresh_tracking
from autoorder.models import Order
from tests.loop.test_loop_ordering import _buy, _sell_and_detect

pytestmark = [pytest.mark.browser]


def _check(loop, order_id):
    with loop.app.app_context():
        db.session.get(Order, order_id).next_tracking_check_at = clock.now()
        db.session.commit()
        return refresh_tracking(order_id)


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
    assert _check(loop, order_id) == "uploaded"
    with loop.app.app_context():
        order = db.session.get(Order, order_id)
        kept = [(s.tracking_number, s.carrier, s.status, s.items) for s in order.shipments]
        assert order.tracking_number == first
    assert kept == [
        (first, "USPS", "shipped", [variant]),
        (second, shipped["packages"][1]["carrier"], "shipped", None),
    ]
