"""AliExpress's pure readers and mappings, offline: product references, the listing's SKU text,
the ship-to for the address form, the shipping rule, money, and the order list and detail pages
saved from the replica (tests/scrapers/aliexpress_pages/). Tracking pages are golden pairs in
tests/scrapers/fixtures/aliexpress/ (test_golden_fixtures.py)."""

from decimal import Decimal
from pathlib import Path

import pytest

from autoorder.scrapers import aliexpress_pages as pages
from autoorder.scrapers import shipping
from autoorder.scrapers.aliexpress import DEFAULT, AliexpressAdapter, order_fits
from autoorder.scrapers.base import (
    Address,
    AddressRejectedError,
    PageChangedError,
    PurchaseRequest,
    VariantNotOfferedError,
)

PAGES = Path(__file__).parent / "aliexpress_pages"
BASE = "http://127.0.0.1:8803"
ITEM = "1005001234567890"


@pytest.mark.parametrize(
    "text",
    [
        (
            f"https://www.aliexpress.com/item/{ITEM}.html"
            "?spm=a2g0o.order_list.0.0&gatewayAdapt=glo2usa"
        ),
        f"https://aliexpress.us/item/{ITEM}.html",
        f"https://es.aliexpress.com/item/{ITEM}.html?pdp_npi=4%40dis",
        f"https://m.aliexpress.com/item/{ITEM}.html#reviews",
        f"https://www.aliexpress.com/item/Phone-case-black/{ITEM}.html",
        f"https://m.aliexpress.us/i/{ITEM}.html",
        f"https://www.aliexpress.com/p/trade/confirm.html?objectId={ITEM}&skuId=1",
        f"aliexpress.com/item/{ITEM}.html",
        ITEM,
        f"  {ITEM} ",
        f"{BASE}/item/{ITEM}.html",
    ],
)
def test_a_pasted_url_or_item_id_is_the_item_page_on_the_base(text):
    assert AliexpressAdapter.product_ref(text, BASE) == f"{BASE}/item/{ITEM}.html"


@pytest.mark.parametrize(
    "text",
    [
        "https://www.amazon.com/dp/B0CHX1W1XY",
        f"https://evil.example/item/{ITEM}.html",
        "https://www.aliexpress.com/store/1101",
        "B0CHX1W1XY",
        "123",
        "",
    ],
)
def test_anything_else_is_not_an_aliexpress_product(text):
    assert AliexpressAdapter.product_ref(text, BASE) is None


def test_the_listing_form_maps_and_refuses_through_the_registry():
    from autoorder.scrapers import ADAPTERS

    assert ADAPTERS["aliexpress"] is AliexpressAdapter
    assert {"aliexpress.com", "aliexpress.us"} <= set(AliexpressAdapter.hosts)


ROWS = [
    {
        "name": "Color",
        "options": [
            {"col": "14-193", "value": "Black", "sold_out": False},
            {"col": "14-29", "value": "Clear", "sold_out": False},
        ],
    },
    {
        "name": "Ships From",
        "options": [
            {"col": "200007763-201336100", "value": "China", "sold_out": False},
            {"col": "200007763-201336106", "value": "United States", "sold_out": False},
        ],
    },
]


@pytest.mark.parametrize(
    "variant,cols",
    [
        ("Color: Black, Ships From: United States", ["14-193", "200007763-201336106"]),
        ("ships from: china; color: clear", ["14-29", "200007763-201336100"]),
        ("Black / United States", ["14-193", "200007763-201336106"]),
    ],
)
def test_the_listing_variant_picks_one_option_per_row(variant, cols):
    assert pages.choose_options(ROWS, pages.parse_variant(variant)) == cols


@pytest.mark.parametrize(
    "variant,said",
    [
        ("Color: Purple, Ships From: China", "Color 'Purple' is not offered (Black, Clear)"),
        ("Color: Black", "does not say which Ships From"),
        ("Size: L, Color: Black, Ships From: China", "no option size"),
        ("Black", "names 1 values but the product has 2"),
    ],
)
def test_a_variant_the_page_does_not_offer_says_what_is_offered(variant, said):
    with pytest.raises(VariantNotOfferedError) as caught:
        pages.choose_options(ROWS, pages.parse_variant(variant))
    assert said in caught.value.message and caught.value.code == "variant_not_offered"
    assert not caught.value.may_have_bought


def test_a_single_choice_row_needs_no_value():
    rows = [dict(ROWS[0]), {"name": "Ships From", "options": [ROWS[1]["options"][0]]}]
    assert pages.choose_options(rows, pages.parse_variant("Color: Clear")) == [
        "14-29",
        "200007763-201336100",
    ]


def _address(**kw):
    values = dict(
        name="Jane Q Buyer",
        line1="12 Oak St",
        line2="Apt 4",
        city="Austin",
        state="TX",
        postal_code="787011234",
        country="US",
        phone="+1 (512) 555-0100",
    )
    return Address(**(values | kw))


def test_an_ebay_address_becomes_aliexpress_form_values():
    form = pages.address_form(_address())
    assert form == {
        "Country/region": "US",
        "First name": "Jane Q",
        "Last name": "Buyer",
        "Country code": "+1",
        "Mobile number": "5125550100",
        "Street": "12 Oak St",
        "Apt, suite, unit": "Apt 4",
        "State/Province": "Texas",
        "City": "Austin",
        "ZIP": "78701-1234",
    }


