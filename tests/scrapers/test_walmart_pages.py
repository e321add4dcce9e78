"""Walmart's pure readers (autoorder.scrapers.walmart_pages) on the replica's golden pages and
on what a seller pastes: product references, the purchase history and order data, shipments as
packages, the seller rule, the variant's own item, the ship-to for Walmart's address form."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from autoorder.scrapers import base as b
from autoorder.scrapers import walmart_pages as pages
from autoorder.scrapers.selectors import Selectors
from autoorder.scrapers.walmart import SELECTORS, WalmartAdapter

FIXTURES = Path(__file__).parent / "fixtures" / "walmart"
S = Selectors(SELECTORS)
BASE = "http://127.0.0.1:8805"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("https://www.walmart.com/ip/Super-Mario-Odyssey-Nintendo-Switch/56011600", "56011600"),
        (
            "https://www.walmart.com/ip/Apple-AirPods/1752657021?athbdg=L1600&from=/search",
            "1752657021",
        ),
        ("walmart.com/ip/56011600", "56011600"),
        ("www.walmart.com/ip/seort/123456789/", "123456789"),
        ("https://m.walmart.com/ip/x/56011600#about", "56011600"),
        ("  56011600 ", "56011600"),
        ("https://www.walmart.com/search?q=mario", None),
        ("https://www.walmart.com/browse/toys/4171", None),
        ("1234", None),
        ("", None),
    ],
)
def test_item_ids_from_what_a_seller_pastes(text, expected):
    assert pages.item_id_of(text) == expected


def test_product_ref_keeps_walmart_urls_on_the_supplier_and_refuses_short_links():
    ref = WalmartAdapter.product_ref
    assert ref("https://www.walmart.com/ip/x/56011600?from=y", BASE) == f"{BASE}/ip/56011600"
    assert ref("56011600", BASE + "/") == f"{BASE}/ip/56011600"
    assert ref(f"{BASE}/ip/slug/56011600", BASE) == f"{BASE}/ip/56011600"  # the replica's own
    assert ref("https://www.amazon.com/dp/B0CHX1W1XY", BASE) is None
    assert ref("https://evil.example/ip/x/56011600", BASE) is None
    with pytest.raises(ValueError, match="not a Walmart item page"):
        ref("https://www.walmart.com/search?q=mario", BASE)
    with pytest.raises(ValueError, match="short link"):
        ref("https://walmrt.us/3xYz", BASE)


def test_the_purchase_history_and_an_order():
    history = pages.read_history((FIXTURES / "history" / "orders.html").read_text(), S)
    assert len(history) == 6 and all(o.placed_at is not None for o in history)
    assert {o.status for o in history} == {"processing", "shipped", "delivered", "cancelled"}
    order = pages.read_order_page((FIXTURES / "split_delivered_and_returned.html").read_text(), S)
    assert order.lines == (("700000102", 3),) and order.groups == 3
    assert (order.ship_name, order.ship_postal) == ("Sam Example", "72712")
    assert order.total is not None and order.total > 0
    assert "Sam" not in repr(order) and order.number not in repr(order)  # no personal data
    api = json.loads((FIXTURES / "get_order_json_delivered.html").read_text())
    same = pages.read_order(api["data"]["order"])
    assert (
        same.lines == (("5577001", 2),)
        and pages.order_id(same.number) == api["data"]["order"]["id"]
    )


@pytest.mark.parametrize(
    "page",
    ["<html><body>no data</body></html>", '<script id="__NEXT_DATA__">{not json</script>', "{}"],
)
def test_a_page_without_order_data_is_a_changed_page(page):
    with pytest.raises(b.PageChangedError):
        pages.read_order_page(page, S)


@pytest.mark.parametrize(
    "status_type,state",
    [
        ("PROCESSING", "processing"),
        ("ORDER_RECEIVED", "processing"),
        ("SHIPPED", "shipped"),
        ("IN_TRANSIT", "shipped"),
        ("OUT_FOR_DELIVERY", "shipped"),
        ("DELIVERED", "delivered"),
        ("CANCELED", "cancelled"),
        ("RETURN_INITIATED", "returned"),
        ("", "unknown"),
    ],
)
def test_group_status(status_type, state):
    assert pages.group_status(status_type) == state


def test_the_seller_rule_in_the_variant_text():
    rest, seller = pages.split_seller([("Color", "Navy"), ("Sold by", "Walmart")])
    assert rest == [("Color", "Navy")] and seller == "Walmart"
    assert pages.seller_fits("Walmart", "Walmart.com")
    assert not pages.seller_fits("Walmart", "GadgetDeals LLC")
    assert pages.seller_fits("GadgetDeals LLC", "gadgetdeals  llc")
    assert pages.seller_fits(None, "Anyone") and pages.seller_fits("any", "Anyone")


def test_the_variant_is_an_item_of_its_own():
    product = {
        "variantCriteria": [
            {"name": "Color", "variantList": [{"id": "color-black", "name": "Black"}]},
            {
                "name": "Size",
                "variantList": [{"id": "size-m", "name": "M"}, {"id": "size-l", "name": "L"}],
            },
        ],
        "variantsMap": {
            "1": {"usItemId": "700000101", "variants": ["color-black", "size-m"]},
            "2": {"usItemId": "700000102", "variants": ["size-l", "color-black"]},
        },
    }
    assert [r["name"] for r in pages.variant_rows(product)] == ["Color", "Size"]
    assert pages.variant_item(product, ["color-black", "size-l"]) == "700000102"
    assert pages.variant_item(product, ["color-black"]) is None


def test_the_ship_to_for_walmarts_address_form():
    to = b.Address(
        "Mary Ann Smith",
        " 1 Main  St ",
        "Apt 2",
        "Bentonville",
        "ar",
        "727121234",
        "US",
        "+1 (479) 555-0100",
    )
    assert pages.address_form(to) == {
        "firstName": "Mary Ann",
        "lastName": "Smith",
        "addressLineOne": "1 Main St",
        "addressLineTwo": "Apt 2",
        "city": "Bentonville",
        "state": "AR",
        "postalCode": "72712-1234",
        "phone": "4795550100",
    }
    for change, words in (
        ({"country": "CA"}, "US addresses"),
        ({"name": "Cher"}, "last name"),
        ({"postal_code": "7271"}, "ZIP"),
    ):
        with pytest.raises(b.AddressRejectedError, match=words):
            pages.address_form(b.Address(**{**to.__dict__, **change}))


@pytest.mark.parametrize(
    "text,amount",
    [
        ("Subtotal $1,029.94", "1029.94"),
        ("Shipping Free", "0.00"),
        (8.5, "8.50"),
        ("-$3.00", "3.00"),
    ],
)
def test_money(text, amount):
    assert pages.money(text) == Decimal(amount)
    with pytest.raises(b.PageChangedError):
        pages.money("Subtotal —")
