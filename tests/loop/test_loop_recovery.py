"""Recovery after an unclear click on a supplier that keeps no order note (the demo shop with its
note switched off): the order is found in the history by item, quantity, ship-to and time; two
orders that fit stop for a person, and nothing is ever bought a second time."""

import pytest

from autoorder.scrapers import base
from autoorder.scrapers.demo_shop import DemoShopAdapter
from tests.loop.test_loop_ordering import _buy, _sell_and_detect

pytestmark = [pytest.mark.browser]

BUYER = {
    "name": "Ada Lovelace",
    "username": "ada",
    "address": {
        "addressLine1": "12 Analytical St",
        "city": "Austin",
        "stateOrProvince": "TX",
        "postalCode": "78702",
        "countryCode": "US",
    },
}


@pytest.fixture
def unreadable_confirmation(monkeypatch):
    """The click goes through on the real shop, but its answer cannot be read (a lost page)."""

    def lost(self, page, request, item, totals):
        raise base.PageChangedError("the confirmation page could not be read")

    monkeypatch.setattr(DemoShopAdapter, "read_confirmation", lost)


def test_an_unclear_click_is_found_by_contents_without_a_note(loop, unreadable_confirmation):
    loop.setup()
    loop.shop.control("POST", "/sandbox/faults", {"name": "no_order_note"})
    order_id = _sell_and_detect(loop, buyer=BUYER)
    outcome = _buy(loop, order_id)
    (placed,) = loop.shop_orders()
    assert placed["note"] == ""  # nothing of ours on the supplier's side
    assert outcome == f"succeeded {placed['number']}"
    order = loop.order(order_id)
    assert (order.status, order.supplier_order_number) == ("succeeded", placed["number"])
    assert {e.kind for e in order.evidence} >= {"failure", "page_html"}  # the unclear step's page


def test_two_orders_that_fit_need_a_person_and_nothing_is_bought_again(
    loop, unreadable_confirmation, monkeypatch
):
    loop.setup()
    loop.shop.control("POST", "/sandbox/faults", {"name": "no_order_note"})
    first, second = (_sell_and_detect(loop, buyer=BUYER) for _ in range(2))
    monkeypatch.undo()  # the first sale is bought normally
    assert _buy(loop, first).startswith("succeeded")
    monkeypatch.setattr(
        DemoShopAdapter,
        "read_confirmation",
        lambda *a: (_ for _ in ()).throw(base.PageChangedError("lost")),
    )
    assert _buy(loop, second) == "unknown"
    order = loop.order(second)
    assert order.status == "needs_attention" and "more than one" in order.failure_message
    assert len(loop.shop_orders()) == 2  # the two clicks; never a third
    assert _buy(loop, second).startswith("nothing to do")
