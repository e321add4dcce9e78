"""1, 2 and 4 worker processes on PostgreSQL buying due sales from the demo shop (#19).

    TEST_DATABASE_URL=postgresql://… .venv/bin/python bench/workers.py

For each worker count: a database of its own on that server (created, then dropped), the demo
shop with every page delayed (`slow` fault, BENCH_DELAY 0.3 s), the eBay emulator, a
redis-server, and one team with BENCH_ACCOUNTS (4) order bots, each signed in to its own shop
account and mapped from its own eBay listing — one supplier account checks out in one place at a
time (the account lock), so more workers can only buy faster with as many accounts. BENCH_SALES
(60) sales come from the emulator through the product's own poll, spread over the listings; then
N real `flask --app app worker --queues orders --no-scheduler` processes start, the sales are made
due and the tick's duty enqueues them, and the clock runs until the last is bought.

Printed per run: sales/min (the 1-worker run is the baseline: ratio = throughput ÷ that of 1),
the shop's orders per sale (a sale bought twice shows as 2), and each worker's peak memory (PSS
summed over its process tree: the worker, Playwright's driver, Chromium), sampled every 0.5 s.
Targets: 4 workers ≥ 3× one, 0 double orders, each worker ≤ 512 MB. BENCH_WORKERS ("1,2,4").
"""

import os
import re
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from autoorder.config import database_url  # noqa: E402
from autoorder.extensions import db  # noqa: E402
from autoorder.models import Order  # noqa: E402
from bench._order_stand import (  # noqa: E402
    BUYER,
    SHOP_PASSWORD,
    Stand,
    machine,
    stop_process_group,
)

SALES = int(os.environ.get("BENCH_SALES", 60))
ACCOUNTS = int(os.environ.get("BENCH_ACCOUNTS", 4))
DELAY = float(os.environ.get("BENCH_DELAY", 0.3))
COUNTS = [int(n) for n in os.environ.get("BENCH_WORKERS", "1,2,4").split(",")]
NOTE_RE = re.compile(r"AO-(\d+)-")


def setup(stand) -> list[int]:
    """One team, ACCOUNTS bots (own shop accounts, own listings); SALES sales polled in."""
    from autoorder import credits
    from autoorder.demo import connect_emulator_account
    from autoorder.jobs.sales import poll_ebay_account
    from autoorder.models import CreditPackage
    from tests.factories import make_bot, make_listing, make_supplier, make_user

    items = []
    with stand.app.app_context():
        user = make_user(role="admin")
        stand.team_id = user.team_id
        supplier = make_supplier(key="demo_shop", name="Demo Shop", base_url=stand.shop.url)
        for n in range(ACCOUNTS):
            email = f"bench{n}@demo.test"
            stand.shop.control(
                "POST",
                "/sandbox/accounts",
                {"email": email, "password": SHOP_PASSWORD, "gift_card_balance": "0"},
            )
            bot = make_bot(
                user.team,
                supplier,
                name=f"bot {n}",
                account_email=email,
                password=SHOP_PASSWORD,
                payment_method="card",
                card="4242424242424242",
            )
            item = str(325400200100 + n)
            make_listing(
                user.team,
                bot,
                ebay_item_id=item,
                sku=f"CASE-{n}",
                supplier_product_url=f"{stand.shop.url}/products/phone-case",
                supplier_variant="Black",
                max_buy_price=Decimal("15.00"),
            )
            items.append(item)
        package = CreditPackage(name="bench", credits=10_000, price=Decimal("1.00"))
        db.session.add(package)
        db.session.flush()
        credits.record_package_purchase(stand.team_id, package, actor="bench")
        db.session.commit()
        stand.account_id = connect_emulator_account(stand.team_id, "seller").id
        db.session.commit()
    for n in range(SALES):
        stand.ebay.control(
            "POST",
            "/sandbox/orders",
            {
                "sku": f"CASE-{n % ACCOUNTS}",
                "legacyItemId": items[n % ACCOUNTS],
                "title": "iPhone case - Black",
                "price": "14.99",
                "quantity": 1,
                "buyer": BUYER,
            },
        )
    with stand.app.app_context():
        poll_ebay_account(stand.account_id)
        ids = list(db.session.scalars(select(Order.id).where(Order.status == "waiting")))
        db.session.remove()
    assert len(ids) == SALES, f"{len(ids)} waiting sales, expected {SALES}"
    return ids


