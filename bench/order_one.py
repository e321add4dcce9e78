"""Benchmark 1: one order through the full job vs a bare Playwright script; worker throughput.

    .venv/bin/python bench/order_one.py
    # BENCH_PAIRS=12 BENCH_BLOCKS=4 BENCH_BLOCK=4 by default
    # (BENCH_BLOCKS=0 / BENCH_WORKER_ORDERS=0 skip those parts)

Subject: ``autoorder.jobs.ordering.place_order(order_id)`` in-process (DB claim, pre-buy eBay check
against the emulator, attempt records, checkout in the pooled Chromium with the bot's saved session,
evidence screenshots written to disk, credit spent, tracking scheduled).
Baseline: a bare Playwright script on the same pooled browser doing the same page steps on the demo
shop: new context from the same storage state, order history (signed in?), product, variant, qty,
add to cart, checkout, address, payment, review (note + full-page screenshot), place, confirmation
(number + full-page screenshot). No DB, no eBay, no cart-leftover check, no saving of the state.
Both run interleaved (ABBA) after one warm-up order each (browser launch + first sign-in).
Throughput: BENCH_BLOCKS × BENCH_BLOCK due orders back to back through place_order in one loop (the
in-process "worker", browser pooled), in blocks alternating with blocks of the bare script.
Real worker: a ``flask --app app worker`` process (the default, jobs in the worker process, and
``--fork``, a work-horse per job) warmed with one order, then BENCH_WORKER_ORDERS due orders
enqueued at once, timed from the enqueue to the last one succeeded (the DB is polled every 0.1 s),
against a block of the bare script over as many orders right before it.
Targets: median subject/baseline ≤ 1.15x; ≥ 30 orders/min per worker.
"""

import functools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _order_one import Breakdown, Pairs, bare_context, per_order_ms  # noqa: E402
from _order_stand import (  # noqa: E402
    ADDRESS,
    PAYMENT,
    Stand,
    machine,
    median,
    stop_process_group,
    verdict,
)

from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order  # noqa: E402

PAIRS = int(os.environ.get("BENCH_PAIRS", 12))
WORKER_ORDERS = int(os.environ.get("BENCH_WORKER_ORDERS", 20))  # per real-worker run (0 = skip)
BLOCKS, BLOCK = int(os.environ.get("BENCH_BLOCKS", 4)), int(os.environ.get("BENCH_BLOCK", 4))
TARGET_RATIO, TARGET_PER_MIN = 1.15, 30.0
ADDRESS_IDS = {
    "full_name": "#ship-full-name",
    "address_line1": "#ship-address1",
    "address_line2": "#ship-address2",
    "city": "#ship-city",
    "state": "#ship-state",
    "postal_code": "#ship-postal-code",
    "phone": "#ship-phone",
}


def bare_playwright_order(shop_url: str, state: dict, note: str, parts: dict | None = None) -> str:
    """The same page steps, written the shortest way Playwright allows; adds ms per step to
    ``parts``."""
    parts = {} if parts is None else parts
    last = [time.perf_counter()]

    def mark(name):
        now = time.perf_counter()
        parts[name] = parts.get(name, 0.0) + now - last[0]
        last[0] = now

    try:
        with bare_context(state) as context:
            page = context.new_page()
            mark("context")
            page.goto(shop_url + "/orders")
            page.wait_for_selector("#orders-table, #no-orders", state="attached")  # still signed in
            mark("login")
            page.goto(shop_url + "/products/phone-case")
            page.click('button.variant-option[data-option="color"][data-value="Black"]')
            page.fill("#quantity", "1")
            with page.expect_navigation():
                page.click("#add-to-cart")
            mark("add_to_cart")
            with page.expect_navigation():
                page.click("#checkout-button")
            for name, selector in ADDRESS_IDS.items():
                page.fill(selector, ADDRESS[name])
            page.select_option("#ship-country", "US")
            with page.expect_navigation():
                page.click("#address-continue")
            page.check("#pay-method-card")
            for name in ("card_holder", "card_number", "card_expiry", "card_cvc"):
                page.fill(f"#{name.replace('_', '-')}", PAYMENT[name])
            with page.expect_navigation():
                page.click("#payment-continue")
            mark("checkout_steps")
            page.fill("#order-note", note)
            review_png = page.screenshot(full_page=True)
            mark("review")
            with page.expect_navigation():
                page.click("#place-order-button")
            number = page.get_attribute("#confirmation-number", "data-order-number")
            confirmation_png = page.screenshot(full_page=True)
            mark("place_click")
            assert number and len(review_png) > 1000 and len(confirmation_png) > 1000
            return number
    finally:
        mark("context")


