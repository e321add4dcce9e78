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

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_stand import (  # noqa: E402
    BUYER,
    CHROMIUM,
    ITEM,
    Stand,
    machine,
    median,
    percentile,
    verdict,
)

from autoorder import credits  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.jobs.ordering import place_order  # noqa: E402
from autoorder.models import CreditPackage, OrderBot  # noqa: E402
from autoorder.scrapers.browser import DEFAULT_TIMEOUT_MS, NAVIGATION_TIMEOUT_MS, POOL  # noqa: E402
from sandbox.amazon.testing import start_amazon  # noqa: E402
from tests.factories import make_bot, make_listing, make_supplier, make_user  # noqa: E402

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


def bare_playwright_order(url: str, state: dict) -> str:
    """The same page steps on the replica, written the shortest way Playwright allows."""
    context = POOL.browser(CHROMIUM).new_context(
        storage_state=state,
        viewport={"width": 1280, "height": 900},
        locale="en-US",
        timezone_id="UTC",
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
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
    finally:
        context.close()


class Breakdown:
    """Wall time per part of the subject (wrappers on module attributes; µs of overhead)."""

    def __init__(self):
        from autoorder import purchasing
        from autoorder.scrapers.amazon import AmazonAdapter

        self.totals: dict[str, float] = {}
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
            setattr(owner, name, self._wrap(getattr(owner, name), name))

    def _wrap(self, fn, part):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.totals[part] = self.totals.get(part, 0.0) + time.perf_counter() - started

        return timed

    def show(self, total: float, orders: int) -> str:
        parts = dict(self.totals, other=total - sum(self.totals.values()))
        return ", ".join(f"{k} {v / orders * 1000:.0f}" for k, v in parts.items())


def setup_amazon_team(stand, amazon) -> None:
    from autoorder.demo import connect_emulator_account

    amazon.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD})
    amazon.control(
        "POST",
        "/sandbox/products",
        {"asin": ASIN, "title": "Bench bottle", "price": "19.99", "stock": 100000},
    )
    with stand.app.app_context():
        user = make_user(role="admin")
        stand.team_id = user.team_id
        supplier = make_supplier(key="amazon", name="Amazon", base_url=amazon.url)
        bot = make_bot(
            user.team, supplier, name="amazon", account_email=EMAIL, password=PASSWORD, card=CARD
        )
        stand.bot_id = bot.id
        make_listing(
            user.team,
            bot,
            ebay_item_id=ITEM["legacyItemId"],
            sku=ITEM["sku"],
            supplier_product_url=f"{amazon.url}/dp/{ASIN}",
            max_buy_price=Decimal("60.00"),
        )
        package = CreditPackage(name="bench credits", credits=1000, price=Decimal("1.00"))
        db.session.add(package)
        db.session.flush()
        credits.record_package_purchase(stand.team_id, package, actor="bench")
        db.session.commit()
        stand.account_id = connect_emulator_account(stand.team_id, "seller").id


def main():
    print(f"== Amazon: one order, full job vs bare Playwright on the replica  ({machine()})")
    with Stand("order-one-amazon") as stand:
        amazon = start_amazon(seed=3, log_path=stand.tmp / "amazon.log")
        try:
            run(stand, amazon)
        finally:
            amazon.stop()


def run(stand, amazon):
    setup_amazon_team(stand, amazon)
    app = stand.app
    ids = stand.sell(1 + PAIRS)
    stand.flush_redis()
    stand.make_due(ids)

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
        bare_playwright_order(amazon.url, state)
        return time.perf_counter() - started

    first = subject(ids[0])  # Chromium launch + sign-in + the card added to the account
    baseline(saved_state())
    print(f"  warm-up order (Chromium launch + sign-in + card added): {first * 1000:.0f} ms")
    breakdown = Breakdown()
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
        f"{percentile(baseline_s, 90) * 1000:.0f}), ratio {ratio:.2f}x  target ≤ {TARGET_RATIO}x  "
        f"{verdict(ratio <= TARGET_RATIO)}"
    )
    print(f"    subject ms/order by step (mean): {breakdown.show(sum(subject_s), PAIRS)}")
    orders = amazon.control("GET", "/sandbox/orders")["orders"]
    assert len(orders) == len(ids) + PAIRS + 1, len(orders)
    print(f"  checked: {len(ids)} sales bought once each; {len(orders)} replica orders in all")


if __name__ == "__main__":
    main()
