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

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_stand import BUYER, CHROMIUM, Stand, machine, median, percentile, verdict  # noqa: E402

from autoorder import credits  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.jobs.ordering import place_order  # noqa: E402
from autoorder.models import CreditPackage, Order, OrderBot  # noqa: E402
from autoorder.scrapers.browser import DEFAULT_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, POOL  # noqa: E402
from sandbox.aliexpress.testing import start_aliexpress  # noqa: E402
from tests.factories import make_bot, make_listing, make_supplier, make_user  # noqa: E402

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
    context = POOL.browser(CHROMIUM).new_context(
        storage_state=state, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
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
    finally:
        context.close()


def setup(stand: Stand, ali) -> None:
    from autoorder.demo import connect_emulator_account

    with stand.app.app_context():
        user = make_user(role="admin")
        stand.team_id = user.team_id
        supplier = make_supplier(key="aliexpress", name="AliExpress", base_url=ali.url)
        bot = make_bot(
            user.team,
            supplier,
            name="ali",
            account_email="buyer@ali.test",
            password="ali-password",
            payment_method="card",
        )
        stand.bot_id = bot.id
        make_listing(
            user.team,
            bot,
            ebay_item_id=ITEM["legacyItemId"],
            sku=ITEM["sku"],
            supplier_product_url=f"{ali.url}/item/{CASE}.html",
            supplier_variant="Color: Black, Ships From: United States",
            shipping_rule="cheapest",
            max_buy_price=Decimal("15.00"),
        )
        package = CreditPackage(name="bench credits", credits=1000, price=Decimal("1.00"))
        db.session.add(package)
        db.session.flush()
        credits.record_package_purchase(stand.team_id, package, actor="bench")
        db.session.commit()
        stand.account_id = connect_emulator_account(stand.team_id, "seller").id


def sell(stand: Stand, n: int) -> list[int]:
    from autoorder.jobs.sales import poll_ebay_account

    for _ in range(n):
        stand.ebay.control("POST", "/sandbox/orders", dict(ITEM) | {"quantity": 1, "buyer": BUYER})
    with stand.app.app_context():
        before = set(stand.order_ids())
        poll_ebay_account(stand.account_id)
        new = [i for i in stand.order_ids() if i not in before]
    assert len(new) == n, f"poll created {len(new)} sales, expected {n}"
    return new


def main():
    print(f"== AliExpress: one order, full job vs bare Playwright on the replica  ({machine()})")
    with Stand("order-one-aliexpress") as stand:
        ali = start_aliexpress(seed=11, log_path=stand.tmp / "aliexpress.log")
        try:
            ali.control("POST", f"/sandbox/items/{CASE}/stock", {"stock": 1_000_000})
            setup(stand, ali)
            ids = sell(stand, 1 + PAIRS)
            stand.flush_redis()
            stand.make_due(ids)
            app, counter = stand.app, iter(range(1, 10_000))

            def subject(order_id):
                started = time.perf_counter()
                with app.app_context():
                    result = place_order(order_id)
                    db.session.remove()
                assert result.startswith("succeeded"), f"order {order_id}: {result}"
                return time.perf_counter() - started

            def saved_state():
                with app.app_context():
                    state = json.loads(db.session.get(OrderBot, stand.bot_id).browser_state)
                    db.session.remove()
                return state

            def baseline(state):
                started = time.perf_counter()
                bare_playwright_order(ali.url, state, f"BASE-{next(counter)}")
                return time.perf_counter() - started

            first = subject(ids[0])
            baseline(saved_state())
            print(f"  warm-up order (Chromium launch + sign-in): {first * 1000:.0f} ms")
            subject_s, baseline_s = [], []
            for n, order_id in enumerate(ids[1:]):
                state = saved_state()
                if n % 2 == 0:
                    subject_s.append(subject(order_id))
                    baseline_s.append(baseline(state))
                else:
                    baseline_s.append(baseline(state))
                    subject_s.append(subject(order_id))
            sub, base = median(subject_s) * 1000, median(baseline_s) * 1000
            ratio = sub / base
            print(
                f"  one order ({PAIRS} interleaved pairs): subject median {sub:.0f} ms (p90 "
                f"{percentile(subject_s, 90) * 1000:.0f}), baseline median {base:.0f} ms (p90 "
                f"{percentile(baseline_s, 90) * 1000:.0f}), ratio {ratio:.2f}x  target ≤ "
                f"{TARGET_RATIO}x  {verdict(ratio <= TARGET_RATIO)}"
            )
            with app.app_context():  # every subject order bought exactly once
                bought = db.session.query(Order).filter(Order.status == "succeeded").count()
            placed = ali.control("GET", "/sandbox/orders")["orders"]
            assert bought == 1 + PAIRS, bought
            assert len(placed) == 2 + 2 * PAIRS, len(placed)  # + the baseline's orders
        finally:
            ali.stop()


if __name__ == "__main__":
    main()
