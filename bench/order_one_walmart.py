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
Kept small on purpose: bench/_order_stand.py carries the stand; the per-supplier order benchmarks
are to share the rest.
"""

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_stand import (  # noqa: E402
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
from sandbox.walmart.testing import start_walmart  # noqa: E402
from tests.factories import make_bot, make_listing, make_supplier, make_user  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", 8))
TARGET_RATIO = 1.15
EMAIL, PASSWORD, CARD, CVV = "bench@replica.test", "bench-pass", "4111111111111111", "123"
ITEM_ID = "123456789"
ORDER_JSON = "/orchestra/orders/graphql/getOrder/bench?variables="


def bare_playwright_order(url: str, state: dict) -> str:
    """The same page steps on the replica, written the shortest way Playwright allows."""
    context = POOL.browser(CHROMIUM).new_context(
        storage_state=state, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    try:
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
    finally:
        context.close()


class Breakdown:
    """Wall time per adapter step of the subject (wrappers on the class; µs of overhead)."""

    STEPS = ("login", "empty_cart", "add_to_cart", "checkout", "read_review")
    STEPS += ("click_place_order", "read_confirmation")

    def __init__(self):
        from autoorder.scrapers.walmart import WalmartAdapter

        self.totals: dict[str, float] = {}
        for name in self.STEPS:
            setattr(WalmartAdapter, name, self._wrap(getattr(WalmartAdapter, name), name))

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


def setup_walmart_team(stand, walmart) -> None:
    from autoorder.demo import connect_emulator_account

    walmart.control("POST", "/sandbox/accounts", {"email": EMAIL, "password": PASSWORD})
    walmart.control(
        "POST",
        "/sandbox/products",
        {"item_id": ITEM_ID, "title": "Bench bottle", "price": "14.97", "stock": 100000},
    )
    with stand.app.app_context():
        user = make_user(role="admin")
        stand.team_id = user.team_id
        supplier = make_supplier(key="walmart", name="Walmart", base_url=walmart.url)
        bot = make_bot(
            user.team, supplier, name="walmart", account_email=EMAIL, password=PASSWORD, card=CARD
        )
        stand.bot_id = bot.id
        make_listing(
            user.team,
            bot,
            ebay_item_id=ITEM["legacyItemId"],
            sku=ITEM["sku"],
            supplier_product_url=f"{walmart.url}/ip/{ITEM_ID}",
            max_buy_price=Decimal("60.00"),
        )
        package = CreditPackage(name="bench credits", credits=1000, price=Decimal("1.00"))
        db.session.add(package)
        db.session.flush()
        credits.record_package_purchase(stand.team_id, package, actor="bench")
        db.session.commit()
        stand.account_id = connect_emulator_account(stand.team_id, "seller").id


def main():
    print(f"== Walmart: one order, full job vs bare Playwright on the replica  ({machine()})")
    with Stand("order-one-walmart") as stand:
        walmart = start_walmart(seed=3, log_path=stand.tmp / "walmart.log")
        try:
            run(stand, walmart)
        finally:
            walmart.stop()


def run(stand, walmart):
    setup_walmart_team(stand, walmart)
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
        bare_playwright_order(walmart.url, state)
        return time.perf_counter() - started

    first = subject(ids[0])  # Chromium launch + sign-in + the address and card saved
    baseline(saved_state())
    print(
        f"  warm-up order (Chromium launch + sign-in + address and card saved): {first * 1000:.0f} ms"
    )
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
    orders = walmart.control("GET", "/sandbox/orders")["orders"]
    assert len(orders) == len(ids) + PAIRS + 1, len(orders)
    print(f"  checked: {len(ids)} sales bought once each; {len(orders)} replica orders in all")


if __name__ == "__main__":
    main()