def tree_pss(pid: int) -> int:
    """Memory of a worker's process tree: PSS (shared pages split between the processes sharing
    them), so Chromium's shared memory is not counted once per process as RSS sums would."""
    try:
        process = psutil.Process(pid)
        total = 0
        for p in [process, *process.children(recursive=True)]:
            try:
                total += p.memory_full_info().pss
            except psutil.Error:
                pass
        return total
    except psutil.Error:
        return 0


def run(count: int, url: str) -> dict:
    from autoorder.jobs.tick import enqueue_due_orders

    stand = Stand(f"workers{count}", db_url=url)
    try:
        ids = setup(stand)
        stand.shop.control("POST", "/sandbox/faults", {"name": "slow", "delay": DELAY})
        workers = [
            stand.start_worker(
                [
                    sys.executable,
                    "-m",
                    "flask",
                    "--app",
                    "app",
                    "worker",
                    "--queues",
                    "orders",
                    "--no-scheduler",
                ]
            )
            for _ in range(count)
        ]
        from rq import Worker

        from autoorder.queues import redis_connection

        connection = redis_connection(stand.redis.url)
        deadline = time.monotonic() + 180
        while len(Worker.all(connection=connection)) < count:  # every worker is up
            assert time.monotonic() < deadline, stand.worker_log()
            time.sleep(0.2)
        peaks = [0] * count
        sampling = True

        def sample():
            while sampling:
                for i, worker in enumerate(workers):
                    peaks[i] = max(peaks[i], tree_pss(worker.pid))
                time.sleep(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stand.make_due(ids)
        started = time.perf_counter()
        with stand.app.app_context():
            enqueued = enqueue_due_orders()  # the tick's duty
            db.session.remove()
        assert enqueued == SALES, enqueued
        deadline = time.monotonic() + 120 + 30 * SALES
        while True:
            with stand.app.app_context():
                open_ = db.session.scalar(
                    select(func.count())
                    .select_from(Order)
                    .where(Order.status.in_(("waiting", "in_progress")))
                )
                db.session.remove()
            if not open_:
                break
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers), (
                stand.worker_log()
            )
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        sampling = False
        sampler.join()
        for worker in workers:
            stop_process_group(worker)
        with stand.app.app_context():
            statuses = Counter(db.session.scalars(select(Order.status)))
            db.session.remove()
        shop_orders = stand.shop.control("GET", "/sandbox/orders")
        shop_orders = (
            shop_orders.get("orders", shop_orders) if isinstance(shop_orders, dict) else shop_orders
        )
        per_sale = Counter(
            int(m.group(1))
            for o in shop_orders
            if (m := NOTE_RE.search(str(o.get("order_note") or o.get("note") or "")))
        )
        return {
            "workers": count,
            "seconds": elapsed,
            "per_minute": SALES / elapsed * 60,
            "statuses": dict(statuses),
            "shop_orders": len(shop_orders),
            "max_per_sale": max(per_sale.values(), default=0),
            "doubles": sum(1 for n in per_sale.values() if n > 1),
            "peaks_mb": [p / 2**20 for p in peaks],
        }
    finally:
        stand.close()


def main():
    pg = os.environ.get("TEST_DATABASE_URL")
    if not pg:
        sys.exit("bench/workers.py needs TEST_DATABASE_URL (PostgreSQL)")
    print(
        f"{machine()}; {SALES} sales, {ACCOUNTS} bot accounts, shop pages +{DELAY:g} s", flush=True
    )
    admin = create_engine(database_url(pg), isolation_level="AUTOCOMMIT")
    results = []
    for count in COUNTS:
        name = f"autoorder_bench_workers_{os.getpid()}_{count}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = admin.url.set(database=name).render_as_string(hide_password=False)
            result = run(count, url)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        print(result, flush=True)
        results.append(result)
    admin.dispose()
    base = results[0]["per_minute"]
    print(
        "\n| workers | sales | time | sales/min | ratio to 1 | shop orders | doubles "
        "| peak per worker (PSS, process tree) | cart statuses |\n"
        "|---|---|---|---|---|---|---|---|---|"
    )
    for r in results:
        print(
            f"| {r['workers']} | {SALES} | {r['seconds']:.0f} s | {r['per_minute']:.1f} "
            f"| {r['per_minute'] / base:.2f}× | {r['shop_orders']} | {r['doubles']} "
            f"| {', '.join(f'{p:.0f}' for p in r['peaks_mb'])} MB | {r['statuses']} |"
        )
    print(f"done {machine()}")


if __name__ == "__main__":
    main()
