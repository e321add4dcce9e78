"""Order shapes eBay's contract allows that once stopped the poll (issue 11): each is recorded or
held while the other orders of the same page are ingested and the cursor moves. Real emulator over
HTTP; the shapes are set on the emulator's stored orders (``POST /sandbox/orders/{id}/fields``)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from autoorder import clock
from autoorder.ebay.client import parse_ebay_timestamp
from autoorder.extensions import db
from autoorder.jobs.sales import OVERLAP, poll_ebay_account
from autoorder.models import EbayAccount, EbayOrderProblem, Order, Team
from tests.ebay.ebay_fixtures import emulator_now, sale
from tests.factories import make_bot, make_listing

ITEM = "310000000001"


def two_lines(emulator):
    return sale(
        emulator,
        lineItems=[
            {"legacyItemId": ITEM, "price": "10.00"},
            {"legacyItemId": ITEM, "price": "20.00"},
        ],
    )


def set_fields(emulator, order, **fields):
    return emulator.control("POST", f"/sandbox/orders/{order['orderId']}/fields", fields)


def problems():
    return {p.ebay_order_id: p for p in db.session.scalars(select(EbayOrderProblem))}


def sales_of(order):
    return db.session.scalars(
        select(Order).where(Order.ebay_order_id == order["orderId"]).order_by(Order.id)
    ).all()


@pytest.fixture
def mapped(ebay_account):
    team = db.session.get(Team, ebay_account.team_id)
    make_listing(team, make_bot(team), ebay_item_id=ITEM)
    db.session.commit()
    return ebay_account


SHAPES = {
    # name: (how the order is made, the fields set on it, what must happen)
    "far-future creationDate": (sale, {"creationDate": "9999-12-31T23:59:59.999Z"}, "recorded"),
    "fee 1E+30 on two lines": (two_lines, {"totalMarketplaceFee.value": "1E+30"}, "recorded"),
    "amount NaN on two lines": (two_lines, {"lineItems.1.total.value": "NaN"}, "recorded"),
    "quantity 0": (sale, {"lineItems.0.quantity": 0}, "recorded"),
    "unknown cancelState": (sale, {"cancelStatus.cancelState": "CANCEL_PENDING_REVIEW"}, "held"),
    "unknown payment status": (sale, {"orderPaymentStatus": "PAYMENT_HELD"}, "held"),
    "no ship-to step": (sale, {"fulfillmentStartInstructions": []}, "held"),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_recorded_or_held_and_the_page_goes_on(ebay_sandbox, mapped, shape):
    make, fields, outcome = SHAPES[shape]
    before = sale(ebay_sandbox)
    odd = make(ebay_sandbox)
    set_fields(ebay_sandbox, odd, **fields)
    after = sale(ebay_sandbox)
    clock.freeze(clock.now())

    assert poll_ebay_account(mapped.id) == f"seen=3 created={2 + (outcome == 'held')}"
    for good in (before, after):
        assert [s.status for s in sales_of(good)] == ["waiting"]
    if outcome == "recorded":
        assert sales_of(odd) == [] and odd["orderId"] in problems()
        assert problems()[odd["orderId"]].resolved_at is None
    else:
        (held,) = sales_of(odd)
        assert held.status == "needs_attention" and problems() == {}
        assert held.failure_code == ("no_ship_to" if "ship-to" in shape else "ebay_unknown_state")
    account = db.session.get(EbayAccount, mapped.id)
    assert account.poll_failures == 0 and account.last_error is None
    assert account.poll_cursor == min(
        parse_ebay_timestamp(after["lastModifiedDate"]), clock.now() - OVERLAP
    )


def test_every_exception_reading_one_order_is_recorded_not_only_the_known_ones(
    ebay_sandbox, mapped, monkeypatch
):
    from autoorder.ebay import sync

    good, odd = sale(ebay_sandbox), sale(ebay_sandbox, title="boom")
    real = sync._create

    def create(team, account, ebay_order, item, fee):
        if item.get("title") == "boom":
            raise KeyError("something nobody foresaw")
        return real(team, account, ebay_order, item, fee)

    monkeypatch.setattr(sync, "_create", create)
    assert poll_ebay_account(mapped.id) == "seen=2 created=1"
    assert [s.status for s in sales_of(good)] == ["waiting"]
    assert "KeyError" in problems()[odd["orderId"]].error


def test_an_unknown_cancel_state_never_cancels_a_sale_already_waiting(ebay_sandbox, mapped):
    order = sale(ebay_sandbox)
    assert poll_ebay_account(mapped.id) == "seen=1 created=1"
    set_fields(ebay_sandbox, order, **{"cancelStatus.cancelState": "SOMETHING_NEW"})
    assert poll_ebay_account(mapped.id) == "seen=1 created=0"
    (held,) = sales_of(order)
    assert (held.status, held.failure_code) == ("needs_attention", "ebay_unknown_state")
    assert "SOMETHING_NEW" in held.failure_message


def test_a_future_last_modified_date_does_not_move_the_cursor_past_now(ebay_sandbox, mapped):
    clock.freeze(clock.now())
    odd = sale(ebay_sandbox)
    set_fields(ebay_sandbox, odd, lastModifiedDate="2099-01-01T00:00:00.000Z")
    assert poll_ebay_account(mapped.id) == "seen=1 created=1"
    account = db.session.get(EbayAccount, mapped.id)
    assert account.poll_cursor == clock.now() - OVERLAP
    # A sale made later (eBay's time) is still found by the next poll.
    ebay_sandbox.control("POST", "/sandbox/clock", {"advance": 300})
    clock.advance(300)
    later = sale(ebay_sandbox)
    assert poll_ebay_account(mapped.id) == "seen=2 created=1"
    assert [s.status for s in sales_of(later)] == ["waiting"]


def test_a_lowercase_z_timestamp_is_read_per_rfc_3339(ebay_sandbox, mapped):
    order = sale(ebay_sandbox)
    stamp = order["creationDate"].replace("T", "t").replace("Z", "z")
    set_fields(ebay_sandbox, order, creationDate=stamp, lastModifiedDate=stamp)
    clock.freeze(clock.now())
    assert poll_ebay_account(mapped.id) == "seen=1 created=1"
    assert poll_ebay_account(mapped.id) == "seen=1 created=0"
    (ingested,) = sales_of(order)
    assert ingested.sold_at == parse_ebay_timestamp(order["creationDate"])
    assert problems() == {}


def test_an_order_without_ship_to_is_not_bought_when_its_hold_is_lifted(ebay_sandbox, mapped):
    """The pre-buy check no longer skips the address comparison when the address is empty."""
    from autoorder import orders
    from autoorder.orders import OrderStatus
    from autoorder.purchasing import check_ebay_before_buying

    order = sale(ebay_sandbox)
    set_fields(ebay_sandbox, order, fulfillmentStartInstructions=[])
    poll_ebay_account(mapped.id)
    (held,) = sales_of(order)
    orders.transition(held, OrderStatus.WAITING, reason="a person retries", actor="test")
    db.session.commit()
    assert check_ebay_before_buying(held) == "held: no_ship_to"


def test_the_ship_by_date_of_each_line_item_is_stored(ebay_sandbox, mapped):
    order = two_lines(ebay_sandbox)
    ship_by = emulator_now(ebay_sandbox) + timedelta(hours=30)
    stamp = ship_by.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    set_fields(
        ebay_sandbox, order, **{"lineItems.1.lineItemFulfillmentInstructions.shipByDate": stamp}
    )
    poll_ebay_account(mapped.id)
    first, second = sales_of(order)
    assert first.ship_by_at == parse_ebay_timestamp(
        order["lineItems"][0]["lineItemFulfillmentInstructions"]["shipByDate"]
    )
    assert second.ship_by_at == ship_by.replace(microsecond=0)