def test_a_long_street_moves_its_overflow_to_the_second_line():
    form = pages.address_form(_address(line1="1234 North Really Long Boulevard Suite 500"))
    assert form["Street"] == "1234 North Really Long Boulevard"
    assert form["Apt, suite, unit"] == "Suite 500 Apt 4"
    assert len(form["Street"]) <= 35


@pytest.mark.parametrize(
    "change,said",
    [
        ({"postal_code": ""}, "not a US ZIP code"),
        ({"state": "Texsas"}, "not a US state"),
        ({"name": "Cher"}, "first and a last name"),
        ({"phone": "555-0100"}, "10-digit US phone"),
        ({"line1": "x" * 60}, "no space to split"),
        ({"country": "BR"}, "does not ship to country"),
        ({"country": "DE", "postal_code": "", "state": ""}, "has no postal code"),
    ],
)
def test_an_address_aliexpress_would_refuse_is_refused_before_typing(change, said):
    with pytest.raises(AddressRejectedError) as caught:
        pages.address_form(_address(**change))
    assert said in caught.value.message and not caught.value.may_have_bought


OPTIONS = [
    shipping.ShippingOption("Cainiao Super Economy Global", Decimal("0.00"), 28),
    shipping.ShippingOption("AliExpress Standard Shipping", Decimal("1.99"), 12),
    shipping.ShippingOption("AliExpress Premium Shipping", Decimal("7.49"), 6),
]


@pytest.mark.parametrize(
    "rule,name",
    [
        (None, "Cainiao Super Economy Global"),
        ("cheapest", "Cainiao Super Economy Global"),
        ("fastest", "AliExpress Premium Shipping"),
        ("fastest under 5.00", "AliExpress Standard Shipping"),
        ("Fastest <= $8", "AliExpress Premium Shipping"),
        ("method: aliexpress standard  shipping", "AliExpress Standard Shipping"),
    ],
)
def test_the_shipping_rule_chooses(rule, name):
    assert shipping.choose(OPTIONS, shipping.parse_rule(rule)).name == name


def test_a_shipping_rule_nothing_fits_says_why():
    with pytest.raises(LookupError, match="costs 0.50 or less"):
        shipping.choose(OPTIONS[1:], shipping.parse_rule("fastest under 0.50"))
    with pytest.raises(LookupError, match="'DHL' is not offered"):
        shipping.choose(OPTIONS, shipping.parse_rule("method: DHL"))
    with pytest.raises(ValueError, match="cheapest"):
        shipping.parse_rule("the nice one")
    assert str(shipping.parse_rule("fastest<=5")) == "fastest under 5"


@pytest.mark.parametrize(
    "text,amount",
    [("US $1,234.56", "1234.56"), ("Free shipping", "0.00"), ("Total:US $7.12", "7.12")],
)
def test_money(text, amount):
    assert pages.money(text) == Decimal(amount)


def test_money_that_is_not_one_is_a_changed_page():
    with pytest.raises(PageChangedError):
        pages.money("see price in app")


def test_the_order_list_reads_each_card():
    cards = pages.parse_order_list((PAGES / "order_list.html").read_text(), DEFAULT)
    assert len(cards) == 6
    assert all(len(c["number"]) == 16 and c["date"] for c in cards)
    assert {c["status"] for c in cards} >= {"Awaiting shipment", "Closed", "Completed"}


def test_the_order_detail_reads_lines_ship_to_total_and_time():
    detail = pages.parse_detail((PAGES / "order_detail_two_lines.html").read_text(), DEFAULT)
    assert detail["lines"] == [
        ("1005006539912877 Color: White, Size: M", 1),
        ("1005006539912877 Color: Black, Size: L", 2),
    ]
    assert (detail["ship_name"], detail["ship_postal"]) == ("Jane Buyer", "78701")
    assert detail["total"] > 0 and detail["placed_at"].tzinfo is not None


def test_an_order_detail_fits_the_request_only_exactly():
    detail = pages.parse_detail((PAGES / "order_detail.html").read_text(), DEFAULT)
    ship = Address("Jane Buyer", "12 Oak St", "", "Austin", "TX", "78701", "US")
    url = f"{BASE}/item/1005007182736451.html"
    item = "1005007182736451"

    def fits(variant, quantity=1, ship_to=ship):
        request = PurchaseRequest(url, variant, quantity, ship_to, "AO-1", None)
        return order_fits(detail, request, item, pages.parse_variant(variant))

    assert fits("Color: Black, Ships From: United States")
    assert fits("Black / United States")
    assert not fits("Color: Black, Ships From: China")
    assert not fits("Color: Black, Ships From: United States", quantity=2)
    assert fits("Color: Black") and not fits("Color: Black", ship_to=_address(name="Al Bo"))


def test_a_changed_detail_page_is_page_changed():
    html = (PAGES / "order_detail.html").read_text().replace("item-price", "price-v2")
    with pytest.raises(PageChangedError):
        pages.parse_detail(html, DEFAULT)
