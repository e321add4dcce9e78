"""ingest(): eBay orders (JSON from the emulator) become autoorder sales, once per line item."""

from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from autoorder.ebay.accounts import client_for
from autoorder.ebay.client import parse_ebay_timestamp
from autoorder.ebay.sync import MalformedOrderError, ingest
from autoorder.extensions import db
from autoorder.models import Order, Team
from tests.ebay.ebay_fixtures import sale
from tests.factories import make_bot, make_listing, make_team

BUYER = {
    "name": "Dana Buyer",
    "username": "dana_b",
    "phone": "5551234567",
    "email": "dana@example.com",
    "address": {
        "addressLine1": "1 Main St",
        "addressLine2": "Apt 2",
        "city": "Springfield",
        "stateOrProvince": "IL",
        "postalCode": "62701",
        "countryCode": "US",
    },
}


def count_orders():
    return db.session.scalar(select(func.count()).select_from(Order))


def ingest_and_flush(account, ebay_order):
    created = ingest(account, ebay_order)
    db.session.flush()
    return created


def test_one_sale_per_line_item_with_snapshot(ebay_sandbox, ebay_account, app):
    team = db.session.get(Team, ebay_account.team_id)
    team.order_buffer_seconds = 900
    ebay_order = sale(
        ebay_sandbox,
        buyer=BUYER,
        lineItems=[
            {
                "legacyItemId": "310000000001",
                "title": "Mug",
                "quantity": 2,
                "price": "10.00",
                "shippingCost": "3.50",
                "variationAspects": {"Color": "Red"},
            },
            {"legacyItemId": "310000000002", "sku": "LAMP-1", "title": "Lamp", "price": "30.00"},
        ],
    )
    created = ingest_and_flush(ebay_account, ebay_order)
    assert len(created) == 2 and count_orders() == 2
    mug, lamp = (next(o for o in created if o.title == t) for t in ("Mug", "Lamp"))
    sold_at = parse_ebay_timestamp(ebay_order["creationDate"])
    for order, item in zip((mug, lamp), ebay_order["lineItems"], strict=True):
        assert (
            order.ebay_order_id == ebay_order["orderId"]
            and order.ebay_line_item_id == item["lineItemId"]
        )
        assert order.team_id == team.id and order.ebay_account_id == ebay_account.id
        assert order.buyer_username == "dana_b" and order.buyer_name == "Dana Buyer"
        assert order.ship_to == {
            "name": "Dana Buyer",
            "phone": "5551234567",
            "email": "dana@example.com",
            "line1": "1 Main St",
            "line2": "Apt 2",
            "city": "Springfield",
            "state": "IL",
            "postal_code": "62701",
            "country": "US",
        }
        assert order.sold_at == sold_at and order.sold_at.tzinfo == UTC
        assert order.order_after == sold_at + timedelta(seconds=900)
        assert order.sale_currency == "USD"
    assert (mug.quantity, mug.sale_price, mug.legacy_item_id) == (
        2,
        Decimal("23.50"),
        "310000000001",
    )
    assert mug.variant_label == "Color: Red"
    assert (lamp.quantity, lamp.sale_price, lamp.sku) == (1, Decimal("30.00"), "LAMP-1")
    # eBay charges the fee per order (13.25 % + 0.30 here): split over the line items, nothing lost.
    assert mug.ebay_fees + lamp.ebay_fees == Decimal(ebay_order["totalMarketplaceFee"]["value"])
    assert mug.ebay_fees < lamp.ebay_fees


def test_fees_and_read_back_of_a_single_item_order(ebay_sandbox, ebay_account, app):
    ebay_order = sale(ebay_sandbox, buyer=BUYER, price="40.00", shippingCost="5.00")
    fetched = client_for(ebay_account).get_order(ebay_order["orderId"])  # as the API serves it
    (order,) = ingest_and_flush(ebay_account, fetched)
    assert order.sale_price == Decimal("45.00")
    assert order.ebay_fees == Decimal("6.26") == Decimal(fetched["totalMarketplaceFee"]["value"])
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Order, order.id)
    assert (
        stored.sold_at == parse_ebay_timestamp(fetched["creationDate"])
        and stored.sold_at.tzinfo == UTC
    )
    assert stored.order_after - stored.sold_at == timedelta(
        seconds=app.config["ORDER_BUFFER_SECONDS"]
    )


def test_buffer_is_capped_at_an_hour(ebay_sandbox, ebay_account):
    db.session.get(Team, ebay_account.team_id).order_buffer_seconds = 7 * 3600
    (order,) = ingest_and_flush(ebay_account, sale(ebay_sandbox))
    assert order.order_after - order.sold_at == timedelta(seconds=3600)


def test_ingesting_twice_creates_nothing_new(ebay_sandbox, ebay_account):
    ebay_order = sale(
        ebay_sandbox,
        lineItems=[{"legacyItemId": "1", "price": "1"}, {"legacyItemId": "2", "price": "2"}],
    )
    assert len(ingest_and_flush(ebay_account, ebay_order)) == 2
    db.session.commit()
    assert ingest_and_flush(ebay_account, ebay_order) == []
    assert count_orders() == 2


