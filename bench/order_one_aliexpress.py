"""Benchmark: one AliExpress order through the job vs a bare Playwright script, on the replica.

    .venv/bin/python bench/order_one_aliexpress.py      # BENCH_PAIRS=8 by default

Subject: ``autoorder.jobs.ordering.place_order(order_id)`` in-process for a sale mapped to an
AliExpress listing (``Color: Black, Ships From: United States``, shipping rule "cheapest"): DB
claim, pre-buy eBay check against the emulator, attempt records, the AliexpressAdapter on the
checkout skeleton in the pooled Chromium with the bot's saved session, evidence, credit, tracking
scheduled.
Baseline: a bare Playwright script on the same pooled browser doing the same page steps on the
replica (``sandbox/aliexpress``): new context from the same storage state, order list (signed
in?), cart (empty?), item page, the two SKU options, quantity, add to cart, cart, checkout, the
address drawer (ten fields) and save, the cheapest shipping method, card, seller note, full-page
screenshot, place order, pay result, order detail, full-page screenshot. No DB, no eBay, no
checks of what the pages say.
Both run interleaved (ABBA) after one warm-up order each. Target: median ratio ≤ 1.15x.
"""

import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_one import bare_context, replica_order  # noqa: E402
from _order_stand import Stand  # noqa: E402

from sandbox.aliexpress.testing import start_aliexpress  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", 8))
TARGET_RATIO = 1.15
CASE = "1005007182736451"
ITEM = {"sku": "ALI-CASE", "legacyItemId": "325400300001", "title": "Case", "price": "16.99"}
ADDRESS = {
    "First name": "Jane",
    "Last name": "Buyer",
    "Mobile number": "5125550100",
    "Street": "12 Oak St",
    "Apt, suite, unit": "Apt 4",
    "State/Province": "Texas",
    "City": "Austin",
    "ZIP": "78701",
}


def bare_playwright_order(url: str, state: dict, note: str) -> str:
    """The same page steps on the replica, written the shortest way Playwright allows."""
    with bare_context(state) as context:
        page = context.new_page()
        page.goto(url + "/p/order/index.html")
        page.wait_for_selector(".order-item, .order-empty", state="attached")
        page.goto(url + "/p/shoppingcart/index.html")
        page.wait_for_selector(".cart-empty, .cart-product", state="attached")
        page.goto(f"{url}/item/{CASE}.html")
        page.click("[data-sku-col='14-193']")
        page.click("[data-sku-col='200007763-201336106']")
        page.fill("input.comet-v2-input-number-input", "1")
        with page.expect_navigation():
            page.click("button[class*=add-to-cart--addtocart]")
        page.goto(url + "/p/shoppingcart/index.html")
        with page.expect_navigation():
            page.click(".cart-summary-button")
        page.click(".pl-address-item__arrrow a, .pl-address-item__new-btn-wrap button")
        if not page.locator(".deliver-address-form").is_visible():
            page.click("button.add-address")
        for label, value in ADDRESS.items():
            page.locator(".mt-form-item", has_text=label).locator("input").first.fill(value)
        with page.expect_navigation():
            page.click("button.form-button-confirm")
        page.locator("label.pl-logistics-option").first.click()  # the cheapest is listed first
        with page.expect_navigation():
            page.click(".pl-logistics-apply")
        page.check(".pay-channel-card input")
        page.fill("input[name=cardNo]", "4242424242424242")
        page.fill("input[name=expiryDate]", "12/30")
        page.fill("input[name=cvv]", "123")
        page.fill("input[name=cardHolder]", "Pat Seller")
        page.fill("textarea.pl-seller-message", note)
        review_png = page.screenshot(full_page=True)
        with page.expect_navigation():
            page.click("button.place-order-primary-btn")
        href = page.get_attribute(".pay-result-success a[href*='orderId=']", "href")
        number = href.split("orderId=")[1]
        page.goto(f"{url}/p/order/detail.html?orderId={number}")
        page.wait_for_selector(".order-detail-item-content-wrap", state="attached")
        confirmation_png = page.screenshot(full_page=True)
        assert len(review_png) > 1000 and len(confirmation_png) > 1000
        return number


def setup(stand: Stand, ali) -> None:
    ali.control("POST", f"/sandbox/items/{CASE}/stock", {"stock": 1_000_000})
    stand.setup_supplier_team(
        supplier_key="aliexpress",
        supplier_name="AliExpress",
        base_url=ali.url,
        bot={
            "name": "ali",
            "account_email": "buyer@ali.test",
            "password": "ali-password",
            "payment_method": "card",
        },
        product_url=f"{ali.url}/item/{CASE}.html",
        item=ITEM,
        supplier_variant="Color: Black, Ships From: United States",
        shipping_rule="cheapest",
        max_buy_price=Decimal("15.00"),
    )


def main():
    replica_order(
        "AliExpress",
        start_aliexpress,
        "aliexpress",
        seed=11,
        setup=setup,
        bare=bare_playwright_order,
        pairs=PAIRS,
        target=TARGET_RATIO,
        item=ITEM,
    )


if __name__ == "__main__":
    main()
