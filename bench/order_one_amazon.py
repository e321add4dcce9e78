"""Benchmark: one Amazon order through the full job vs a bare Playwright script, on the replica.

    .venv/bin/python bench/order_one_amazon.py          # BENCH_PAIRS=8 by default

Subject: ``autoorder.jobs.ordering.place_order(order_id)`` in-process on an Amazon bot pointed at
the Amazon replica (sandbox/amazon): DB claim, pre-buy eBay check against the emulator, attempt
records, the adapter's sign-in check, cart check, product (ASIN, quantity), cart, address, payment
(the saved card), review totals, guard, one click, thank-you, the order's details page read to check
what was placed, evidence screenshots, credit spent, tracking scheduled.
Baseline: a bare Playwright script on the same pooled browser doing the same page steps the
shortest way: new context from the same storage state, order history (signed in?), product,
quantity, add to cart, cart, proceed, address, saved card, review (totals + full-page screenshot),
place, thank-you (number + full-page screenshot), the order's details page. No DB, no eBay.
Both run interleaved (ABBA) after one warm-up order each (browser launch + first sign-in).
Target: median subject/baseline ≤ 1.15x.
"""

import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_one import Breakdown, bare_context, replica_order  # noqa: E402
from _order_stand import BUYER  # noqa: E402

from sandbox.amazon.testing import start_amazon  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", 8))
TARGET_RATIO = 1.15
EMAIL, PASSWORD, CARD = "bench@replica.test", "bench-pass", "4111111111111111"
ASIN = "B0CHX1W1XY"
ADDRESS = {
    "address-ui-widgets-enterAddressFullName": BUYER["name"],
    "address-ui-widgets-enterAddressPhoneNumber": BUYER["phone"],
    "address-ui-widgets-enterAddressLine1": BUYER["address"]["addressLine1"],
    "address-ui-widgets-enterAddressLine2": BUYER["address"]["addressLine2"],
    "address-ui-widgets-enterAddressCity": BUYER["address"]["city"],
    "address-ui-widgets-enterAddressStateOrRegion": BUYER["address"]["stateOrProvince"],
    "address-ui-widgets-enterAddressPostalCode": BUYER["address"]["postalCode"],
}


def bare_playwright_order(url: str, state: dict, note: str) -> str:
    """The same page steps on the replica, written the shortest way Playwright allows (the
    replica's checkout takes no note)."""
    with bare_context(state) as context:
        page = context.new_page()
        page.goto(url + "/your-orders/orders")
        page.wait_for_selector(".js-yo-container", state="attached")  # still signed in
        page.goto(f"{url}/dp/{ASIN}")
        page.select_option("select#quantity", "1")
        with page.expect_navigation():
            page.click("input#add-to-cart-button")
        page.goto(url + "/gp/cart/view.html")
        with page.expect_navigation():
            page.click("input[name='proceedToRetailCheckout']")
        for selector, value in ADDRESS.items():
            page.fill(f"#{selector}", value)
        page.select_option("#address-ui-widgets-countryCode", "US")
        with page.expect_navigation():
            page.click("input[aria-labelledby='address-ui-widgets-form-submit-button-announce']")
        page.check("input[name='ppw-instrumentRowSelection'][data-last4='1111']")
        with page.expect_navigation():
            page.click("input[name='ppw-widgetEvent:SetPaymentPlanSelectContinueEvent']")
        total = page.inner_text("#subtotals-marketplace-table")
        review_png = page.screenshot(full_page=True)
        with page.expect_navigation():
            page.click("input[name='placeYourOrder1']")
        number = page.inner_text("#widget-purchaseConfirmationDetails bdi")
        confirmation_png = page.screenshot(full_page=True)
        details = page.request.get(f"{url}/gp/your-account/order-details?orderID={number}").text()
        assert "Order total" in total and len(review_png) > 1000 and len(confirmation_png) > 1000
        assert number in details
        return number


def breakdown() -> Breakdown:
    """Wall time per part of the subject."""
    from autoorder import purchasing
    from autoorder.scrapers.amazon import AmazonAdapter

    parts = Breakdown()
    for owner, name in (
        (purchasing, "check_ebay_before_buying"),
        (purchasing, "complete"),
        (AmazonAdapter, "login"),
        (AmazonAdapter, "empty_cart"),
        (AmazonAdapter, "add_to_cart"),
        (AmazonAdapter, "checkout"),
        (AmazonAdapter, "read_review"),
        (AmazonAdapter, "click_place_order"),
        (AmazonAdapter, "read_confirmation"),
    ):
        parts.time(owner, name)
    return parts


def setup_amazon_team(stand, amazon) -> None:
    amazon.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD})
    amazon.control(
        "POST",
        "/sandbox/products",
        {"asin": ASIN, "title": "Bench bottle", "price": "19.99", "stock": 100000},
    )
    stand.setup_supplier_team(
        supplier_key="amazon",
        supplier_name="Amazon",
        base_url=amazon.url,
        bot={"name": "amazon", "account_email": EMAIL, "password": PASSWORD, "card": CARD},
        product_url=f"{amazon.url}/dp/{ASIN}",
        max_buy_price=Decimal("60.00"),
    )


def main():
    replica_order(
        "Amazon",
        start_amazon,
        "amazon",
        seed=3,
        setup=setup_amazon_team,
        bare=bare_playwright_order,
        pairs=PAIRS,
        target=TARGET_RATIO,
        warm_up="Chromium launch + sign-in + card added",
        breakdown=breakdown,
    )


if __name__ == "__main__":
    main()