def test_no_mapping_needs_attention(ebay_sandbox, ebay_account):
    (order,) = ingest_and_flush(ebay_account, sale(ebay_sandbox, legacyItemId="319999999999"))
    assert (order.status, order.failure_code, order.listing_id) == (
        "needs_attention",
        "no_mapping",
        None,
    )


def test_mapped_by_item_and_variation_id(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    bot = make_bot(team)
    make_listing(team, bot, ebay_item_id="310000000777")  # the listing as a whole
    make_listing(team, bot, ebay_item_id="310000000777", ebay_variation_key="500000000001")
    blue = make_listing(team, bot, ebay_item_id="310000000777", ebay_variation_key="500000000002")
    make_listing(team, bot, ebay_item_id="310000000888", ebay_variation_key="500000000002")
    (order,) = ingest_and_flush(
        ebay_account,
        sale(ebay_sandbox, legacyItemId="310000000777", legacyVariationId="500000000002"),
    )
    assert (order.listing_id, order.bot_id, order.status) == (blue.id, bot.id, "waiting")
    assert order.legacy_variation_id == "500000000002"


def test_mapped_by_item_alone_for_a_single_variation_listing(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    whole = make_listing(team, make_bot(team), ebay_item_id="310000000555")
    (order,) = ingest_and_flush(ebay_account, sale(ebay_sandbox, legacyItemId="310000000555"))
    assert (order.listing_id, order.status) == (whole.id, "waiting")


def test_mapped_by_sku(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    other_team = make_listing(make_team(), sku="HAT-9", ebay_item_id="310000000999")
    by_sku = make_listing(team, make_bot(team), ebay_item_id="310000000444", sku="HAT-9")
    (order,) = ingest_and_flush(
        ebay_account, sale(ebay_sandbox, legacyItemId="310000000999", sku="HAT-9")
    )
    assert order.listing_id == by_sku.id != other_team.id
    assert order.status == "waiting"


def test_ebay_supported_fulfillment_is_held(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    make_listing(team, make_bot(team), ebay_item_id="310000000001")
    (order,) = ingest_and_flush(ebay_account, sale(ebay_sandbox, ebaySupportedFulfillment=True))
    assert (order.status, order.failure_code) == ("needs_attention", "ebay_fulfillment")


def test_unpaid_is_held_then_resumed_when_paid(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    make_listing(team, make_bot(team), ebay_item_id="310000000001")
    ebay_order = sale(ebay_sandbox, paymentStatus="PENDING")
    (order,) = ingest_and_flush(ebay_account, ebay_order)
    assert (order.status, order.failure_code) == ("needs_attention", "unpaid")
    db.session.commit()
    still_pending = client_for(ebay_account).get_order(ebay_order["orderId"])
    assert ingest_and_flush(ebay_account, still_pending) == []
    assert (order.status, order.failure_code) == ("needs_attention", "unpaid")
    paid = ebay_sandbox.control(
        "POST", f"/sandbox/orders/{ebay_order['orderId']}/payment-status", {"status": "PAID"}
    )
    assert ingest_and_flush(ebay_account, paid) == []
    assert (order.status, order.failure_code) == ("waiting", None)
    assert count_orders() == 1


def test_buyer_cancel_request_in_the_buffer_cancels(ebay_sandbox, ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    make_listing(team, make_bot(team), ebay_item_id="310000000001")
    ebay_order = sale(ebay_sandbox)
    (order,) = ingest_and_flush(ebay_account, ebay_order)
    assert order.status == "waiting"
    db.session.commit()
    ebay_sandbox.control("POST", f"/sandbox/orders/{ebay_order['orderId']}/cancel-request", {})
    listed = client_for(ebay_account).get_orders(order_ids=[ebay_order["orderId"]])["orders"][0]
    assert listed["cancelStatus"]["cancelState"] == "IN_PROGRESS"
    assert ingest_and_flush(ebay_account, listed) == []
    assert order.status == "cancelled"
    assert "buyer cancellation" in order.events[-1].reason


def test_cancel_request_on_a_new_sale_needing_attention(ebay_sandbox, ebay_account):
    ebay_order = sale(ebay_sandbox)
    cancelled = ebay_sandbox.control(
        "POST", f"/sandbox/orders/{ebay_order['orderId']}/cancel-request", {"approve": True}
    )
    (order,) = ingest_and_flush(ebay_account, cancelled)
    assert order.status == "cancelled"


@pytest.mark.parametrize(
    "broken",
    [
        lambda o: {k: v for k, v in o.items() if k != "lineItems"},
        lambda o: dict(o, lineItems=[]),
        lambda o: dict(o, lineItems=["not an object"]),
        lambda o: dict(
            o, lineItems=[{k: v for k, v in o["lineItems"][0].items() if k != "lineItemId"}]
        ),
        lambda o: {k: v for k, v in o.items() if k != "creationDate"},
    ],
    ids=[
        "no_line_items",
        "empty_line_items",
        "line_item_not_object",
        "no_line_item_id",
        "no_creation_date",
    ],
)
def test_malformed_order(ebay_sandbox, ebay_account, broken):
    with pytest.raises(MalformedOrderError):
        ingest(ebay_account, broken(sale(ebay_sandbox)))
    assert count_orders() == 0