class Parts(Breakdown):
    """Wall time spent in parts of the subject, as the demo shop adapter's steps."""

    def __init__(self):
        from autoorder import purchasing
        from autoorder.scrapers.demo_shop import DemoShopAdapter

        super().__init__()
        self.time(purchasing, "check_ebay_before_buying", "ebay_check")
        self.time(purchasing, "complete", "complete")
        self.time(DemoShopAdapter, "login", "login")
        self.time(DemoShopAdapter, "place_order", "place_order")
        self.time(DemoShopAdapter, "_add_to_cart", "add_to_cart")
        self.time(DemoShopAdapter, "_checkout_steps", "checkout_steps")
        self.time(DemoShopAdapter, "click_place_order", "place_click")  # the skeleton's click
        self.time(DemoShopAdapter, "read_confirmation", "place_click")  # + reading it
        original_guard = purchasing._guard

        def guard(*args, **kwargs):
            return self.wrap(original_guard(*args, **kwargs), "before_place")

        purchasing._guard = guard

    def parts(self, total: float) -> dict:
        t = dict(self.totals)
        t["cart_check+checkout_click+review"] = t.pop("place_order") - sum(
            t.get(k, 0.0) for k in ("add_to_cart", "checkout_steps", "before_place", "place_click")
        )
        t["other (claim, attempt, context, state save)"] = total - sum(t.values())
        return t


def real_worker_run(stand, ids, fork: bool) -> float:
    """Seconds for a real worker process to buy ``ids[1:]`` after warming up on ``ids[0]``."""
    from sqlalchemy import func, select

    from autoorder.jobs import enqueue_order

    argv = [sys.executable, "-m", "flask", "--app", "app", "worker", *(["--fork"] if fork else [])]
    worker = stand.start_worker(argv)

    def enqueue_and_wait(batch):
        started = time.perf_counter()
        with stand.app.app_context():
            for order_id in batch:
                enqueue_order(order_id)
            db.session.remove()
        deadline = time.monotonic() + 60 + 15 * len(batch)
        while True:
            with stand.app.app_context():
                done = db.session.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(Order.id.in_(batch), Order.status.not_in(("waiting", "in_progress")))
                )
                db.session.remove()
            if done == len(batch):
                return time.perf_counter() - started
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker stopped or timed out\n{stand.worker_log()}")
            time.sleep(0.1)

    stand.make_due(ids)
    enqueue_and_wait(ids[:1])  # Chromium launch (once per worker, or per job with --fork)
    elapsed = enqueue_and_wait(ids[1:])
    stop_process_group(worker)
    with stand.app.app_context():
        bad = db.session.scalars(
            select(Order.status).where(Order.id.in_(ids), Order.status != "succeeded")
        ).all()
        db.session.remove()
    assert not bad, f"not bought: {bad}\n{stand.worker_log()}"
    return elapsed


