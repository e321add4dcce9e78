"""Fault injection seen through real Chromium: out of stock, price raise, upsell, alternate layout,
flaky, slow."""

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_out_of_stock(ui, page, shop):
    shop.control("POST", "/sandbox/faults", {"name": "out_of_stock", "products": ["phone-case"]})
    ui.open_product("phone-case", color="Black")
    assert page.input_value("#variant-id") == "PC-BLK"
    expect(page.locator("#stock-status")).to_have_text("Out of stock")
    expect(page.locator("#add-to-cart")).to_be_disabled()
    # seeded sold-out variant, no fault needed
    shop.control("DELETE", "/sandbox/faults")
    ui.open_product("cotton-tshirt", color="White", size="XL")
    expect(page.locator("#stock-status")).to_have_text("Out of stock")
    expect(page.locator("#add-to-cart")).to_be_disabled()
    page.click('button.variant-option[data-option="size"][data-value="L"]')
    expect(page.locator("#add-to-cart")).to_be_enabled()


def test_price_raise_visible_on_review(ui, page, shop):
    ui.login()
    ui.add_to_cart("led-desk-lamp", 1)
    shop.control("POST", "/sandbox/faults", {"name": "price_raise", "factor": 1.5})
    ui.fill_address()
    ui.pay_card()
    page.wait_for_url("**/checkout/review")
    expect(page.locator("#price-change-notice")).to_be_visible()
    expect(page.locator("#review-item-0-unit-price")).to_have_attribute(
        "data-amount", "37.35"
    )  # 24.90 * 1.5
    expect(page.locator("#review-item-0-unit-price .line-was-price")).to_have_text("$24.90")
    number = ui.place()
    assert shop.control("GET", f"/sandbox/orders/{number}")["item_price"] == "37.35"


def test_upsell_interstitial(ui, page, shop):
    shop.control("POST", "/sandbox/faults", {"name": "upsell"})
    ui.login()
    ui.add_to_cart("phone-case", 1, color="Clear")
    ui.fill_address()
    ui.pay_card()
    page.wait_for_url("**/checkout/upsell")
    expect(page.locator("#upsell-title")).to_have_text("Add a protection plan?")
    page.click("#upsell-decline")
    page.wait_for_url("**/checkout/review")
    expect(page.locator("#review-protection")).to_have_count(0)
    number = ui.place()
    assert shop.control("GET", f"/sandbox/orders/{number}")["protection_plan"] == "0.00"


def test_alternate_layout_breaks_standard_selectors(ui, page, shop):
    shop.control(
        "POST", "/sandbox/faults", {"name": "alternate_layout", "products": ["cotton-tshirt"]}
    )
    ui.login()
    ui.open_product("cotton-tshirt")
    assert page.get_attribute("body", "data-layout") == "alt"
    expect(page.locator("#add-to-cart")).to_have_count(0)
    expect(page.locator("#buy-btn-v2")).to_have_text("Add to bag")
    with pytest.raises(
        PlaywrightError
    ):  # a bot written against the standard contract fails fast and cleanly
        page.click('button.variant-option[data-option="color"][data-value="Black"]', timeout=1000)
    page.click('.opt-chip[data-k="color"][data-v="Black"]')
    page.click('.opt-chip[data-k="size"][data-v="M"]')
    assert page.input_value("#sku-input") == "TS-BLK-M"
    page.click("#buy-btn-v2")
    page.wait_for_url("**/cart")
    page.goto("/checkout/address")
    expect(page.locator("#ship-full-name")).to_have_count(0)
    expect(page.locator("#addr-recipient")).to_be_visible()
    # the lamp alone uses the standard layout
    ui.open_product("led-desk-lamp")
    expect(page.locator("#add-to-cart")).to_be_enabled()


def test_flaky_checkout_step_can_be_retried(ui, page, shop):
    ui.login()
    ui.add_to_cart("led-desk-lamp", 1)
    shop.control("POST", "/sandbox/faults", {"name": "flaky", "every": 2})
    page.goto("/checkout/address")  # 1st checkout request: fine
    expect(page.locator("#address-form")).to_be_visible()
    response = page.goto("/checkout/address")  # 2nd: fails
    assert response.status == 500
    expect(page.locator("#error-message")).to_have_text("Something went wrong, please try again.")
    page.click("#retry-link")  # 3rd: fine again
    expect(page.locator("#address-form")).to_be_visible()


def test_slow_pages(page, shop):
    shop.control(
        "POST", "/sandbox/faults", {"name": "slow", "delay": 1.0, "products": ["yoga-mat"]}
    )
    start = time.monotonic()
    page.goto("/products/yoga-mat")
    assert time.monotonic() - start >= 1.0
    expect(page.locator("#product-title")).to_contain_text("Yoga Mat")
