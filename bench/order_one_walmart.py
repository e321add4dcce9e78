"""Benchmark: one Walmart order through the full job vs a bare Playwright script, on the replica.

    .venv/bin/python bench/order_one_walmart.py          # BENCH_PAIRS=8 by default

Subject: ``autoorder.jobs.ordering.place_order(order_id)`` in-process on a Walmart bot pointed at
the Walmart replica (sandbox/walmart): DB claim, pre-buy eBay check against the emulator, attempt
records, the adapter's sign-in check, cart check, product (item id, page data, quantity), cart,
checkout (the address from the book, the delivery rule, the saved card with its security code
again), review totals, guard, one click, thank-you, the order's JSON read to check what was
placed, evidence screenshots, credit spent, tracking scheduled.
Baseline: a bare Playwright script on the same pooled browser doing the same page steps the
shortest way: new context from the same storage state, order history (signed in?), product
(its page data), quantity, add to cart, checkout, the saved address, the delivery option, the saved
card + CVV, review (totals + full-page screenshot), place, thank-you (number + full-page
screenshot), the order's JSON. No DB, no eBay. Both run interleaved (ABBA) after one warm-up order
each (browser launch + first sign-in + the address and card saved). Target: median ratio ≤ 1.15x.
The pairing, timing and report are bench/_order_one.py's, shared with the other suppliers.
"""

import json
import os
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_one import Breakdown, bare_context, replica_order  # noqa: E402

from sandbox.walmart.testing import start_walmart  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", 8))
TARGET_RATIO = 1.15
EMAIL, PASSWORD, CARD, CVV = "bench@replica.test", "bench-pass", "4111111111111111", "123"
ITEM_ID = "123456789"
ORDER_JSON = "/orchestra/orders/graphql/getOrder/bench?variables="


def bare_playwright_order(url: str, state: dict, note: str) -> str:
    """The same page steps on the replica, written the shortest way Playwright allows (Walmart's
    checkout takes no note)."""
    with bare_context(state) as context:
        page = context.new_page()
        page.goto(url + "/orders")
        page.wait_for_selector("[data-automation-id=purchase-history]", state="attached")
        page.goto(f"{url}/ip/{ITEM_ID}")
        data = json.loads(page.inner_text("script#__NEXT_DATA__"))
        assert data["props"]["pageProps"]["initialData"]["data"]["product"]["usItemId"] == ITEM_ID
        page.select_option("select[aria-label=Quantity]", "1")
        with page.expect_navigation():
            page.click("button[data-automation-id=atc]")
        with page.expect_navigation():
            page.click("button[data-automation-id=checkout]")
        page.check("[data-automation-id=address-card] input")
        with page.expect_navigation():
            page.click("[data-automation-id=address-book-continue-btn]")
        page.check("[data-automation-id=fulfillment-option] input")
        with page.expect_navigation():
            page.click("button[data-automation-id=shipping-continue-btn]")
        page.check("[data-automation-id=payment-card][data-last4='1111'] input")
        page.fill("[data-automation-id=cvv-verify-input]", CVV)
        with page.expect_navigation():
            page.click("[data-automation-id=payment-continue-btn]")
        total = page.inner_text("[data-automation-id=order-summary-total]")
        review_png = page.screenshot(full_page=True)
        with page.expect_navigation():
            page.click("button[data-automation-id=place-order-btn]")
        number = page.inner_text("[data-automation-id=order-confirmation-number]")
        confirmation_png = page.screenshot(full_page=True)
        order_id = number.replace("-", "")
        answer = page.request.get(url + ORDER_JSON + json.dumps({"orderId": order_id})).json()
        assert "$" in total and len(review_png) > 1000 and len(confirmation_png) > 1000
        assert answer["data"]["order"]["displayId"] == number
        return number


def breakdown() -> Breakdown:
    """Wall time per adapter step of the subject."""
    from autoorder.scrapers.walmart import WalmartAdapter

    parts = Breakdown()
    for name in ("login", "empty_cart", "add_to_cart", "checkout", "read_review"):
        parts.time(WalmartAdapter, name)
    for name in ("click_place_order", "read_confirmation"):
        parts.time(WalmartAdapter, name)
    return parts


def setup_walmart_team(stand, walmart) -> None:
    walmart.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD})
    walmart.control(
        "POST",
        "/sandbox/products",
        {"item_id": ITEM_ID, "title": "Bench bottle", "price": "14.97", "stock": 100000},
    )
    stand.setup_supplier_team(
        supplier_key="walmart",
        supplier_name="Walmart",
        base_url=walmart.url,
        bot={"name": "walmart", "account_email": EMAIL, "password": PASSWORD, "card": CARD},
        product_url=f"{walmart.url}/ip/{ITEM_ID}",
        max_buy_price=Decimal("60.00"),
    )


def main():
    replica_order(
        "Walmart",
        start_walmart,
        "walmart",
        seed=3,
        setup=setup_walmart_team,
        bare=bare_playwright_order,
        pairs=PAIRS,
        target=TARGET_RATIO,
        warm_up="Chromium launch + sign-in + address and card saved",
        breakdown=breakdown,
    )


if __name__ == "__main__":
    main()