def main():
    print(f"== Benchmark 1: one order, full job vs bare Playwright  ({machine()})")
    with Stand("order-one") as stand:
        stand.setup_team()
        app, shop_url = stand.app, stand.shop.url
        ids = stand.sell(
            1 + PAIRS + BLOCKS * BLOCK + (2 * (WORKER_ORDERS + 1) if WORKER_ORDERS else 0)
        )
        stand.flush_redis()  # bought only when this benchmark says so
        warm, ab_ids = ids[0], ids[1 : 1 + PAIRS]
        loop_ids = ids[1 + PAIRS : 1 + PAIRS + BLOCKS * BLOCK]
        worker_ids = ids[1 + PAIRS + BLOCKS * BLOCK :]
        pairs = Pairs(stand, functools.partial(bare_playwright_order, shop_url))
        base_parts: dict[str, float] = {}
        stand.make_due(ids[: 1 + PAIRS + BLOCKS * BLOCK])
        pairs.warm_up(warm)  # browser launch + password sign-in + saving the session
        breakdown = Parts()
        pairs.interleave(ab_ids, parts=base_parts)
        pairs.report(TARGET_RATIO)
        subject_s, baseline_s = pairs.subject_s, pairs.baseline_s
        pair_ratios = [s / b for s, b in zip(subject_s, baseline_s, strict=True)]
        print(
            f"    per-pair ratio median {median(pair_ratios):.2f}x (min {min(pair_ratios):.2f}, "
            f"max {max(pair_ratios):.2f})"
        )
        print(
            "    subject  ms/order by step (mean): "
            f"{per_order_ms(breakdown.parts(sum(subject_s)), PAIRS)}"
        )
        print(f"    baseline ms/order by step (mean): {per_order_ms(base_parts, PAIRS)}")

        # Throughput: due orders back to back through one in-process "worker" loop (browser pooled),
        # in blocks alternating with blocks of the bare script.
        sub_time = base_time = 0.0
        state = pairs.saved_state()
        for b in range(BLOCKS):
            block_ids = loop_ids[b * BLOCK : (b + 1) * BLOCK]
            for turn in (0, 1) if b % 2 == 0 else (1, 0):
                started = time.perf_counter()
                for order_id in block_ids:
                    if turn == 0:
                        pairs.subject(order_id)
                    else:
                        pairs.baseline_order(state)
                if turn == 0:
                    sub_time += time.perf_counter() - started
                else:
                    base_time += time.perf_counter() - started
        n = BLOCKS * BLOCK
        if n:  # BENCH_BLOCKS=0 skips the throughput part
            per_min, base_per_min = n / sub_time * 60, n / base_time * 60
            print(
                f"  throughput: {n} orders back to back in {sub_time:.1f} s = {per_min:.1f} "
                f"orders/min per worker (bare script in the same blocks: {base_per_min:.1f}/min, "
                f"ratio {base_per_min / per_min:.2f}x)  "
                f"target ≥ {TARGET_PER_MIN:.0f}/min  {verdict(per_min >= TARGET_PER_MIN)}"
            )

        if WORKER_ORDERS:
            n = WORKER_ORDERS
            for fork, group in ((False, worker_ids[: n + 1]), (True, worker_ids[n + 1 :])):
                started = time.perf_counter()
                for _ in range(n):
                    pairs.baseline_order(state)
                base_s = time.perf_counter() - started
                worker_s = real_worker_run(stand, group, fork)
                per_min, base_per_min = n / worker_s * 60, n / base_s * 60
                kind = (
                    "flask worker --fork (work-horse per job)" if fork else "flask worker (default)"
                )
                print(
                    f"  real worker, {kind}: {n} orders in {worker_s:.1f} s = {per_min:.1f} "
                    "orders/min "
                    f"(bare script, same count just before: {base_per_min:.1f}/min, ratio "
                    f"{base_per_min / per_min:.2f}x)  target ≥ {TARGET_PER_MIN:.0f}/min  "
                    f"{verdict(per_min >= TARGET_PER_MIN)}"
                )

        with app.app_context():  # sanity: every subject order bought exactly once, with evidence
            bought = db.session.query(Order).filter(Order.status == "succeeded").count()
            shop_orders = stand.shop.control("GET", "/sandbox/orders")
            db.session.remove()
        assert bought == len(ids), bought
        assert len(shop_orders) == len(ids) + pairs.baseline_orders, len(shop_orders)
        print(
            f"  checked: {bought} sales bought once each; {len(shop_orders)} shop orders in all "
            f"(the rest are the baseline's)"
        )


if __name__ == "__main__":
    main()
